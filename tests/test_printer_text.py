"""Chinese text on receipts: profiles, width, line breaking, bitmaps for what the font lacks."""

from __future__ import annotations

from pathlib import Path

import pytest
import zxingcpp
from PIL import Image, ImageFont

from device.printer import (
    Cut,
    DecodedCut,
    DecodedFeed,
    DecodedImage,
    DecodedQR,
    DecodedText,
    Feed,
    GlyphSource,
    QRCode,
    ReceiptLayout,
    Text,
    decode_escpos,
    encode_receipt,
    get_profile,
    load_profiles,
    render_image,
    text_columns,
    wrap,
)
from device.printer.glyphs import to_bit_columns
from kiosk.fonts import find_fallback_fonts, font_with
from kiosk.wiring import build_glyphs

# the Chinese rules (GB/T 15834, like JIS X 4051 kinsoku) the line breaking must honour
NO_LINE_START = frozenset("。，、；：？！）」』》〉】〕］｝”’…～·．,.;:?!)]}%％‰℃")
NO_LINE_END = frozenset("（「『《〈【〔［｛“‘([{¥￥")

FONT = Path("/usr/share/fonts/truetype/wqy/wqy-microhei.ttc")
DEJAVU = Path("/usr/share/fonts/truetype/dejavu/DejaVuSans.ttf")
pytestmark = pytest.mark.skipif(not FONT.exists(), reason="CJK font not installed")


@pytest.fixture(scope="module")
def glyphs() -> GlyphSource:
    return GlyphSource([FONT, *([DEJAVU] if DEJAVU.exists() else [])])


def _texts(data: bytes) -> list[DecodedText]:
    return [item for item in decode_escpos(data) if isinstance(item, DecodedText)]


def test_profiles_are_data_with_the_required_models() -> None:
    profiles = load_profiles()
    for name in ("generic-58-gb18030", "generic-80-gb18030", "epson-tm-t82iii-cn",
                 "epson-tm-t88-cn", "raster-80"):
        assert name in profiles
    assert (profiles["generic-58-gb18030"].columns, profiles["generic-58-gb18030"].paper_dots) \
        == (32, 384)
    assert profiles["generic-80-gb18030"].columns == 48
    assert not profiles["raster-80"].has_chinese_font and not profiles["raster-80"].native_qr
    with pytest.raises(ValueError, match="known profiles: generic-58"):
        get_profile("xprinter-9000")


def test_display_width_counts_cjk_as_two_columns() -> None:
    assert text_columns("说事abc") == 7
    assert text_columns("。，") == 4


@pytest.mark.parametrize("width", [8, 10, 12, 16, 32])
def test_wrap_never_starts_a_line_with_closing_punctuation(width: int) -> None:
    text = "居民反映：小区东门路灯坏了，晚上很黑。老人出行不便，「希望」尽快修好！谢谢。"
    lines = wrap(text, width)

    assert "".join(lines) == text
    assert all(text_columns(line) <= width for line in lines)
    assert not any(line[0] in NO_LINE_START for line in lines[1:])
    assert not any(line[-1] in NO_LINE_END for line in lines[:-1])


def test_wrap_keeps_ticket_numbers_and_latin_words_whole() -> None:
    lines = wrap("请记好回执号码 0001 00015 3 以及网址 example.gov.cn", 20)

    assert "0001 00015 3" in lines or any("0001 00015 3" in line for line in lines)
    assert any("example.gov.cn" in line for line in lines)


def test_a_line_of_punctuation_alone_prints_right(glyphs: GlyphSource) -> None:
    text = "。。。。！！！？？？……——、、、，，，"
    data = encode_receipt(ReceiptLayout((Text(text),)), get_profile("generic-58-gb18030"),
                          glyphs)

    assert "".join(t.text for t in _texts(data)) == text
    assert b"?" not in data


def test_characters_outside_the_rom_font_print_as_inline_bitmaps(glyphs: GlyphSource) -> None:
    name = "王𠮷"  # 𠮷 is a 4-byte GB18030 character: not in the printers' fonts
    data = encode_receipt(ReceiptLayout((Text(f"姓名：{name}☺"),)),
                          get_profile("generic-80-gb18030"), glyphs)

    (line,) = _texts(data)
    assert line.text.startswith("姓名：王")
    assert [image.width for image in line.images] == [48]  # 𠮷 and ☺: one cell each, together
    assert b"?" not in data and "𠮷".encode("gb18030") not in data
    # the bitmap is the glyph drawn from our fonts, not a blank
    assert any(byte for byte in line.images[0].columns[72:])


