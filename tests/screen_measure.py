"""Measuring a screenshot as a person with a ruler would: how big a button is drawn, how
tall each line of text is, and the contrast between text and what is behind it (WCAG)."""

from __future__ import annotations

import math
from dataclasses import dataclass

from PIL import Image, ImageChops

Box = tuple[int, int, int, int]
"""left, top, width, height in screenshot pixels."""
Colour = tuple[int, int, int]

FILL_THRESH = 12
"""A pixel this close to a button's corner colour (summed over R, G, B) is the button's."""
INK_THRESHOLD = 48
"""A pixel this far (0-255, luminance of the difference) from the background is ink."""


def px_per_mm(width: int, height: int, diagonal_inches: float) -> float:
    return math.hypot(width, height) / (diagonal_inches * 25.4)


def luminance(colour: Colour) -> float:
    def channel(value: int) -> float:
        c = value / 255
        return c / 12.92 if c <= 0.04045 else ((c + 0.055) / 1.055) ** 2.4

    r, g, b = (channel(v) for v in colour)
    return 0.2126 * r + 0.7152 * g + 0.0722 * b


def contrast(a: Colour, b: Colour) -> float:
    high, low = sorted((luminance(a), luminance(b)), reverse=True)
    return (high + 0.05) / (low + 0.05)


def _crop(image: Image.Image, box: Box) -> Image.Image:
    left, top, width, height = box
    return image.convert("RGB").crop((left, top, left + width, top + height))


def background(image: Image.Image, box: Box) -> Colour:
    """The colour most of the box is painted in."""
    crop = _crop(image, box)
    colours = crop.getcolors(crop.width * crop.height) or []
    return max(colours)[1]


def drawn_size(image: Image.Image, box: Box) -> tuple[int, int]:
    """Width and height of the solid area a button paints, found by flood-filling its
    background from inside one corner of ``box``: what a finger can hit."""
    left, top, _, _ = box
    rgb = image.convert("RGB")
    seed = (left + 2, top + 2)
    colour = rgb.getpixel(seed)
    assert isinstance(colour, tuple)
    # pixels within FILL_THRESH of the corner's colour (the sum of the channels' differences)
    red, green, blue = ImageChops.difference(rgb, Image.new("RGB", rgb.size, colour)).split()
    near = ImageChops.add(ImageChops.add(red, green), blue).point(
        lambda v: 255 if v <= FILL_THRESH else 0)
    data, width = near.tobytes(), rgb.width
    rows = [data[y * width:(y + 1) * width] for y in range(rgb.height)]
    found = _filled_box(rows, *seed)
    assert found is not None, f"nothing drawn at {box}"
    return found[2] - found[0], found[3] - found[1]


def _span(row: bytes, x: int) -> tuple[int, int]:
    """The run of near pixels through ``x``: [start, end)."""
    end = row.find(b"\x00", x)
    return row.rfind(b"\x00", 0, x) + 1, len(row) if end < 0 else end


def _filled_box(rows: list[bytes], x: int, y: int) -> tuple[int, int, int, int] | None:
    """Bounding box (left, top, right, bottom) of the 4-connected near pixels reached from
    (x, y): a scan-line fill whose searches run in C, not pixel by pixel."""
    if rows[y][x] == 0:
        return None
    first = _span(rows[y], x)
    filled: dict[int, list[tuple[int, int]]] = {y: [first]}
    stack = [(y, *first)]
    box = [first[0], y, first[1], y + 1]
    while stack:
        row_y, start, end = stack.pop()
        for next_y in (row_y - 1, row_y + 1):
            if not 0 <= next_y < len(rows):
                continue
            row, pos = rows[next_y], start
            while pos < end:
                hit = row.find(b"\xff", pos, end)
                if hit < 0:
                    break
                span = _span(row, hit)
                pos = span[1]
                done = filled.setdefault(next_y, [])
                if any(a <= hit < b for a, b in done):
                    continue
                done.append(span)
                stack.append((next_y, *span))
                box = [min(box[0], span[0]), min(box[1], next_y), max(box[2], span[1]),
                       max(box[3], next_y + 1)]
    return box[0], box[1], box[2], box[3]


@dataclass(frozen=True)
class TextFacts:
    lines: list[int]
    """Ink height of each line of text, in pixels, top to bottom."""
    contrast: float
    """Between the text's colour and its background."""
    ink_box: tuple[int, int, int, int] | None
    """Where ink is, relative to the box less its rim (left, top, right, bottom)."""
    size: tuple[int, int]
    """Width and height of the box less its rim."""


def text_facts(image: Image.Image, box: Box, *, min_pixels: int = 12) -> TextFacts:
    """Lines of text drawn in ``box`` (less a 2 px rim that rounding may leave outside the
    widget): ink is any pixel visibly unlike the background."""
    left, top, width, height = box
    box = (left + 2, top + 2, width - 4, height - 4)
    crop = _crop(image, box)
    bg = background(image, box)
    colours = crop.getcolors(crop.width * crop.height) or []
    solid = [c for n, c in colours if n >= min_pixels]
    text_colour = max(solid, key=lambda c: contrast(c, bg)) if solid else bg
    # ink: pixels clearly unlike the background (antialiased edges included)
    unlike = ImageChops.difference(crop, Image.new("RGB", crop.size, bg)).convert("L")
    mask = unlike.point(lambda v: 255 if v > INK_THRESHOLD else 0)
    # each row's mean, in floating point so that a single inked pixel still counts
    per_row = mask.convert("F").resize((1, crop.height), Image.Resampling.BOX)
    rows = [per_row.getpixel((0, y)) > 0 for y in range(crop.height)]
    return TextFacts(_runs(rows), contrast(text_colour, bg), mask.getbbox(), crop.size)


def _runs(rows: list[bool], bridge: int = 3) -> list[int]:
    """Heights of the runs of inked rows (gaps up to ``bridge`` rows belong to one line)."""
    heights: list[int] = []
    start: int | None = None
    last = -10
    for y, inked in enumerate(rows):
        if not inked:
            continue
        if start is None:
            start = y
        elif y - last > bridge + 1:
            heights.append(last - start + 1)
            start = y
        last = y
    if start is not None:
        heights.append(last - start + 1)
    return heights
