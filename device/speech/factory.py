"""Builds a SpeechService from the configured names: engine, speaker, cache, chime, mute."""

from __future__ import annotations

import logging
from collections.abc import Callable
from pathlib import Path

from device.speech.backends import (
    EspeakBackend,
    Pyttsx3Backend,
    SilentBackend,
    SpeechBackend,
    identity_of,
)
from device.speech.cache import CHIME_PREFIX, MuteSwitch, PromptCache
from device.speech.chime import write_chime
from device.speech.service import DEFAULT_HANG_SECONDS, SpeechService
from device.speech.speakers import AplaySpeaker, Speaker, WavFileSpeaker, has_alsa_playback
from device.speech.text import has_pypinyin, is_pinyin_voice

log = logging.getLogger("device.speech.service")

BACKENDS = ("pyttsx3", "espeak", "silent")

_virtual_output_logged = False


def make_backend(backend: str, *, voice: str, rate: int, volume: float) -> SpeechBackend:
    """The engine called ``backend``: "pyttsx3", "espeak" or "silent"."""
    if backend == "pyttsx3":
        return Pyttsx3Backend(voice, rate, volume)
    if backend == "espeak":
        return EspeakBackend(voice, rate, volume)
    if backend == "silent":
        return SilentBackend()
    raise ValueError(f"unknown speech backend {backend!r}")


def restart_backend_for(backend: str, *, voice: str, rate: int, volume: float
                        ) -> Callable[[], SpeechBackend]:
    """What a new worker uses after the engine hung. pyttsx3 shares one libespeak-ng engine
    per process, which a hung call may hold for good, so the restart uses the espeak-ng
    binary (a child process with its own timeout): the same voice and audio."""
    name = "espeak" if backend == "pyttsx3" else backend
    return lambda: make_backend(name, voice=voice, rate=rate, volume=volume)


def make_speaker(out_dir: Path) -> Speaker:
    """aplay when ALSA has a sound card; otherwise WAV files numbered in ``out_dir``
    (said once in the log, not per utterance)."""
    global _virtual_output_logged
    if has_alsa_playback():
        return AplaySpeaker()
    if not _virtual_output_logged:
        _virtual_output_logged = True
        log.info("no sound card: audio output is virtual, WAV files go to %s", out_dir)
    return WavFileSpeaker(out_dir)


def make_speech_service(
    backend: str,
    *,
    voice: str,
    rate: int,
    volume: float,
    work_dir: Path,
    out_dir: Path,
    cache_dir: Path | None = None,
    mute: MuteSwitch | None = None,
    chime: bool = True,
    hang_seconds: float = DEFAULT_HANG_SECONDS,
    speaker: Speaker | None = None,
) -> SpeechService:
    """A SpeechService for ``backend``, playing through aplay when ALSA has a sound card
    and into ``out_dir`` as numbered WAVs otherwise. With ``cache_dir`` fixed prompts are
    cached there and the chime (for ``volume``) is written there on first start."""
    engine = make_backend(backend, voice=voice, rate=rate, volume=volume)
    if backend != "silent" and is_pinyin_voice(voice) and not has_pypinyin():
        log.warning("pypinyin is not installed: Mandarin polyphones may be misread")
    cache = PromptCache(cache_dir, identity_of(engine)) if cache_dir is not None else None
    chime_wav = None
    if chime and cache_dir is not None:
        chime_wav = write_chime(cache_dir / f"{CHIME_PREFIX}{round(volume * 100)}.wav", volume)
    return SpeechService(
        engine, speaker or make_speaker(out_dir), work_dir, cache=cache, chime=chime_wav,
        restart_backend=restart_backend_for(backend, voice=voice, rate=rate, volume=volume),
        mute=mute, hang_seconds=hang_seconds,
    )