def test_bitmap_glyph_matches_the_fonts_drawing(glyphs: GlyphSource) -> None:
    data = encode_receipt(ReceiptLayout((Text("☺"),)), get_profile("generic-80-gb18030"),
                          glyphs)
    paper = render_image(data, glyphs).convert("L")
    expected = glyphs.mask("☺")
    drawn = paper.crop((0, 12, 24, 36)).point(lambda v: 255 if v < 128 else 0)
    assert drawn.tobytes() == expected.tobytes()


def test_scaled_line_with_missing_glyph_becomes_a_raster_line(glyphs: GlyphSource) -> None:
    data = encode_receipt(ReceiptLayout((Text("𠮷", scale=2, align="center"),)),
                          get_profile("generic-80-gb18030"), glyphs)

    images = [item for item in decode_escpos(data) if isinstance(item, DecodedImage)]
    assert images and images[0].width_bytes * 8 == 576


def test_ticket_is_enlarged_with_gs_bang_and_degrades_on_58mm(glyphs: GlyphSource) -> None:
    layout = ReceiptLayout((Text("0001 00015 3", scale=3, align="center", keep_whole=True),))
    wide = _texts(encode_receipt(layout, get_profile("generic-80-gb18030"), glyphs))
    narrow = _texts(encode_receipt(layout, get_profile("generic-58-gb18030"), glyphs))

    assert [(t.text, t.scale) for t in wide] == [("0001 00015 3", 3)]
    assert [(t.text, t.scale) for t in narrow] == [("0001 00015 3", 2)]  # 36 columns > 32


def test_enlarged_chinese_uses_gs_bang(glyphs: GlyphSource) -> None:
    data = encode_receipt(ReceiptLayout((Text("说事回执", scale=2),)),
                          get_profile("epson-tm-t88-cn"), glyphs)

    assert b"\x1d!\x11" + "说事回执".encode("gb18030") in data


SAMPLE = ReceiptLayout((Text("说事回执", scale=2, align="center", bold=True),
                        Text("内容：楼道灯坏了𠮷"), QRCode("0001000153"), Feed(2), Cut()))


def test_raster_profile_sends_the_whole_receipt_as_image(glyphs: GlyphSource) -> None:
    profile = get_profile("raster-80")
    data = encode_receipt(SAMPLE, profile, glyphs)
    items = decode_escpos(data)

    assert not _texts(data) and not any(isinstance(i, DecodedQR) for i in items)
    assert all(isinstance(i, DecodedImage | DecodedFeed | DecodedCut) for i in items)
    assert "说".encode("gb18030") not in data
    paper = render_image(data, glyphs, profile.paper_dots)
    assert [code.text for code in zxingcpp.read_barcodes(paper)] == ["0001000153"]


def test_raster_qr_on_printers_without_native_qr_scans(glyphs: GlyphSource) -> None:
    profile = get_profile("raster-58")
    paper = render_image(encode_receipt(SAMPLE, profile, glyphs), glyphs, profile.paper_dots)

    assert paper.width == 384
    assert [code.text for code in zxingcpp.read_barcodes(paper)] == ["0001000153"]


@pytest.mark.parametrize("name", ["generic-58-gb18030", "generic-80-gb18030", "epson-tm-t88-cn"])
def test_native_profiles_print_qr_natively_and_cut_as_allowed(
    name: str, glyphs: GlyphSource, tmp_path: Path
) -> None:
    profile = get_profile(name)
    data = encode_receipt(SAMPLE, profile, glyphs)
    items = decode_escpos(data)

    assert DecodedQR("0001000153", 6, "M", "center") in items
    if profile.cut == "none":
        assert not any(isinstance(i, DecodedCut) for i in items)
        assert items[-1] == DecodedFeed(profile.tear_feed_lines)  # enough paper to tear
    else:
        assert items[-1] == DecodedCut(partial=profile.cut == "partial", feed_dots=3)
    png = tmp_path / "r.png"
    render_image(data, glyphs, profile.paper_dots).save(png)
    with Image.open(png) as image:
        assert [code.text for code in zxingcpp.read_barcodes(image)] == ["0001000153"]


DROID = Path("/usr/share/fonts/truetype/droid/DroidSansFallbackFull.ttf")
RARE = "㐀㐁㐂"  # CJK extension A: four bytes in GB18030, in no printer's ROM, not in WenQuanYi
needs_droid = pytest.mark.skipif(not DROID.exists(), reason="fonts-droid-fallback not installed")


