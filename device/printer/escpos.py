"""Encode a ReceiptLayout into ESC/POS bytes for one printer profile (Epson command set).

Chinese text is sent in the printer's Chinese character mode (FS &) in the profile's
encoding; a character the ROM font lacks is sent as an inline 24-dot bit image (ESC *), and
a scaled line with such a character as a raster image (GS v 0). The encoder keeps track of
alignment, emphasis and size and only sends what changes, so a receipt stays small.
"""

from __future__ import annotations

import unicodedata
from collections.abc import Iterator

from PIL import Image

from .glyphs import CELL_HEIGHT, INK, PAPER, GlyphSource, cell_width, to_bit_columns, to_raster
from .layout import Align, Cut, Element, Feed, QRCode, ReceiptLayout, Rule, Text
from .linebreak import text_columns, wrap
from .profiles import DEFAULT_PROFILE, PrinterProfile, get_profile

ESC = 0x1B
GS = 0x1D
FS = 0x1C
DLE = 0x10
LF = 0x0A

INIT = b"\x1b@"
CHINESE_ON = b"\x1c&"
CHINESE_OFF = b"\x1c."
REPLACEMENT = "□"  # full-width white square, GB18030 A1F5

ALIGN_CODES: dict[Align, int] = {"left": 0, "center": 1, "right": 2}
QR_ERROR_LEVELS = {48: "L", 49: "M", 50: "Q", 51: "H"}
QR_LEVEL_M = 49
QR_MODEL_2 = 50
QR_CODE_TYPE = 49  # cn = '1' selects QR Code in GS ( k
CUT_PARTIAL_WITH_FEED = 66  # GS V function B, partial cut
CUT_FULL_WITH_FEED = 65  # GS V function B, full cut
CUT_FEED_DOTS = 3
BIT_IMAGE_24_DOUBLE = 33  # ESC * m: 24-dot double density, 1:1 dots
RASTER_BAND_ROWS = 128  # rows per GS v 0; small printers have small receive buffers
MAX_FEED_DOTS = 255
LINE_DOTS = 30  # default line spacing


def align(value: Align) -> bytes:
    """ESC a n: justification (takes effect at the start of a line)."""
    return bytes((ESC, ord("a"), ALIGN_CODES[value]))


def bold(on: bool) -> bytes:
    """ESC E n: emphasized mode."""
    return bytes((ESC, ord("E"), int(on)))


def char_size(width: int, height: int) -> bytes:
    """GS ! n: width multiplier in the high nibble, height in the low nibble.

    Unlike ESC !, GS ! also enlarges the characters of the Chinese font.
    """
    return bytes((GS, ord("!"), ((width - 1) << 4) | (height - 1)))


def feed_lines(lines: int) -> bytes:
    """ESC d n: print the buffer and feed n lines."""
    return bytes((ESC, ord("d"), lines))


def feed_dots(dots: int) -> bytes:
    """ESC J n: print the buffer and feed n dots."""
    return bytes((ESC, ord("J"), dots))


def cut(feed: int = CUT_FEED_DOTS, full: bool = False) -> bytes:
    """GS V 65/66 n: feed to the cutter plus n dots, then cut."""
    return bytes((GS, ord("V"), CUT_FULL_WITH_FEED if full else CUT_PARTIAL_WITH_FEED, feed))


def qr_function(fn: int, payload: bytes) -> bytes:
    """GS ( k pL pH cn fn payload: one QR Code function."""
    size = len(payload) + 2
    if size > 0xFFFF:
        raise ValueError(f"QR payload too long: {len(payload)} bytes")
    return bytes((GS, ord("("), ord("k"), size & 0xFF, size >> 8, QR_CODE_TYPE, fn)) + payload


def qr_code(data: str, module_size: int) -> bytes:
    """Select model 2, set module size and level M, store the data, print it."""
    return b"".join(
        (
            qr_function(65, bytes((QR_MODEL_2, 0))),
            qr_function(67, bytes((module_size,))),
            qr_function(69, bytes((QR_LEVEL_M,))),
            qr_function(80, b"0" + data.encode("utf-8")),
            qr_function(81, b"0"),
        )
    )


def bit_image(mask: Image.Image) -> bytes:
    """ESC * 33 nL nH d...: a 24-dot high image printed inline, in the text line."""
    width = mask.width
    return bytes((ESC, ord("*"), BIT_IMAGE_24_DOUBLE, width & 0xFF, width >> 8)) + to_bit_columns(
        mask
    )


def raster(mask: Image.Image) -> bytes:
    """GS v 0 bands of an ink mask; all-white bands become a paper feed (ESC J)."""
    out = bytearray()
    blank = 0
    for top in range(0, mask.height, RASTER_BAND_ROWS):
        band = mask.crop((0, top, mask.width, min(mask.height, top + RASTER_BAND_ROWS)))
        if band.getbbox() is None:
            blank += band.height
            continue
        out += _feed_dots_total(blank)
        blank = 0
        width_bytes, packed = to_raster(band)
        out += bytes((GS, ord("v"), ord("0"), 0, width_bytes & 0xFF, width_bytes >> 8,
                      band.height & 0xFF, band.height >> 8)) + packed
    return bytes(out + _feed_dots_total(blank))


