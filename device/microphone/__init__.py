"""The microphone for the voice note (说给我听): ALSA capture on the Pi, or a WAV file played
as if spoken. Every microphone gives 16 kHz mono S16_LE in chunks of about 100 ms."""

from device.microphone.alsa import AlsaCapture, AlsaMicrophone
from device.microphone.base import (
    CHUNK_BYTES,
    RATE,
    SAMPLE_BYTES,
    Capture,
    Microphone,
    MicrophoneUnavailable,
    SwitchedOffMicrophone,
    seconds_of,
)
from device.microphone.factory import MicrophoneSettings, microphone_from_config
from device.microphone.levels import level_of, meter_level, rms_dbfs
from device.microphone.wav import RealTimePace, WavCapture, WavMicrophone, read_as_capture

__all__ = [
    "CHUNK_BYTES",
    "RATE",
    "SAMPLE_BYTES",
    "AlsaCapture",
    "AlsaMicrophone",
    "Capture",
    "Microphone",
    "MicrophoneSettings",
    "MicrophoneUnavailable",
    "RealTimePace",
    "SwitchedOffMicrophone",
    "WavCapture",
    "WavMicrophone",
    "level_of",
    "meter_level",
    "microphone_from_config",
    "read_as_capture",
    "rms_dbfs",
    "seconds_of",
]
