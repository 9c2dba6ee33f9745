"""The soft two-note chime played before announcements (ticket number, status), generated
as a WAV so nothing binary ships in the package."""

from __future__ import annotations

import array
import math
import os
import tempfile
import wave
from pathlib import Path

CHIME_RATE = 22050
"""Same rate as espeak-ng's output, so one player setting fits both."""
CHIME_NOTES = ((659.26, 0.22), (523.25, 0.34))
"""E5 then C5 ("ding-dong"), in Hz and seconds: low enough not to be shrill for older ears."""
CHIME_PEAK = 0.3
"""Peak amplitude at volume 1.0, well under the speech's, so it is soft."""


Notes = tuple[tuple[float, float], ...]
"""(frequency in Hz, seconds) of each note, in order."""


def chime_samples(volume: float = 1.0, rate: int = CHIME_RATE,
                  notes: Notes = CHIME_NOTES) -> array.array[int]:
    """16-bit mono samples of the chime: each note a sine with a quick attack and a long
    exponential decay (a bell, without clicks), a little overlap between the notes."""
    samples = array.array("h")
    peak = CHIME_PEAK * max(0.0, min(volume, 2.0)) * 32767
    for freq, seconds in notes:
        count = int(seconds * rate)
        attack = int(0.01 * rate)
        for i in range(count):
            envelope = min(1.0, i / attack) * math.exp(-4.0 * i / count)
            envelope *= min(1.0, (count - i) / attack)  # no click at the end either
            samples.append(round(peak * envelope * math.sin(2 * math.pi * freq * i / rate)))
    return samples


def write_chime(path: Path, volume: float = 1.0, notes: Notes = CHIME_NOTES) -> Path:
    """Write the chime to ``path`` (atomically) unless it is already there."""
    if path.is_file():
        return path
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, name = tempfile.mkstemp(prefix=".chime-", suffix=".wav", dir=path.parent)
    os.close(fd)
    try:
        with wave.open(name, "wb") as out:
            out.setnchannels(1)
            out.setsampwidth(2)
            out.setframerate(CHIME_RATE)
            out.writeframes(chime_samples(volume, notes=notes).tobytes())
        os.replace(name, path)
    finally:
        Path(name).unlink(missing_ok=True)
    return path
