"""Chinese text on receipts: profiles, width, line breaking, bitmaps for what the font lacks."""

from __future__ import annotations

from pathlib import Path

import pytest
import zxingcpp
from PIL import Image

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
