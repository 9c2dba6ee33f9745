"""Encode a ReceiptLayout into ESC/POS bytes (Epson command set, Chinese mode).

Chinese text is sent in the printer's Chinese character mode (FS &) as GB18030.
"""

from __future__ import annotations

import unicodedata

from .layout import Align, Cut, Element, Feed, QRCode, ReceiptLayout, Rule, Text

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
CUT_FEED_DOTS = 3


def align(value: Align) -> bytes:
    """ESC a n: justification (takes effect at the start of a line)."""
    return bytes((ESC, ord("a"), ALIGN_CODES[value]))


def bold(on: bool) -> bytes:
    """ESC E n: emphasized mode."""
    return bytes((ESC, ord("E"), int(on)))


def char_size(width: int, height: int) -> bytes:
    """GS ! n: width multiplier in the high nibble, height in the low nibble."""
    return bytes((GS, ord("!"), ((width - 1) << 4) | (height - 1)))


def feed_lines(lines: int) -> bytes:
    """ESC d n: print the buffer and feed n lines."""
    return bytes((ESC, ord("d"), lines))


def cut(feed_dots: int = CUT_FEED_DOTS) -> bytes:
    """GS V 66 n: feed to the cutter plus n dots, then partial cut."""
    return bytes((GS, ord("V"), CUT_PARTIAL_WITH_FEED, feed_dots))


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


def encode_text(text: str) -> bytes:
    """GB18030 bytes; control characters and unencodable ones become '□'.

    Control characters are replaced so user text can never inject printer commands.
    GB18030 covers all of Unicode except lone surrogates, but printer fonts usually
    lack the 4-byte range (emoji, rare CJK); those are sent as-is for now.
    """
    out = bytearray()
    for char in text:
        if unicodedata.category(char) == "Cc":
            char = REPLACEMENT
        try:
            out += char.encode("gb18030")
        except UnicodeEncodeError:
            out += REPLACEMENT.encode("gb18030")
    return bytes(out)


def _text_line(item: Text) -> bytes:
    return b"".join(
        (
            align(item.align),
            bold(item.bold),
            char_size(item.scale, item.scale),
            CHINESE_ON,
            encode_text(item.text),
            CHINESE_OFF,
            b"\n",
            char_size(1, 1),
            bold(False),
            align("left"),
        )
    )


def _element(item: Element, columns: int) -> bytes:
    if isinstance(item, Text):
        return _text_line(item)
    if isinstance(item, QRCode):
        return align("center") + qr_code(item.data, item.module_size) + align("left")
    if isinstance(item, Rule):
        return b"-" * columns + b"\n"
    if isinstance(item, Feed):
        return feed_lines(item.lines)
    if isinstance(item, Cut):
        return cut()
    raise TypeError(f"not a layout element: {item!r}")


def encode_escpos(layout: ReceiptLayout) -> bytes:
    """The complete ESC/POS byte stream for one receipt, starting with ESC @."""
    return INIT + b"".join(_element(item, layout.columns) for item in layout.elements)
