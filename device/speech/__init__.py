"""Spoken Mandarin prompts: text to WAV (pyttsx3 / espeak-ng) and playback, off the UI thread."""

from device.speech.backends import (
    EspeakBackend,
    Pyttsx3Backend,
    SilentBackend,
    SpeechBackend,
    SpeechError,
)
from device.speech.service import SpeechService, make_speech_service
from device.speech.speakers import AplaySpeaker, Speaker, WavFileSpeaker, has_alsa_playback
from device.speech.text import (
    MANDARIN_VOICE,
    espeak_text,
    has_pypinyin,
    resolve_voice,
    speech_text_for_ticket,
    to_pinyin,
)

__all__ = [
    "MANDARIN_VOICE",
    "AplaySpeaker",
    "EspeakBackend",
    "Pyttsx3Backend",
    "SilentBackend",
    "Speaker",
    "SpeechBackend",
    "SpeechError",
    "SpeechService",
    "WavFileSpeaker",
    "espeak_text",
    "has_alsa_playback",
    "has_pypinyin",
    "make_speech_service",
    "resolve_voice",
    "speech_text_for_ticket",
    "to_pinyin",
]
