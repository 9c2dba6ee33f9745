"""Draw decoded ESC/POS bytes as a 1-bit PNG of the paper, one pixel per printer dot.

Geometry follows a 203 dpi printer in Chinese mode: ASCII cells are 12x24 dots,
Chinese cells 24x24, GS ! multiplies them; lines wider than the paper wrap.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import qrcode
from PIL import Image, ImageChops, ImageDraw, ImageFont

from .decode import Decoded, DecodedCut, DecodedFeed, DecodedQR, DecodedText, decode_escpos
from .layout import Align

CELL_HEIGHT = 24
NARROW_CELL = 12
WIDE_CELL = 24
LINE_GAP = 6  # 24-dot glyphs + 6 = the usual 30-dot default line spacing
FONT_SIZE = 22  # leaves room for descenders inside the 24-dot cell
BASELINE = 18
MARGIN = 12
QR_QUIET_ZONE = 4
DASH = 8
WHITE = 255
BLACK = 0

FontType = ImageFont.FreeTypeFont


@dataclass(frozen=True)
class _Glyph:
    char: str
    cell: int
    width: int
    height: int
    bold: bool

    @property
    def advance(self) -> int:
        return self.cell * self.width


@dataclass(frozen=True)
class _Block:
    """A horizontal band of paper; ``image`` None means blank paper."""

    height: int
    image: Image.Image | None = None
    x: int = 0


def _cell_width(char: str) -> int:
    # the printer draws every multi-byte GB18030 character in a full-width cell
    return WIDE_CELL if len(char.encode("gb18030", errors="replace")) > 1 else NARROW_CELL


class _GlyphCache:
    def __init__(self, font: FontType) -> None:
        self.font = font
        self.cache: dict[tuple[str, int, bool], Image.Image] = {}

    def base(self, char: str, cell: int, bold: bool) -> Image.Image:
        """A cell x 24 mask (255 = ink) for one character at scale 1."""
        key = (char, cell, bold)
        if key not in self.cache:
            self.cache[key] = self._draw(char, cell, bold)
        return self.cache[key]

    def _draw(self, char: str, cell: int, bold: bool) -> Image.Image:
        scratch = Image.new("L", (WIDE_CELL * 2, CELL_HEIGHT), BLACK)
        ImageDraw.Draw(scratch).text(
            (WIDE_CELL, BASELINE), char, font=self.font, fill=WHITE, anchor="ms"
        )
        mask = Image.new("L", (cell, CELL_HEIGHT), BLACK)
        box = scratch.getbbox()
        if box is not None:
            ink = scratch.crop((box[0], 0, box[2], CELL_HEIGHT))
            if ink.width > cell - 1:
                ink = ink.resize((cell - 1, CELL_HEIGHT), Image.Resampling.BOX)
            mask.paste(ink, ((cell - ink.width) // 2, 0))
        mask = mask.point(lambda value: WHITE if value >= 128 else BLACK)
        if bold:  # emphasized = the glyph struck twice, one dot apart
            mask = ImageChops.lighter(mask, ImageChops.offset(mask, 1, 0))
        return mask

    def scaled(self, glyph: _Glyph) -> Image.Image:
        base = self.base(glyph.char, glyph.cell, glyph.bold)
        if glyph.width == glyph.height == 1:
            return base
        size = (glyph.cell * glyph.width, CELL_HEIGHT * glyph.height)
        return base.resize(size, Image.Resampling.NEAREST)


def _x_for(align: Align, width: int, paper_dots: int) -> int:
    if align == "center":
        return max(0, (paper_dots - width) // 2)
    if align == "right":
        return max(0, paper_dots - width)
    return 0


def _wrap(glyphs: list[_Glyph], paper_dots: int) -> list[list[_Glyph]]:
    lines: list[list[_Glyph]] = [[]]
    used = 0
    for glyph in glyphs:
        if lines[-1] and used + glyph.advance > paper_dots:
            lines.append([])
            used = 0
        lines[-1].append(glyph)
        used += glyph.advance
    return lines


def _text_blocks(item: DecodedText, cache: _GlyphCache, paper_dots: int) -> list[_Block]:
    glyphs = [
        _Glyph(char, _cell_width(char), run.width, run.height, run.bold)
        for run in item.runs
        for char in run.text
    ]
    blocks = []
    for line in _wrap(glyphs, paper_dots):
        text_height = max(CELL_HEIGHT * glyph.height for glyph in line)
        image = Image.new("L", (paper_dots, text_height + LINE_GAP), WHITE)
        x = _x_for(item.align, sum(glyph.advance for glyph in line), paper_dots)
        for glyph in line:
            mask = cache.scaled(glyph)
            image.paste(BLACK, (x, text_height - mask.height), mask)
            x += glyph.advance
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


def _cut_block(item: DecodedCut, paper_dots: int) -> _Block:
    height = item.feed_dots + 2 * MARGIN
    image = Image.new("L", (paper_dots, height), WHITE)
    draw = ImageDraw.Draw(image)
    y = height // 2
    for x in range(0, paper_dots, DASH * 2):
        draw.rectangle((x, y, x + DASH - 1, y + 1), fill=BLACK)
    return _Block(height, image)


def _blocks(items: list[Decoded], font: FontType, paper_dots: int) -> list[_Block]:
    cache = _GlyphCache(font)
    blocks: list[_Block] = []
    for item in items:
        if isinstance(item, DecodedText):
            blocks += _text_blocks(item, cache, paper_dots)
        elif isinstance(item, DecodedQR):
            image = qr_image(item.data, item.module_size, item.error_level)
            blocks.append(_Block(image.height, image, _x_for(item.align, image.width, paper_dots)))
        elif isinstance(item, DecodedFeed):
            blocks.append(_Block(item.lines * (CELL_HEIGHT + LINE_GAP)))
        else:
            blocks.append(_cut_block(item, paper_dots))
    return blocks


def render_image(data: bytes, font_path: Path, paper_dots: int = 576) -> Image.Image:
    """The paper as a 1-bit image (black ink on white), ``paper_dots`` wide."""
    font = ImageFont.truetype(str(font_path), FONT_SIZE)
    blocks = _blocks(decode_escpos(data), font, paper_dots)
    paper = Image.new("L", (paper_dots, 2 * MARGIN + sum(block.height for block in blocks)), WHITE)
    y = MARGIN
    for block in blocks:
        if block.image is not None:
            paper.paste(block.image, (block.x, y))
        y += block.height
    return paper.convert("1", dither=Image.Dither.NONE)


def render_png(data: bytes, font_path: Path, out_path: Path, paper_dots: int = 576) -> Path:
    """Decode ESC/POS ``data`` and save the printed paper as a PNG at ``out_path``."""
    render_image(data, font_path, paper_dots).save(out_path, format="PNG")
    return out_path
