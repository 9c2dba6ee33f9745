"""Receipt printing: encode real ESC/POS bytes, decode them back, render and scan the PNG."""

from __future__ import annotations

import contextlib
from pathlib import Path

import pytest
import zxingcpp
from PIL import Image

from device.printer import (
    Cut,
    DecodedCut,
    DecodedFeed,
    DecodedQR,
    DecodedText,
    EscPosDecodeError,
    Feed,
    LinkPrinter,
    QRCode,
    ReceiptLayout,
    Rule,
    Text,
    TextRun,
    VirtualPrinter,
    decode_escpos,
    decoded_text,
    encode_escpos,
    get_profile,
    make_printer,
    render_png,
)
from device.printer.links import DeviceNodeLink

FONT = Path("/usr/share/fonts/truetype/wqy/wqy-microhei.ttc")
needs_font = pytest.mark.skipif(not FONT.exists(), reason="CJK font not installed")

SAMPLE = ReceiptLayout(
    (
        Text("说事回执", scale=2, align="center", bold=True),
        Text("1234 56789 0", scale=3, align="center"),
        Text("环境卫生"),
        Rule(),
        QRCode("1234567890"),
        Feed(2),
        Cut(),
    )
)


def _texts(data: bytes) -> list[DecodedText]:
    return [item for item in decode_escpos(data) if isinstance(item, DecodedText)]


def _dark_pixels(image: Image.Image, box: tuple[int, int, int, int]) -> int:
    return sum(image.crop(box).convert("L").histogram()[:128])


def test_round_trip_keeps_text_scale_align_bold_qr_and_cut() -> None:
    items = decode_escpos(encode_escpos(SAMPLE))

    texts = [item for item in items if isinstance(item, DecodedText)]
    assert [(t.text, t.scale, t.align, t.bold) for t in texts] == [
        ("说事回执", 2, "center", True),
        ("1234 56789 0", 3, "center", False),
        ("环境卫生", 1, "left", False),
        ("-" * 48, 1, "left", False),
    ]
    assert texts[1].runs[0].width == texts[1].runs[0].height == 3
    qrs = [item for item in items if isinstance(item, DecodedQR)]
    assert qrs == [DecodedQR("1234567890", module_size=6, error_level="M", align="center")]
    assert DecodedFeed(2) in items
    assert items[-1] == DecodedCut(partial=True, feed_dots=3)


def test_bytes_use_chinese_mode_gb18030_and_native_qr() -> None:
    data = encode_escpos(SAMPLE)

    assert data.startswith(b"\x1b@\x1c&")  # Chinese mode once, for the whole receipt
    assert "说事回执".encode("gb18030") + b"\n" in data
    assert "环境卫生".encode("gb18030") in data
    assert "说".encode("gb18030") == b"\xcb\xb5"
    assert b"\x1d!\x22" in data  # scale 3: width and height multiplier 3
    assert b"\x1d(k\x04\x001A2\x00" in data  # QR model 2
    assert b"\x1d(k\x03\x001C\x06" in data  # module size 6
    assert b"\x1d(k\x03\x001E1" in data  # error level M
    assert b"\x1d(k\x0d\x001P01234567890" in data  # store the data
    assert b"\x1d(k\x03\x001Q0" in data  # print it
    assert data.endswith(b"\x1dVB\x03")  # partial cut after feeding 3 dots


def test_control_characters_cannot_inject_commands() -> None:
    data = encode_escpos(ReceiptLayout((Text("a\x1bi\nb"),)))

    assert b"\x1bi" not in data
    assert decoded_text(data) == "a□i□b"


def test_rule_follows_paper_columns() -> None:
    data = encode_escpos(ReceiptLayout((Rule(),)), get_profile("generic-58-gb18030"))

    assert decoded_text(data) == "-" * 32


