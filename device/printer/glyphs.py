"""Draw single characters as printer-dot bitmaps, for text the printer's ROM font lacks.

Fonts are tried in order (the primary CJK font, then fallbacks such as Droid Sans Fallback);
for a character none of them has, ``find_font`` (fontconfig, see kiosk.fonts) may name any
other installed font that has it. Only a character no font on the system has is drawn as a
box with its code point in hex (the "last resort" glyph), never as '?' or a wrong character.
"""

from __future__ import annotations

import threading
import unicodedata
from collections.abc import Callable, Sequence
from pathlib import Path

from PIL import Image, ImageChops, ImageDraw, ImageFont

CELL_HEIGHT = 24
NARROW_CELL = 12
WIDE_CELL = 24
FONT_SIZE = 22  # leaves room for descenders inside the 24-dot cell
BASELINE = 18
HEX_FONT_SIZE = 10
INK = 255
PAPER = 0
BLANK_CATEGORIES = ("Zs", "Zl", "Zp", "Cf")  # spaces and format characters: no ink
NOT_A_CHARACTER = "\U0010fffd"  # private use: no font draws it, so it shows .notdef

FontType = ImageFont.FreeTypeFont


def cell_width(char: str) -> int:
    """The printer puts ASCII in a 12-dot cell and everything else in a 24-dot cell."""
    return NARROW_CELL if " " <= char <= "~" else WIDE_CELL


class GlyphSource:
    """Glyph masks (mode L, 255 = ink) one cell wide and 24 dots high, cached."""

    def __init__(
        self, fonts: Sequence[Path], find_font: Callable[[str], Path | None] | None = None
    ) -> None:
        if not fonts:
            raise ValueError("GlyphSource needs at least one font")
        # (path, font, its missing-glyph mask); only ever appended to, as one tuple
        self._faces: list[tuple[Path, FontType, bytes]] = []
        for path in fonts:
            self._load(path)
        self.find_font = find_font
        self._asked: set[str] = set()
        self._lock = threading.Lock()  # the print worker and the virtual printer share one
        self._cache: dict[tuple[str, bool], Image.Image] = {}

    def _load(self, path: Path) -> tuple[Path, FontType, bytes]:
        font = ImageFont.truetype(str(path), FONT_SIZE)
        face = (path, font, self._raw_mask(font, NOT_A_CHARACTER))
        self._faces.append(face)
        return face

    @property
    def paths(self) -> list[Path]:
        return [path for path, _, _ in self._faces]

    @property
    def primary(self) -> FontType:
        return self._faces[0][1]

    def _raw_mask(self, font: FontType, char: str) -> bytes:
        return bytes(font.getmask(char, mode="L"))

    def font_for(self, char: str) -> FontType | None:
        """The first font that really draws ``char`` (not its missing-glyph box)."""
        if char.isspace() or unicodedata.category(char) in BLANK_CATEGORIES:
            return self.primary
        for _, font, notdef in list(self._faces):
            if self._draws(font, notdef, char):
                return font
        with self._lock:
            if self.find_font is None or char in self._asked:
                return None
            self._asked.add(char)
            path = self.find_font(char)
            if path is None or path in self.paths:
                return None
            _, font, notdef = self._load(path)  # kept for later rare characters too
        return font if self._draws(font, notdef, char) else None

    def _draws(self, font: FontType, notdef: bytes, char: str) -> bool:
        # some fonts map a character to an empty outline (WenQuanYi Micro Hei's ℃): no ink
        # counts as missing, like the missing-glyph box
        mask = self._raw_mask(font, char)
        return mask != notdef and any(mask)

    def mask(self, char: str, bold: bool = False) -> Image.Image:
        key = (char, bold)
        if key not in self._cache:
            self._cache[key] = self._draw(char, cell_width(char), bold)
        return self._cache[key]

    def _draw(self, char: str, cell: int, bold: bool) -> Image.Image:
        font = self.font_for(char)
        if font is None:
            return self._last_resort(char, cell)
        scratch = Image.new("L", (WIDE_CELL * 2, CELL_HEIGHT), PAPER)
        ImageDraw.Draw(scratch).text((WIDE_CELL, BASELINE), char, font=font, fill=INK,
                                     anchor="ms")
        mask = Image.new("L", (cell, CELL_HEIGHT), PAPER)
        box = scratch.getbbox()
        if box is not None:
            ink = scratch.crop((box[0], 0, box[2], CELL_HEIGHT))
            if ink.width > cell - 1:
                ink = ink.resize((cell - 1, CELL_HEIGHT), Image.Resampling.BOX)
            mask.paste(ink, ((cell - ink.width) // 2, 0))
        mask = mask.point(lambda value: INK if value >= 128 else PAPER)
        if bold:  # emphasized = the glyph struck twice, one dot apart
            mask = ImageChops.lighter(mask, ImageChops.offset(mask, 1, 0))
        return mask

    def _last_resort(self, char: str, cell: int) -> Image.Image:
        mask = Image.new("L", (WIDE_CELL, CELL_HEIGHT), PAPER)
        draw = ImageDraw.Draw(mask)
        draw.rectangle((1, 1, WIDE_CELL - 2, CELL_HEIGHT - 2), outline=INK)
        digits = f"{ord(char):X}"
        small = self.primary.font_variant(size=HEX_FONT_SIZE)
        half = (len(digits) + 1) // 2
        for row, part in enumerate((digits[:half], digits[half:])):
            draw.text((WIDE_CELL // 2, 11 + row * 9), part, font=small, fill=INK, anchor="ms")
        return mask.point(lambda value: INK if value >= 128 else PAPER)


def to_bit_columns(mask: Image.Image) -> bytes:
    """ESC * 24-dot data: per column 3 bytes, top dot in the high bit of the first byte."""
    width, height = mask.size
    if height != CELL_HEIGHT:
        raise ValueError(f"24-dot bit image needs a 24-dot high mask, got {height}")
    pixels = mask.load()
    assert pixels is not None
    out = bytearray()
    for x in range(width):
        for band in range(3):
            byte = 0
            for bit in range(8):
                if int(pixels[x, band * 8 + bit]) >= 128:  # type: ignore[arg-type]
                    byte |= 0x80 >> bit
            out.append(byte)
    return bytes(out)


def to_raster(image: Image.Image) -> tuple[int, bytes]:
    """GS v 0 data of a mask (255 = ink): bytes per row and the packed rows, MSB left."""
    width_bytes = (image.width + 7) // 8
    padded = Image.new("L", (width_bytes * 8, image.height), PAPER)
    padded.paste(image, (0, 0))
    # mode "1" packs 8 pixels per byte, leftmost in the high bit; ink (255) becomes bit 1,
    # which is a black dot on the printer
    packed = padded.point(lambda value: 255 if value >= 128 else 0).convert("1").tobytes()
    return width_bytes, packed


def ink_mask(paper: Image.Image) -> Image.Image:
    """A black-on-white image turned into an ink mask (255 = ink)."""
    return ImageChops.invert(paper.convert("L"))
