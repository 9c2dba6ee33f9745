"""A microphone that "hears" a WAV file at real-time pace, in the chunks a real capture gives.

Used by tests and demos. Any PCM WAV (espeak-ng writes 22,050 Hz) is turned into the
microphone's own format: 16 kHz, mono, 16-bit.
"""

from __future__ import annotations

import sys
import threading
import time
import wave
from array import array
from collections.abc import Callable
from pathlib import Path

from device.microphone.base import CHUNK_BYTES, RATE, MicrophoneUnavailable, seconds_of

Pace = Callable[[float], None]
"""Called before a chunk is handed over with the seconds heard by the end of that chunk."""


class RealTimePace:
    """Waits until as much time has passed since the recording began as audio was heard."""

    def __init__(self, *, clock: Callable[[], float] = time.monotonic,
                 sleep: Callable[[float], None] = time.sleep) -> None:
        self._clock = clock
        self._sleep = sleep
        self._start = clock()

    def __call__(self, heard_s: float) -> None:
        delay = self._start + heard_s - self._clock()
        if delay > 0:
            self._sleep(delay)


class WavCapture:
    def __init__(self, pcm: bytes, pace: Pace) -> None:
        self._pcm = pcm
        self._pace = pace
        self._at = 0
        self._closed = threading.Event()

    def read(self) -> bytes:
        if self._closed.is_set() or self._at >= len(self._pcm):
            return b""
        chunk = self._pcm[self._at:self._at + CHUNK_BYTES]
        self._at += len(chunk)
        self._pace(seconds_of(self._at))
        return b"" if self._closed.is_set() else chunk

    def close(self) -> None:
        self._closed.set()


class WavMicrophone:
    """Plays ``path`` into the recording. ``pace`` makes the pace for each recording; the
    default is real time."""

    def __init__(self, path: Path, *, pace: Callable[[], Pace] = RealTimePace) -> None:
        self.path = path
        self._pace = pace

    def unavailable_reason(self) -> str | None:
        try:
            read_as_capture(self.path)
        except MicrophoneUnavailable as exc:
            return str(exc)
        return None

    def open(self) -> WavCapture:
        return WavCapture(read_as_capture(self.path), self._pace())


def read_as_capture(path: Path) -> bytes:
    """The WAV file's audio as 16 kHz mono S16_LE; raises MicrophoneUnavailable."""
    try:
        with wave.open(str(path), "rb") as w:
            channels, width, rate = w.getnchannels(), w.getsampwidth(), w.getframerate()
            frames = w.readframes(w.getnframes())
    except FileNotFoundError:
        raise MicrophoneUnavailable(f"WAV file {path} not found") from None
    except (OSError, EOFError, wave.Error) as exc:
        raise MicrophoneUnavailable(f"WAV file {path} cannot be read: {exc}") from None
    samples = _to_int16(frames, width)
    if channels > 1:
        samples = array("h", (sum(samples[i:i + channels]) // channels
                              for i in range(0, len(samples) - channels + 1, channels)))
    if rate != RATE:
        samples = _resample(samples, rate, RATE)
    if sys.byteorder == "big":
        samples.byteswap()
    return samples.tobytes()


def _to_int16(frames: bytes, width: int) -> array[int]:
    if width == 1:  # 8-bit WAV is unsigned
        return array("h", ((b - 128) << 8 for b in frames))
    if width == 2:
        out = array("h", frames[: len(frames) - len(frames) % 2])
        if sys.byteorder == "big":
            out.byteswap()
        return out
    if width in (3, 4):
        return array("h", (int.from_bytes(frames[i + width - 2:i + width], "little", signed=True)
                           for i in range(0, len(frames) - width + 1, width)))
    raise MicrophoneUnavailable(f"WAV samples of {width} bytes are not supported")


def _resample(samples: array[int], src: int, dst: int) -> array[int]:
    """Linear interpolation: plenty for a fake microphone's speech."""
    if not samples:
        return samples
    count = len(samples) * dst // src
    last = len(samples) - 1
    out = array("h", bytes(2 * count))
    step = src / dst
    for i in range(count):
        x = i * step
        j = int(x)
        frac = x - j
        a = samples[j]
        b = samples[j + 1] if j < last else a
        out[i] = int(a + (b - a) * frac)
    return out