def test_decoder_skips_known_commands_it_does_not_render() -> None:
    raster = b"\x1dv0\x00\x01\x00\x02\x00\xff\x00"  # GS v 0: 1 byte x 2 rows
    extras = b"\x1b2" + b"\x1bt\x00" + raster + b"\x10\x04\x01" + b"\x1b!\x38"
    data = encode_escpos(SAMPLE) + extras + b"abc\n"

    texts = _texts(data)
    assert texts[-1].text == "abc"  # ESC 2, ESC t, GS v 0, DLE EOT were skipped or drawn
    assert (texts[-1].runs[0].width, texts[-1].runs[0].height, texts[-1].bold) == (2, 2, True)


def test_decoder_feed_after_text_counts_the_printed_line() -> None:
    items = decode_escpos(b"\x1b@hello\x1bd\x03\n")

    assert items == [DecodedText((TextRun("hello"),), "left"), DecodedFeed(2), DecodedFeed(1)]
    assert decoded_text(b"\x1b@hello\x1bd\x03\n") == "hello"


@pytest.mark.parametrize(
    ("data", "offset"),
    [
        (b"\x1b@\x1b", 2),  # lone ESC
        (b"\x1b@\x1da", 2),  # GS a without its parameter
        (b"\x1d(k\x0d\x001P0123", 0),  # QR store shorter than its declared length
        (b"\x1c&\xcb", 2),  # half a GB18030 character
        (b"\x1dV", 0),  # cut without mode
        (b"ok\x1b\xff", 2),  # unknown ESC command
        (b"\x07", 0),  # unknown control byte
    ],
)
def test_decoder_rejects_truncated_or_unknown_data(data: bytes, offset: int) -> None:
    with pytest.raises(EscPosDecodeError) as caught:
        decode_escpos(data)

    assert caught.value.offset == offset
    assert f"offset {offset}" in str(caught.value)


def test_every_truncation_decodes_or_raises_decode_error() -> None:
    data = encode_escpos(SAMPLE)
    for end in range(len(data)):
        with contextlib.suppress(EscPosDecodeError):
            decode_escpos(data[:end])


@needs_font
def test_png_is_paper_wide_with_scannable_qr_and_drawn_chinese(tmp_path: Path) -> None:
    png = render_png(encode_escpos(SAMPLE), FONT, tmp_path / "receipt.png")

    with Image.open(png) as image:
        image.load()
    assert image.width == 576
    assert [code.text for code in zxingcpp.read_barcodes(image)] == ["1234567890"]
    # first line: 4 Chinese characters at scale 2 = 192 x 48 dots, centred, below a 12-dot margin
    title = (192, 12, 384, 60)
    assert _dark_pixels(image, title) > 500
    assert _dark_pixels(image, (0, 12, 180, 60)) == 0


@needs_font
def test_different_chinese_text_draws_different_glyphs(tmp_path: Path) -> None:
    bands = []
    for words in ("说事回执", "环境卫生"):
        layout = ReceiptLayout((Text(words),))
        with Image.open(render_png(encode_escpos(layout), FONT, tmp_path / "x.png")) as image:
            bands.append(image.crop((0, 12, 96, 36)).tobytes())
    assert bands[0] != bands[1]  # real glyphs, not one "missing glyph" box for all


@needs_font
def test_virtual_printer_writes_exact_bytes_and_png(tmp_path: Path) -> None:
    out_dir = tmp_path / "receipts"
    data = encode_escpos(SAMPLE)
    outcome = VirtualPrinter(out_dir, FONT).send(data, "1234567890")

    assert outcome.ok, outcome.detail
    assert outcome.files == (out_dir / "1234567890.bin", out_dir / "1234567890.png")
    assert outcome.files[0].read_bytes() == data
    with Image.open(outcome.files[1]) as image:
        assert [code.text for code in zxingcpp.read_barcodes(image)] == ["1234567890"]
    assert sorted(path.name for path in out_dir.iterdir()) == ["1234567890.bin", "1234567890.png"]


