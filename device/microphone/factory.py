"""The microphone the configuration names."""

from __future__ import annotations

from pathlib import Path
from typing import Protocol

from device.microphone.alsa import AlsaMicrophone
from device.microphone.base import Microphone, SwitchedOffMicrophone
from device.microphone.wav import WavMicrophone


class MicrophoneSettings(Protocol):
    """What ``kiosk.config.MicrophoneConfig`` holds (device/ does not import the kiosk)."""

    @property
    def kind(self) -> str: ...

    @property
    def device(self) -> str: ...


def microphone_from_config(cfg: MicrophoneSettings) -> Microphone:
    if cfg.kind == "alsa":
        return AlsaMicrophone(cfg.device or "default")
    if cfg.kind == "wav":
        return WavMicrophone(Path(cfg.device))
    return SwitchedOffMicrophone()
