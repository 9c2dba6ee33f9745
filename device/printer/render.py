"""Draw decoded ESC/POS bytes as a 1-bit PNG of the paper, one pixel per printer dot.

Geometry follows a 203 dpi printer in Chinese mode: ASCII cells are 12x24 dots,
Chinese cells 24x24, GS ! multiplies them; lines wider than the paper wrap.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

import qrcode
from PIL import Image, ImageDraw

from .decode import (
    Decoded,
    DecodedCut,
    DecodedFeed,
    DecodedImage,
    DecodedQR,
    DecodedText,
    InlineImage,
    decode_escpos,
)
from .glyphs import CELL_HEIGHT, GlyphSource, cell_width
from .layout import Align

LINE_GAP = 6  # 24-dot glyphs + 6 = the usual 30-dot default line spacing
MARGIN = 12
QR_QUIET_ZONE = 4
DASH = 8
WHITE = 255
BLACK = 0

Fonts = Path | Sequence[Path] | GlyphSource


@dataclass(frozen=True)
class _Piece:
    """One character or inline image on a line: its ink mask and how far it advances."""

    mask: Image.Image

    @property
    def advance(self) -> int:
        return self.mask.width


@dataclass(frozen=True)
class _Block:
    """A horizontal band of paper; ``image`` None means blank paper."""

    height: int
    image: Image.Image | None = None
    x: int = 0


def glyph_source(fonts: Fonts) -> GlyphSource:
    if isinstance(fonts, GlyphSource):
        return fonts
    return GlyphSource([fonts] if isinstance(fonts, Path) else list(fonts))


def _x_for(align: Align, width: int, paper_dots: int) -> int:
    if align == "center":
        return max(0, (paper_dots - width) // 2)
    if align == "right":
        return max(0, paper_dots - width)
    return 0


def _wrap(pieces: list[_Piece], paper_dots: int) -> list[list[_Piece]]:
    lines: list[list[_Piece]] = [[]]
    used = 0
    for piece in pieces:
        if lines[-1] and used + piece.advance > paper_dots:
            lines.append([])
            used = 0
        lines[-1].append(piece)
        used += piece.advance
    return lines


def _bit_image_mask(run: InlineImage) -> Image.Image:
    mask = Image.new("L", (run.width, CELL_HEIGHT), BLACK)
    pixels = mask.load()
    assert pixels is not None
    for x in range(run.width):
        column = int.from_bytes(run.columns[3 * x : 3 * x + 3], "big")
        for y in range(CELL_HEIGHT):
            if column & (1 << (CELL_HEIGHT - 1 - y)):
                pixels[x, y] = WHITE
    return mask


def _pieces(item: DecodedText, glyphs: GlyphSource) -> list[_Piece]:
    pieces = []
    for run in item.runs:
        if isinstance(run, InlineImage):
            pieces.append(_Piece(_bit_image_mask(run)))
            continue
        for char in run.text:
            mask = glyphs.mask(char, run.bold)
            if run.width != 1 or run.height != 1:
                size = (cell_width(char) * run.width, CELL_HEIGHT * run.height)
                mask = mask.resize(size, Image.Resampling.NEAREST)
            pieces.append(_Piece(mask))
    return pieces


def _text_blocks(item: DecodedText, glyphs: GlyphSource, paper_dots: int) -> list[_Block]:
    blocks = []
    for line in _wrap(_pieces(item, glyphs), paper_dots):
        text_height = max(piece.mask.height for piece in line)
        image = Image.new("L", (paper_dots, text_height + LINE_GAP), WHITE)
        x = _x_for(item.align, sum(piece.advance for piece in line), paper_dots)
        for piece in line:
            image.paste(BLACK, (x, text_height - piece.mask.height), piece.mask)
            x += piece.advance
        blocks.append(_Block(image.height, image))
    return blocks


def qr_image(data: str, module_size: int, error_level: str = "M") -> Image.Image:
    """The QR symbol with its quiet zone, one module = ``module_size`` dots."""
    levels = {
        "L": qrcode.constants.ERROR_CORRECT_L,
        "M": qrcode.constants.ERROR_CORRECT_M,
        "Q": qrcode.constants.ERROR_CORRECT_Q,
        "H": qrcode.constants.ERROR_CORRECT_H,
    }
    code = qrcode.QRCode(error_correction=levels[error_level], border=QR_QUIET_ZONE)
    code.add_data(data)
    code.make(fit=True)
    matrix: list[list[bool]] = code.get_matrix()
    modules = Image.new("L", (len(matrix), len(matrix)), WHITE)
    modules.putdata([BLACK if dark else WHITE for row in matrix for dark in row])
    side = len(matrix) * module_size
    return modules.resize((side, side), Image.Resampling.NEAREST)


def _raster_block(item: DecodedImage, paper_dots: int) -> _Block:
    ink = Image.frombytes("1", (item.width_bytes * 8, item.height), item.data)
    image = ink.convert("L").point(lambda value: BLACK if value else WHITE)
    return _Block(item.height, image, _x_for(item.align, image.width, paper_dots))


def _cut_block(item: DecodedCut, paper_dots: int) -> _Block:
    height = item.feed_dots + 2 * MARGIN
    image = Image.new("L", (paper_dots, height), WHITE)
    draw = ImageDraw.Draw(image)
    y = height // 2
    for x in range(0, paper_dots, DASH * 2):
        draw.rectangle((x, y, x + DASH - 1, y + 1), fill=BLACK)
    return _Block(height, image)


def _blocks(items: list[Decoded], glyphs: GlyphSource, paper_dots: int) -> list[_Block]:
    blocks: list[_Block] = []
    for item in items:
        if isinstance(item, DecodedText):
            blocks += _text_blocks(item, glyphs, paper_dots)
        elif isinstance(item, DecodedQR):
            image = qr_image(item.data, item.module_size, item.error_level)
            blocks.append(_Block(image.height, image, _x_for(item.align, image.width, paper_dots)))
        elif isinstance(item, DecodedImage):
            blocks.append(_raster_block(item, paper_dots))
        elif isinstance(item, DecodedFeed):
            blocks.append(_Block(item.lines * (CELL_HEIGHT + LINE_GAP) + item.dots))
        else:
            blocks.append(_cut_block(item, paper_dots))
    return blocks


def render_items(
    items: list[Decoded], fonts: Fonts, paper_dots: int = 576, margin: int = MARGIN
) -> Image.Image:
    """Decoded items as paper, mode L (black ink on white), ``paper_dots`` wide."""
    blocks = _blocks(items, glyph_source(fonts), paper_dots)
    paper = Image.new("L", (paper_dots, 2 * margin + sum(block.height for block in blocks)), WHITE)
    y = margin
    for block in blocks:
        if block.image is not None:
            paper.paste(block.image, (block.x, y))
        y += block.height
    return paper


def render_image(data: bytes, fonts: Fonts, paper_dots: int = 576) -> Image.Image:
    """The paper as a 1-bit image (black ink on white), ``paper_dots`` wide."""
    paper = render_items(decode_escpos(data), fonts, paper_dots)
    return paper.convert("1", dither=Image.Dither.NONE)


def render_png(data: bytes, fonts: Fonts, out_path: Path, paper_dots: int = 576) -> Path:
    """Decode ESC/POS ``data`` and save the printed paper as a PNG at ``out_path``."""
    render_image(data, fonts, paper_dots).save(out_path, format="PNG")
    return out_path
