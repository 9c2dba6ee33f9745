"""One worker thread that turns queued text into speech, in order, without blocking the UI."""

from __future__ import annotations

import logging
import os
import queue
import tempfile
import threading
from dataclasses import dataclass
from pathlib import Path

from device.speech.backends import (
    EspeakBackend,
    Pyttsx3Backend,
    SilentBackend,
    SpeechBackend,
    SpeechError,
)
from device.speech.speakers import AplaySpeaker, Speaker, WavFileSpeaker, has_alsa_playback
from device.speech.text import has_pypinyin, is_pinyin_voice

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class _Utterance:
    text: str
    generation: int


class SpeechService:
    """Speaks queued text in order on one daemon worker thread that owns ``backend``."""

    def __init__(self, backend: SpeechBackend, speaker: Speaker, work_dir: Path) -> None:
        self.backend = backend
        self.speaker = speaker
        self.work_dir = work_dir
        work_dir.mkdir(parents=True, exist_ok=True)
        self._queue: queue.Queue[_Utterance | None] = queue.Queue()
        self._state = threading.Condition()
        self._generation = 0
        self._pending = 0
        self._closed = False
        self._worker = threading.Thread(target=self._run, name="speech", daemon=True)
        self._worker.start()

    def say(self, text: str) -> None:
        """Queue ``text`` to be spoken after what is already queued; returns at once."""
        with self._state:
            if self._closed:
                log.debug("speech service is closed; an utterance was dropped")
                return
            self._pending += 1
            self._queue.put(_Utterance(text, self._generation))

    def stop(self) -> None:
        """Drop everything queued and cut the current utterance short."""
        with self._state:
            self._generation += 1
        self.speaker.stop()

    def wait_idle(self, timeout: float) -> bool:
        """Wait until everything queued has been spoken (or dropped); False on timeout."""
        with self._state:
            return self._state.wait_for(lambda: self._pending == 0, timeout)

    def close(self, timeout: float = 5.0) -> None:
        """Stop speaking and end the worker thread; later ``say`` calls are ignored."""
        with self._state:
            self._closed = True
        self.stop()
        self._queue.put(None)
        self._worker.join(timeout)
        if self._worker.is_alive():
            log.warning("speech worker did not end within %.1f s", timeout)

    def _run(self) -> None:
        while (utterance := self._queue.get()) is not None:
            try:
                self._speak(utterance)
            finally:
                with self._state:
                    self._pending -= 1
                    self._state.notify_all()

    def _is_current(self, utterance: _Utterance) -> bool:
        with self._state:
            return utterance.generation == self._generation

    def _speak(self, utterance: _Utterance) -> None:
        if not self._is_current(utterance):
            return
        fd, name = tempfile.mkstemp(prefix="utterance-", suffix=".wav", dir=self.work_dir)
        os.close(fd)
        wav = Path(name)
        try:
            self.backend.synthesize(utterance.text, wav)
            if wav.stat().st_size > 0 and self._is_current(utterance):
                self.speaker.play(wav)
        except Exception as exc:
            # The text may hold a resident's personal details: log its length, never it.
            reason = str(exc) if isinstance(exc, SpeechError) else type(exc).__name__
            log.warning(
                "could not speak an utterance of %d characters: %s", len(utterance.text), reason
            )
        finally:
            wav.unlink(missing_ok=True)


_virtual_output_logged = False


def make_speech_service(
    backend: str, *, voice: str, rate: int, volume: float, work_dir: Path, out_dir: Path
) -> SpeechService:
    """A SpeechService for ``backend`` ("pyttsx3", "espeak" or "silent"), playing through
    aplay when ALSA has a sound card and into ``out_dir`` as numbered WAVs otherwise."""
    global _virtual_output_logged
    engine: SpeechBackend
    if backend == "pyttsx3":
        engine = Pyttsx3Backend(voice, rate, volume)
    elif backend == "espeak":
        engine = EspeakBackend(voice, rate, volume)
    elif backend == "silent":
        engine = SilentBackend()
    else:
        raise ValueError(f"unknown speech backend {backend!r}")
    if backend != "silent" and is_pinyin_voice(voice) and not has_pypinyin():
        log.warning("pypinyin is not installed: Mandarin polyphones may be misread")
    speaker: Speaker
    if has_alsa_playback():
        speaker = AplaySpeaker()
    else:
        speaker = WavFileSpeaker(out_dir)
        if not _virtual_output_logged:
            _virtual_output_logged = True
            log.info("no sound card: audio output is virtual, WAV files go to %s", out_dir)
    return SpeechService(engine, speaker, work_dir)
