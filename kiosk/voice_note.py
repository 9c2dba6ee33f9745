"""The voice note (说给我听): tap to start, tap to stop, at most 60 s, a level meter while it
records, written durably as a WAV file that goes up with the submission.

The screen drives a ``VoiceRecorder``; the note it gets back is attached at 提交 with
the draft (``SubmissionDraft.voice_path``) and purged by the outbox once the server holds it.
"""

from __future__ import annotations

import hashlib
import io
import threading
import uuid
import wave
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from pathlib import Path

from sqlalchemy import select

from device.microphone import (
    RATE,
    SAMPLE_BYTES,
    Capture,
    Microphone,
    MicrophoneUnavailable,
    meter_level,
    microphone_from_config,
    rms_dbfs,
    seconds_of,
)
from kiosk.config import AppConfig
from sync.files import remove_partial_files, write_durably
from sync.models import Submission
from sync.store import Store

MAX_SECONDS = 60.0
MIN_SECONDS = 0.5
"""Shorter than this is a tap that slipped, not a note."""
HEARD_DBFS = -45.0
"""A 100 ms chunk at least this loud is someone speaking; a note without one is silence."""
STOP_TIMEOUT_S = 5.0
"""How long ``stop`` waits for a capture that does not end (a stuck sound driver)."""


@dataclass(frozen=True)
class VoiceNote:
    path: Path
    sha256: str
    seconds: float

    def discard(self) -> None:
        """Delete the recording (录错了，重录 / 删除)."""
        self.path.unlink(missing_ok=True)


class VoiceRecorder:
    """One recording at a time, captured in a thread of its own.

    ``on_finished`` is called from the capture thread when the recording ended by itself:
    ``max_seconds`` reached, or the microphone stopped or failed (then ``failure`` says why).
    A screen hands it to its UI thread (Kivy: ``Clock.schedule_once``). After ``stop()`` it
    is not called.
    """

    def __init__(self, microphone: Microphone, voice_dir: Path,
                 max_seconds: float = MAX_SECONDS) -> None:
        if not 0 < max_seconds <= MAX_SECONDS:
            raise ValueError(f"max_seconds must be in (0, {MAX_SECONDS:g}], not {max_seconds}")
        self.microphone = microphone
        self.voice_dir = voice_dir
        self.max_seconds = max_seconds
        self.on_finished: Callable[[VoiceNote | None], None] | None = None
        self._lock = threading.Lock()
        self._thread: threading.Thread | None = None
        self._capture: Capture | None = None
        self._stop_requested = False
        self._finished = False
        self._level = 0.0
        self._bytes = 0
        self._note: VoiceNote | None = None
        self._failure: str | None = None

    def unavailable_reason(self) -> str | None:
        """None when a note can be recorded; otherwise why not (the screen hides the choice)."""
        return self.microphone.unavailable_reason()

    def start(self) -> None:
        """Begin a new recording. A note from before stays on disk until discarded."""
        with self._lock:
            if self._thread is not None and not self._finished:
                raise RuntimeError("a voice note is already being recorded")
            reason = self.microphone.unavailable_reason()
            if reason:
                raise MicrophoneUnavailable(reason)
            capture = self.microphone.open()
            self._capture = capture
            self._stop_requested = self._finished = False
            self._level, self._bytes = 0.0, 0
            self._note = self._failure = None
            self._thread = threading.Thread(target=self._record, args=(capture,),
                                            name="voice-note", daemon=True)
            self._thread.start()

    def stop(self) -> VoiceNote | None:
        """End the recording; the finished note, or None if nothing was heard (or too short).
        After the recording ended by itself, the note it made."""
        with self._lock:
            thread, capture = self._thread, self._capture
            if thread is None:
                return None
            if not self._finished:
                self._stop_requested = True
        if capture is not None:
            capture.close()  # a capture waiting for the device returns at once
        thread.join(STOP_TIMEOUT_S)
        with self._lock:
            if not self._finished:
                self._failure = "the microphone did not stop"
                return None
            return self._note

    @property
    def level(self) -> float:
        """0..1 loudness of the last ~100 ms, for the level meter."""
        return self._level

    @property
    def seconds(self) -> float:
        """Recorded so far."""
        return seconds_of(self._bytes)

    @property
    def recording(self) -> bool:
        with self._lock:
            return self._thread is not None and not self._finished

    @property
    def failure(self) -> str | None:
        """Why the last recording ended early or was lost, if it was."""
        return self._failure

    def _record(self, capture: Capture) -> None:
        audio = bytearray()
        limit = int(self.max_seconds * RATE) * SAMPLE_BYTES
        heard = False
        try:
            while True:
                chunk = capture.read()
                if not chunk:
                    break
                chunk = chunk[: limit - len(audio)]
                audio += chunk
                db = rms_dbfs(chunk)
                self._level = meter_level(db)
                self._bytes = len(audio)
                heard = heard or db >= HEARD_DBFS
                if len(audio) >= limit:
                    break
        except MicrophoneUnavailable as exc:
            self._failure = str(exc)
        finally:
            capture.close()
            self._level = 0.0
        note: VoiceNote | None = None
        if heard and seconds_of(len(audio)) >= MIN_SECONDS:
            try:
                note = self._keep(bytes(audio))
            except OSError as exc:  # a full disk: the resident is told, nothing half-written
                self._failure = f"the voice note could not be saved: {exc.strerror or exc}"
        with self._lock:
            self._note, self._finished = note, True
            by_itself = not self._stop_requested
        if by_itself and self.on_finished is not None:
            self.on_finished(note)

    def _keep(self, audio: bytes) -> VoiceNote:
        data = wav_bytes(audio)
        path = write_durably(self.voice_dir, f"{uuid.uuid4().hex}.wav", data)
        return VoiceNote(path, hashlib.sha256(data).hexdigest(), seconds_of(len(audio)))


def wav_bytes(audio: bytes) -> bytes:
    """16 kHz mono S16_LE audio as a WAV file."""
    buffer = io.BytesIO()
    with wave.open(buffer, "wb") as w:
        w.setnchannels(1)
        w.setsampwidth(SAMPLE_BYTES)
        w.setframerate(RATE)
        w.writeframes(audio)
    return buffer.getvalue()


def voice_dir_of(cfg: AppConfig) -> Path:
    """``[microphone] voice_dir``, or voice/ next to the store."""
    return Path(cfg.microphone.voice_dir) if cfg.microphone.voice_dir \
        else cfg.store.path.parent / "voice"


def recorder_from_config(cfg: AppConfig) -> VoiceRecorder:
    return VoiceRecorder(microphone_from_config(cfg.microphone), voice_dir_of(cfg),
                         cfg.microphone.max_seconds)


def referenced_voice_notes(store: Store) -> set[Path]:
    """Voice notes the store still has to send."""
    with store.session() as s:
        paths = s.scalars(select(Submission.voice_path).where(Submission.voice_path.is_not(None)))
        return {Path(p) for p in paths if p}


def sweep_voice_dir(voice_dir: Path, referenced: Iterable[Path]) -> int:
    """Delete notes nobody will send (recorded, then the resident walked away or the kiosk
    restarted) and temp files left by a crash; returns how many. Call at start-up, before
    anything records: a note being recorded or not yet attached is not referenced yet."""
    keep = {p.resolve() for p in referenced}
    removed = remove_partial_files(voice_dir)
    if voice_dir.is_dir():
        for note in voice_dir.glob("*.wav"):
            if note.resolve() not in keep:
                note.unlink(missing_ok=True)
                removed += 1
    return removed