def test_virtual_printer_reports_unwritable_folder_without_raising(tmp_path: Path) -> None:
    blocker = tmp_path / "not-a-folder"
    blocker.write_text("x")
    outcome = VirtualPrinter(blocker / "receipts", FONT).send(encode_escpos(SAMPLE), "1")

    assert not outcome.ok and not outcome.maybe_printed
    assert outcome.files == ()
    assert "could not save receipt 1" in outcome.detail
    assert "not a folder" in outcome.detail


def test_virtual_printer_reports_missing_font_but_keeps_bytes(tmp_path: Path) -> None:
    outcome = VirtualPrinter(tmp_path, tmp_path / "missing.ttf").send(encode_escpos(SAMPLE), "7")

    assert not outcome.ok
    assert outcome.files == (tmp_path / "7.bin",)
    assert "preview" in outcome.detail
    assert sorted(path.name for path in tmp_path.iterdir()) == ["7.bin"]


def test_virtual_printer_rejects_path_like_job_names(tmp_path: Path) -> None:
    with pytest.raises(ValueError, match="plain file name"):
        VirtualPrinter(tmp_path, FONT).send(b"", "../escape")


def _node_printer(path: Path) -> LinkPrinter:
    return LinkPrinter(DeviceNodeLink(str(path), timeout=1.0), get_profile("generic-80-gb18030"))


def test_device_node_printer_writes_exactly_the_encoded_bytes(tmp_path: Path) -> None:
    device = tmp_path / "lp0"
    device.write_bytes(b"")
    outcome = _node_printer(device).send(encode_escpos(SAMPLE), "1")

    assert outcome.ok, outcome.detail
    assert device.read_bytes() == encode_escpos(SAMPLE)


def test_device_node_printer_reports_missing_device(tmp_path: Path) -> None:
    outcome = _node_printer(tmp_path / "no" / "lp0").send(encode_escpos(SAMPLE), "1")

    assert not outcome.ok and not outcome.maybe_printed
    assert "no such file or folder" in outcome.detail


@pytest.mark.skipif(not Path("/dev/full").exists(), reason="needs /dev/full")
def test_device_node_printer_reports_write_failure() -> None:
    outcome = _node_printer(Path("/dev/full")).send(encode_escpos(SAMPLE), "1")

    assert not outcome.ok
    assert "no space" in outcome.detail.lower()


def test_make_printer_kinds(tmp_path: Path) -> None:
    profile = get_profile("generic-58-gb18030")
    virtual = make_printer("virtual", profile=profile, out_dir=tmp_path, fonts=FONT)
    assert isinstance(virtual, VirtualPrinter) and virtual.profile is profile
    for kind, device in (("file", "/dev/usb/lp0"), ("serial", "/dev/ttyUSB0"),
                         ("network", "10.0.0.5:9100"), ("usb", "0416:5011"), ("cups", "pos")):
        printer = make_printer(kind, profile=profile, out_dir=tmp_path, fonts=FONT, device=device)
        assert isinstance(printer, LinkPrinter)
    with pytest.raises(ValueError, match="needs device"):
        make_printer("file", profile=profile, out_dir=tmp_path, fonts=FONT)
    with pytest.raises(ValueError, match="unknown printer kind 'lpt'"):
        make_printer("lpt", profile=profile, out_dir=tmp_path, fonts=FONT, device="x")
    with pytest.raises(ValueError, match="hexadecimal"):
        make_printer("usb", profile=profile, out_dir=tmp_path, fonts=FONT, device="epson:x")


def test_layout_rejects_out_of_range_values() -> None:
    with pytest.raises(ValueError, match="scale"):
        Text("x", scale=5)
    with pytest.raises(ValueError, match="module_size"):
        QRCode("x", module_size=0)
    with pytest.raises(ValueError, match="Feed"):
        Feed(0)
