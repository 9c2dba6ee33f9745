"""Receipt printing: layout -> ESC/POS bytes -> printer (real device or files + PNG)."""

from .decode import (
    Decoded,
    DecodedCut,
    DecodedFeed,
    DecodedQR,
    DecodedText,
    EscPosDecodeError,
    TextRun,
    decode_escpos,
    decoded_text,
)
from .escpos import encode_escpos
from .factory import PRINTER_KINDS, make_printer
from .layout import Align, Cut, Element, Feed, QRCode, ReceiptLayout, Rule, Text
from .render import render_image, render_png
from .transport import FilePrinter, Printer, PrintOutcome
from .virtual import VirtualPrinter

__all__ = [
    "PRINTER_KINDS",
    "Align",
    "Cut",
    "Decoded",
    "DecodedCut",
    "DecodedFeed",
    "DecodedQR",
    "DecodedText",
    "Element",
    "EscPosDecodeError",
    "Feed",
    "FilePrinter",
    "PrintOutcome",
    "Printer",
    "QRCode",
    "ReceiptLayout",
    "Rule",
    "Text",
    "TextRun",
    "VirtualPrinter",
    "decode_escpos",
    "decoded_text",
    "encode_escpos",
    "make_printer",
    "render_image",
    "render_png",
]
