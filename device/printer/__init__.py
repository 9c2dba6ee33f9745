"""Receipt printing: layout -> ESC/POS bytes for a printer profile -> spool -> printer."""

from .decode import (
    Decoded,
    DecodedCut,
    DecodedFeed,
    DecodedImage,
    DecodedQR,
    DecodedText,
    EscPosDecodeError,
    InlineImage,
    TextRun,
    decode_escpos,
    decoded_text,
)
from .escpos import encode_escpos
from .factory import PRINTER_KINDS, make_link, make_printer
from .glyphs import GlyphSource
from .layout import (
    Align,
    Cut,
    Element,
    Feed,
    QRCode,
    ReceiptLayout,
    Rule,
    Text,
    layout_from_dict,
    layout_to_dict,
)
from .linebreak import text_columns, wrap
from .links import LinkError
from .lock import DeviceBusy, DeviceLock
from .profiles import (
    DEFAULT_PROFILE,
    PrinterProfile,
    UnknownProfileError,
    get_profile,
    load_profiles,
)
from .raster import encode_as_image, encode_receipt
from .render import render_image, render_png
from .spool import PrintJob, Spool
from .status import PrinterState
from .transport import LinkPrinter, Printer, PrintOutcome
from .virtual import VirtualPrinter
from .virtual_device import VirtualEscPosPrinter
from .worker import PrinterReport, PrintWorker, read_report

__all__ = [
    "DEFAULT_PROFILE",
    "PRINTER_KINDS",
    "Align",
    "Cut",
    "Decoded",
    "DecodedCut",
    "DecodedFeed",
    "DecodedImage",
    "DecodedQR",
    "DecodedText",
    "DeviceBusy",
    "DeviceLock",
    "Element",
    "EscPosDecodeError",
    "Feed",
    "GlyphSource",
    "InlineImage",
    "LinkError",
    "LinkPrinter",
    "PrintJob",
    "PrintOutcome",
    "PrintWorker",
    "Printer",
    "PrinterProfile",
    "PrinterReport",
    "PrinterState",
    "QRCode",
    "ReceiptLayout",
    "Rule",
    "Spool",
    "Text",
    "TextRun",
    "UnknownProfileError",
    "VirtualEscPosPrinter",
    "VirtualPrinter",
    "decode_escpos",
    "decoded_text",
    "encode_as_image",
    "encode_escpos",
    "encode_receipt",
    "get_profile",
    "layout_from_dict",
    "layout_to_dict",
    "load_profiles",
    "make_link",
    "make_printer",
    "read_report",
    "render_image",
    "render_png",
    "text_columns",
    "wrap",
]
