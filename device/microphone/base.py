"""What every microphone gives: 16 kHz mono S16_LE audio, in chunks of about 100 ms."""

from __future__ import annotations

from typing import Protocol

RATE = 16_000
"""Samples a second; mono, signed 16-bit little-endian (arecord's S16_LE)."""
SAMPLE_BYTES = 2
CHUNK_SECONDS = 0.1
CHUNK_BYTES = int(RATE * CHUNK_SECONDS) * SAMPLE_BYTES
"""What one ``Capture.read`` gives while the recording goes on (the last may be shorter)."""


def seconds_of(audio_bytes: int) -> float:
    return audio_bytes / (RATE * SAMPLE_BYTES)


class MicrophoneUnavailable(RuntimeError):
    """The microphone cannot record; the message says why in plain words."""


class Capture(Protocol):
    """One recording under way."""

    def read(self) -> bytes:
        """The next chunk (about 100 ms of audio, whole samples); b"" when it has ended.
        Raises MicrophoneUnavailable if the device failed."""
        ...

    def close(self) -> None:
        """End the recording; safe to call more than once and from another thread."""
        ...


class Microphone(Protocol):
    def unavailable_reason(self) -> str | None:
        """None when the microphone can record; otherwise why not."""
        ...

    def open(self) -> Capture:
        """Start recording; raises MicrophoneUnavailable."""
        ...


class SwitchedOffMicrophone:
    """The configuration says there is no microphone (kind = "none")."""

    def unavailable_reason(self) -> str:
        return 'switched off (kind = "none")'

    def open(self) -> Capture:
        raise MicrophoneUnavailable(self.unavailable_reason())