@pytest.fixture(scope="module")
def system_glyphs() -> GlyphSource:
    return build_glyphs(FONT)


def _hex_box(char: str) -> Image.Image:
    """What a character no font draws looks like: the last-resort box with its code point."""
    return GlyphSource([FONT]).mask(char)


@needs_droid
def test_fallback_fonts_are_found_with_droid_sans_fallback_among_them() -> None:
    fallbacks = find_fallback_fonts(FONT)

    assert DROID in fallbacks and FONT not in fallbacks
    assert font_with("㐀") is not None  # fontconfig names a font that has it


@needs_droid
def test_rare_characters_are_drawn_from_the_fallback_font_not_a_hex_box(
    system_glyphs: GlyphSource,
) -> None:
    masks = [system_glyphs.mask(char) for char in RARE]

    for char, mask in zip(RARE, masks, strict=True):
        assert GlyphSource([FONT]).font_for(char) is None  # the primary font lacks it
        assert mask.getbbox() is not None, char  # ink
        assert mask.tobytes() != _hex_box(char).tobytes(), char
    assert len({mask.tobytes() for mask in masks}) == len(RARE)  # each its own glyph


@needs_droid
def test_a_font_fontconfig_finds_is_taken_for_a_character_no_listed_font_has() -> None:
    glyphs = GlyphSource([FONT], find_font=font_with)

    assert glyphs.font_for("㐀") is not None
    assert len(glyphs.paths) == 2  # loaded once, kept for the next rare character
    assert glyphs.mask("㐁").tobytes() != _hex_box("㐁").tobytes()


@needs_droid
@pytest.mark.parametrize("name", ["generic-58-gb18030", "epson-tm-t88-cn"])
def test_native_printer_gets_the_rare_glyph_as_a_bitmap_and_paper_shows_it(
    name: str, system_glyphs: GlyphSource
) -> None:
    profile = get_profile(name)
    drawn = []
    for char in RARE:
        data = encode_receipt(ReceiptLayout((Text(f"王{char}"),)), profile, system_glyphs)
        (line,) = _texts(data)
        assert line.text == "王\ufffc" and "王".encode("gb18030") in data
        assert char.encode("gb18030") not in data  # the printer could not draw those bytes
        (image,) = line.images
        assert image.columns == to_bit_columns(system_glyphs.mask(char))
        paper = render_image(data, system_glyphs, profile.paper_dots).convert("L")
        cell = paper.crop((24, 12, 48, 36)).point(lambda v: 255 if v < 128 else 0)
        assert cell.getbbox() is not None  # dark dots where the glyph is
        assert cell.tobytes() != _hex_box(char).tobytes()
        drawn.append(cell.tobytes())
    assert len(set(drawn)) == len(RARE)


@needs_droid
def test_raster_printer_paper_shows_the_rare_glyph(system_glyphs: GlyphSource) -> None:
    profile = get_profile("raster-58")
    papers = []
    for char in "㐀㐁":
        data = encode_receipt(ReceiptLayout((Text(char),)), profile, system_glyphs)
        paper = render_image(data, system_glyphs, profile.paper_dots).convert("L")
        box = paper.point(lambda v: 255 if v < 128 else 0).getbbox()
        assert box is not None
        boxed = encode_receipt(ReceiptLayout((Text(char),)), profile, GlyphSource([FONT]))
        assert data != boxed  # not the last-resort box the primary font alone would give
        papers.append(paper.tobytes())
    assert papers[0] != papers[1]


def test_a_character_outside_the_basic_plane_comes_from_a_font_that_has_it(
    system_glyphs: GlyphSource,
) -> None:
    if font_with("𠮷") is None:
        pytest.skip("no installed font has U+20BB7 𠮷 (Droid Sans Fallback does not)")
    assert system_glyphs.mask("𠮷").tobytes() != _hex_box("𠮷").tobytes()


def test_a_character_the_primary_font_leaves_empty_comes_from_a_fallback(
    system_glyphs: GlyphSource,
) -> None:
    # WenQuanYi Micro Hei maps ℃ to an outline with no ink: that is missing, not a blank
    assert not any(bytes(ImageFont.truetype(str(FONT), 22).getmask("℃", mode="L")))
    if not DEJAVU.exists():
        pytest.skip("DejaVu Sans not installed")

    assert system_glyphs.mask("℃").getbbox() is not None
    assert system_glyphs.mask("\u200b").getbbox() is None  # a zero-width space stays blank
