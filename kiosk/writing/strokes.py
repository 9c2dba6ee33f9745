"""Finger-like strokes from stroke medians, for tests, benchmarks and drawing on the pad.

Medians (Make Me a Hanzi, as shipped in hanzi-writer-data) are a few points per stroke in a
1024 box with y pointing up and the baseline at y = -124. A finger on a touch screen gives many
points along the line, never quite straight, the character smaller than the pad and off
centre; `finger_strokes` imitates that, deterministically from a seed.
"""

from __future__ import annotations

import itertools
import json
import math
import random
import zlib
from collections.abc import Sequence
from pathlib import Path

from kiosk.writing.handwriting import Point

Medians = list[list[int]]  # per stroke: x0, y0, x1, y1, … (flattened, as stored)

_TOP = 900  # the medians' y of the top of the em box
_SIZE = 1024


def load_stroke_set(path: Path) -> dict[str, Medians]:
    """The characters and their medians from a medians.json file."""
    data = json.loads(Path(path).read_text(encoding="utf-8"))
    chars: dict[str, Medians] = data["chars"]
    return chars


def _resample(points: Sequence[Point], step: float) -> list[Point]:
    """Points every `step` along the polyline, the ends kept."""
    if len(points) < 2:
        return list(points)
    out = [points[0]]
    since = 0.0  # distance along the line since the last point given out
    for (x0, y0), (x1, y1) in itertools.pairwise(points):
        length = math.hypot(x1 - x0, y1 - y0)
        at = step - since
        while at <= length:
            t = at / length
            out.append((x0 + (x1 - x0) * t, y0 + (y1 - y0) * t))
            at += step
        since = length - (at - step)
    if out[-1] != points[-1]:
        out.append(points[-1])
    return out


def finger_strokes(char: str, medians: Medians, width: float, height: float,
                   seed: int = 0, jitter: float = 1.0) -> list[list[Point]]:
    """The character written on a `width` x `height` pad (y down), as a finger would.

    `jitter` scales the randomness: 0 gives the clean medians, 1 ordinary writing.
    """
    rng = random.Random(zlib.crc32(char.encode()) ^ seed)
    side = min(width, height)
    scale = side / _SIZE * (1 - jitter * rng.uniform(0.1, 0.3))  # written smaller than the pad
    drawn = _SIZE * scale
    left = (width - drawn) / 2 + jitter * rng.uniform(-0.05, 0.05) * side
    top = (height - drawn) / 2 + jitter * rng.uniform(-0.05, 0.05) * side
    slant = jitter * rng.uniform(-0.06, 0.06)  # a little shear, as hands slope
    step = side / 60
    strokes: list[list[Point]] = []
    for flat in medians:
        ox = jitter * rng.gauss(0, 0.012) * side
        oy = jitter * rng.gauss(0, 0.012) * side
        corners: list[Point] = []
        for i in range(0, len(flat), 2):
            u = flat[i] * scale
            v = (_TOP - flat[i + 1]) * scale
            corners.append((left + u + slant * (v - drawn / 2) + ox, top + v + oy))
        stroke = [(x + jitter * rng.gauss(0, 0.003) * side,
                   y + jitter * rng.gauss(0, 0.003) * side)
                  for x, y in _resample(corners, step)]
        strokes.append(stroke)
    return strokes
