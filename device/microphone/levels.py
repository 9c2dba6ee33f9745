"""Loudness of a chunk of S16_LE audio, for the level meter and to tell speech from silence."""

from __future__ import annotations

import math
import sys
from array import array

FLOOR_DBFS = -50.0
"""The meter's zero: a quiet room through a kiosk microphone stays below this."""
FULL_DBFS = -10.0
"""The meter's top: loud speech close to the microphone."""


def rms_dbfs(chunk: bytes) -> float:
    """Root-mean-square loudness in dB below full scale; -inf for digital silence."""
    samples = array("h", chunk[: len(chunk) - len(chunk) % 2])
    if not samples:
        return -math.inf
    if sys.byteorder == "big":
        samples.byteswap()
    power = sum(s * s for s in samples) / len(samples)
    if power == 0:
        return -math.inf
    return 10 * math.log10(power / 32768.0**2)


def level_of(chunk: bytes) -> float:
    """0..1 on a decibel scale between FLOOR_DBFS and FULL_DBFS, as a meter shows it."""
    return meter_level(rms_dbfs(chunk))


def meter_level(db: float) -> float:
    """A loudness in dBFS as the meter shows it, 0..1."""
    return min(1.0, max(0.0, (db - FLOOR_DBFS) / (FULL_DBFS - FLOOR_DBFS)))
