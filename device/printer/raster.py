"""The receipt for a profile: native text where the printer has a Chinese font, else raster.

A printer without a Chinese font gets the whole receipt drawn here, exactly as our preview
draws native receipts, and sent as GS v 0 raster bands.
"""

from __future__ import annotations

from dataclasses import replace

from .decode import decode_escpos
from .escpos import INIT, NativeEncoder, encode_escpos, raster
from .glyphs import GlyphSource, ink_mask
from .layout import Cut, Element, ReceiptLayout
from .profiles import PrinterProfile
from .render import render_items


def _segments(layout: ReceiptLayout) -> list[tuple[list[Element], bool]]:
    """Runs of elements, each with whether a Cut ends it."""
    segments: list[tuple[list[Element], bool]] = []
    current: list[Element] = []
    for item in layout.elements:
        if isinstance(item, Cut):
            segments.append((current, True))
            current = []
        else:
            current.append(item)
    if current:
        segments.append((current, False))
    return segments


def encode_as_image(layout: ReceiptLayout, profile: PrinterProfile, glyphs: GlyphSource) -> bytes:
    """The whole receipt as raster images (plus the profile's cut): no font needed."""
    drawing = replace(profile, encoding="gb18030", native_qr=True)
    encoder = NativeEncoder(profile, glyphs)  # only for the cut command
    encoder.out = bytearray(INIT)
    for elements, cut_after in _segments(layout):
        native = encode_escpos(ReceiptLayout(tuple(elements), profile.columns), drawing, glyphs)
        paper = render_items(decode_escpos(native), glyphs, profile.paper_dots, margin=0)
        encoder.out += raster(ink_mask(paper))
        if cut_after:
            encoder.cut()
    return bytes(encoder.out)


def encode_receipt(layout: ReceiptLayout, profile: PrinterProfile, glyphs: GlyphSource) -> bytes:
    """What the printer of ``profile`` is sent for ``layout``."""
    if profile.has_chinese_font:
        return encode_escpos(layout, profile, glyphs)
    return encode_as_image(layout, profile, glyphs)
