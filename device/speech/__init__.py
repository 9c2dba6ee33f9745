"""Spoken Mandarin prompts: text to WAV (pyttsx3 / espeak-ng) and playback, off the UI thread."""

from device.speech.backends import (
    EspeakBackend,
    Pyttsx3Backend,
    SilentBackend,
    SpeechBackend,
    SpeechError,
    espeak_version,
    identity_of,
)
from device.speech.cache import MuteSwitch, PromptCache
from device.speech.chime import write_chime
from device.speech.factory import make_backend, make_speaker, make_speech_service
from device.speech.listening import for_listening, spoken_date, spoken_datetime, spoken_time
from device.speech.numbers import read_decimal, read_digits, read_number
from device.speech.service import SpeechService
from device.speech.speakers import AplaySpeaker, Speaker, WavFileSpeaker, has_alsa_playback
from device.speech.text import (
    MANDARIN_VOICE,
    espeak_text,
    has_pypinyin,
    read_pinyin_in_a_helper,
    resolve_voice,
    speech_text_for_ticket,
    to_pinyin,
)

__all__ = [
    "MANDARIN_VOICE",
    "AplaySpeaker",
    "EspeakBackend",
    "MuteSwitch",
    "PromptCache",
    "Pyttsx3Backend",
    "SilentBackend",
    "Speaker",
    "SpeechBackend",
    "SpeechError",
    "SpeechService",
    "WavFileSpeaker",
    "espeak_text",
    "espeak_version",
    "for_listening",
    "has_alsa_playback",
    "has_pypinyin",
    "identity_of",
    "make_backend",
    "make_speaker",
    "make_speech_service",
    "read_decimal",
    "read_digits",
    "read_number",
    "read_pinyin_in_a_helper",
    "resolve_voice",
    "speech_text_for_ticket",
    "spoken_date",
    "spoken_datetime",
    "spoken_time",
    "to_pinyin",
    "write_chime",
]