def _feed_dots_total(dots: int) -> bytes:
    out = b""
    while dots > 0:
        step = min(dots, MAX_FEED_DOTS)
        out += feed_dots(step)
        dots -= step
    return out


def safe_char(char: str) -> str:
    """Control characters could inject printer commands: they print as '□'."""
    return REPLACEMENT if unicodedata.category(char) == "Cc" else char


def encode_text(text: str, encoding: str = "gb18030") -> bytes:
    """Bytes in the Chinese font's encoding; control and unencodable characters become '□'."""
    out = bytearray()
    for char in map(safe_char, text):
        try:
            out += char.encode(encoding)
        except UnicodeEncodeError:
            out += REPLACEMENT.encode(encoding)
    return bytes(out)


class NativeEncoder:
    """Turns layout elements into bytes for a printer with a Chinese ROM font."""

    def __init__(self, profile: PrinterProfile, glyphs: GlyphSource | None) -> None:
        self.profile = profile
        self.glyphs = glyphs
        self.out = bytearray(INIT + (CHINESE_ON if profile.has_chinese_font else b""))
        self.align: Align = "left"
        self.bold = False
        self.scale = 1

    def _set(self, align_to: Align, bold_on: bool, scale: int) -> None:
        if align_to != self.align:
            self.out += align(align_to)
            self.align = align_to
        if bold_on != self.bold:
            self.out += bold(bold_on)
            self.bold = bold_on
        if scale != self.scale:
            self.out += char_size(scale, scale)
            self.scale = scale

    def element(self, item: Element) -> None:
        if isinstance(item, Text):
            self.text(item)
        elif isinstance(item, QRCode):
            self.qr(item)
        elif isinstance(item, Rule):
            self._set("left", False, 1)
            self.out += b"-" * self.profile.columns + b"\n"
        elif isinstance(item, Feed):
            self.out += feed_lines(item.lines)
        elif isinstance(item, Cut):
            self.cut()
        else:
            raise TypeError(f"not a layout element: {item!r}")

    def _fitting_scale(self, item: Text) -> int:
        if not item.keep_whole:
            return item.scale
        scale = item.scale
        while scale > 1 and text_columns(item.text) * scale > self.profile.columns:
            scale -= 1
        return scale

    def text(self, item: Text) -> None:
        scale = self._fitting_scale(item)
        safe = "".join(map(safe_char, item.text))
        for line in wrap(safe, max(2, self.profile.columns // scale)):
            native = all(map(self.profile.prints_natively, line))
            if scale > 1 and not native and self.glyphs is not None:
                self._set(item.align, False, 1)
                self.out += raster(self._line_image(line, scale, item.bold, item.align))
                continue
            self._set(item.align, item.bold, scale)
            for chunk, printable in self._chunks(line):
                if printable or self.glyphs is None:
                    self.out += encode_text(chunk, self.profile.encoding or "gb18030")
                else:
                    self.out += bit_image(self._glyph_strip(chunk, item.bold))
            self.out += b"\n"

    def _chunks(self, line: str) -> Iterator[tuple[str, bool]]:
        chunk, kind = "", True
        for char in line:
            native = self.profile.prints_natively(char)
            if chunk and native != kind:
                yield chunk, kind
                chunk = ""
            chunk, kind = chunk + char, native
        if chunk:
            yield chunk, kind

    def _glyph_strip(self, chars: str, bold_on: bool) -> Image.Image:
        assert self.glyphs is not None
        strip = Image.new("L", (sum(cell_width(c) for c in chars), CELL_HEIGHT), PAPER)
        x = 0
        for char in chars:
            strip.paste(self.glyphs.mask(char, bold_on), (x, 0))
            x += cell_width(char)
        return strip

    def _line_image(self, line: str, scale: int, bold_on: bool, where: Align) -> Image.Image:
        strip = self._glyph_strip(line, bold_on)
        strip = strip.resize((strip.width * scale, strip.height * scale), Image.Resampling.NEAREST)
        paper = Image.new("L", (self.profile.paper_dots, strip.height + LINE_DOTS - CELL_HEIGHT),
                          PAPER)
        room = self.profile.paper_dots - strip.width
        x = {"left": 0, "center": room // 2, "right": room}[where]
        paper.paste(strip, (max(0, x), 0))
        return paper

    def qr(self, item: QRCode) -> None:
        self._set("center", False, 1)
        if self.profile.native_qr:
            self.out += qr_code(item.data, item.module_size)
        else:
            from .render import qr_image  # render imports this module

            image = qr_image(item.data, item.module_size, "M").point(
                lambda value: INK if value < 128 else PAPER)
            self.out += raster(image)

    def cut(self) -> None:
        self._set("left", False, 1)
        if self.profile.cut == "none":
            self.out += feed_lines(self.profile.tear_feed_lines)
        else:
            self.out += cut(CUT_FEED_DOTS, full=self.profile.cut == "full")


def encode_escpos(
    layout: ReceiptLayout, profile: PrinterProfile | None = None,
    glyphs: GlyphSource | None = None,
) -> bytes:
    """The ESC/POS byte stream for one receipt, starting with ESC @.

    Without ``glyphs`` a character the ROM font lacks is sent as '□' instead of a bitmap.
    """
    encoder = NativeEncoder(profile or get_profile(DEFAULT_PROFILE), glyphs)
    for item in layout.elements:
        encoder.element(item)
    return bytes(encoder.out)
