"""One worker thread that turns queued text into speech, in order, without blocking the UI.

The UI thread only ever puts items on a queue and bumps a counter under a lock that the
worker never holds while synthesising or playing, so ``say``, ``stop``, ``replay`` and
``set_slow`` return at once whatever the engine does. Long text is queued sentence by
sentence (device.speech.utterances), so no single engine call runs long. A watchdog thread
abandons a worker whose engine hangs (pyttsx3 can, when misused) and starts a fresh worker
with a fresh backend.
"""

from __future__ import annotations

import logging
import os
import tempfile
import threading
import time
import wave
from collections import deque
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from pathlib import Path

from device.speech.backends import SpeechBackend, SpeechError, at_slow_pace, identity_of
from device.speech.cache import MuteSwitch, PromptCache
from device.speech.speakers import Speaker
from device.speech.utterances import utterances

log = logging.getLogger(__name__)

ELSEWHERE_POLL_S = 0.05
DEFAULT_HANG_SECONDS = 20.0
"""An engine that has not finished one utterance after this long is taken to hang."""


@dataclass(frozen=True)
class _Item:
    text: str
    """What to say; empty for the chime."""
    generation: int
    chime: bool = False
    slow: bool = False
    """Spoken at the slow pace (慢一点)."""
    recording: Path | None = None
    """A resident's own recording played back (回放), not text."""


_PREPARE = _Item("", -1)
"""What the worker gets when nothing is queued but prompts wait to be rendered."""


class SpeechService:
    """Speaks queued text in order on one daemon worker thread that owns the backend.

    ``cache`` holds fixed prompts as WAVs (registered with ``prepare``); ``chime`` is played
    by ``announce`` before the text; ``restart_backend`` makes the backend for a new worker
    after a hang (the old one may be stuck inside the engine for good); ``mute`` is checked
    before each utterance.
    """

    def __init__(
        self,
        backend: SpeechBackend,
        speaker: Speaker,
        work_dir: Path,
        *,
        cache: PromptCache | None = None,
        chime: Path | None = None,
        restart_backend: Callable[[], SpeechBackend] | None = None,
        mute: MuteSwitch | None = None,
        hang_seconds: float = DEFAULT_HANG_SECONDS,
    ) -> None:
        self.backend = backend
        self.speaker = speaker
        self.work_dir = work_dir
        self.cache = cache
        self.chime_wav = chime
        self.mute = mute or MuteSwitch(None)
        self.hang_seconds = hang_seconds
        self.restarts = 0
        """How many times the watchdog replaced a hung worker."""
        self._restart_backend = restart_backend
        work_dir.mkdir(parents=True, exist_ok=True)
        self._items: deque[_Item] = deque()
        self._state = threading.Condition()
        self._generation = 0
        self._pending = 0
        self._closed = False
        self._last: list[_Item] = []
        self._group_open = False
        self._fixed: set[str] = set()
        self._elsewhere_until = 0.0
        """Until then (monotonic), a fixed prompt missing from the cache is waited for, as
        another process is rendering it (see ``register``)."""
        self._to_prepare: deque[str] = deque()
        self._prune_after_prepare = False
        self._muted_logged = False
        self._slow = False
        # the slow-pace engine and its prompt cache, made from the backend they belong to
        self._slow_engine: tuple[SpeechBackend, SpeechBackend, PromptCache | None] | None = None
        # the running worker: its token, and the deadline of what it is doing (None if idle)
        self._token = 0
        self._deadline: float | None = None
        self._busy_item = False
        self._worker = self._start_worker()
        self._watchdog = threading.Thread(target=self._watch, name="speech-watchdog", daemon=True)
        self._watchdog.start()

    # ---- called from the UI thread: never blocks on the engine ----

    def say(self, text: str) -> None:
        """Queue ``text`` to be spoken after what is already queued; returns at once. A
        fixed prompt is said whole (from the cache), other text sentence by sentence."""
        with self._state:
            fixed = text in self._fixed
        pieces = [text] if fixed else utterances(text)
        self._put(*(_Item(piece, 0) for piece in pieces if piece.strip()))

    def chime(self) -> None:
        """Queue the soft chime that tells a listener an announcement follows."""
        if self.chime_wav is not None:
            self._put(_Item("", 0, chime=True))

    def play_recording(self, wav: Path) -> None:
        """Queue a recording (a resident's voice note) to be played as it is."""
        self._put(_Item("", 0, recording=wav))

    def announce(self, text: str) -> None:
        """The chime, then ``text``."""
        self.chime()
        self.say(text)

    def stop(self) -> None:
        """Drop everything queued and cut the current utterance short."""
        with self._state:
            self._generation += 1
            self._group_open = False
        self.speaker.stop()

    def replay(self) -> None:
        """再听一遍: stop, then say again what was said since the last ``stop`` (at the pace
        set now)."""
        with self._state:
            again = list(self._last)
        self.stop()
        self._put(*again)

    def set_slow(self, on: bool) -> None:
        """慢一点: what is queued from now on is spoken at the slow pace (``on``) or at the
        configured rate again; returns at once."""
        with self._state:
            self._slow = on

    @property
    def is_slow(self) -> bool:
        """Whether new utterances are spoken at the slow pace."""
        with self._state:
            return self._slow

    def prepare(self, texts: Iterable[str], *, prune: bool = False) -> None:
        """Register ``texts`` as fixed prompts: each is rendered into the cache once, by the
        worker when it has nothing to say (so no prompt waits for the others), and played
        from there. With ``prune``, cached prompts not among them are deleted afterwards."""
        with self._state:
            for text in texts:
                if text and text not in self._fixed:
                    self._fixed.add(text)
                    self._to_prepare.append(text)
            self._prune_after_prepare = prune
            self._state.notify_all()

    def register(self, texts: Iterable[str], *, rendered_elsewhere_s: float = 0.0) -> None:
        """Mark ``texts`` as fixed prompts without rendering them here: another process
        renders them into the cache. One said within ``rendered_elsewhere_s`` and not yet
        there is waited for; after that this worker renders what is still missing."""
        with self._state:
            self._fixed.update(text for text in texts if text)
            self._elsewhere_until = time.monotonic() + rendered_elsewhere_s

    def wait_prepared(self, timeout: float) -> bool:
        """Wait until every registered prompt is in the cache; False on timeout."""
        with self._state:
            return self._state.wait_for(lambda: not self._to_prepare, timeout)

    def wait_idle(self, timeout: float) -> bool:
        """Wait until everything queued has been spoken (or dropped); False on timeout."""
        with self._state:
            return self._state.wait_for(lambda: self._pending == 0, timeout)

    def close(self, timeout: float = 5.0) -> None:
        """Stop speaking and end the worker threads; later ``say`` calls are ignored."""
        self.stop()
        with self._state:
            self._closed = True
            self._to_prepare.clear()
            self._pending -= len(self._items)
            self._items.clear()
            self._state.notify_all()
        self._worker.join(timeout)
        if self._worker.is_alive():
            log.warning("speech worker did not end within %.1f s", timeout)
        self._watchdog.join(timeout)

    def _put(self, *items: _Item) -> None:
        with self._state:
            if self._closed:
                log.debug("speech service is closed; an utterance was dropped")
                return
            for queued in items:
                item = _Item(queued.text, self._generation, queued.chime, self._slow,
                             queued.recording)
                if not self._group_open:
                    self._last, self._group_open = [], True
                self._last.append(item)
                self._pending += 1
                self._items.append(item)
            self._state.notify_all()

    # ---- the worker ----

    def _start_worker(self) -> threading.Thread:
        worker = threading.Thread(target=self._run, args=(self._token,), name="speech",
                                  daemon=True)
        worker.start()
        return worker

    def _next(self, token: int) -> _Item | None:
        """The next item for worker ``token``: _PREPARE to render a prompt, None to end."""
        with self._state:
            while True:
                if token != self._token or self._closed:
                    return None
                if self._items:
                    self._deadline = time.monotonic() + self.hang_seconds
                    self._busy_item = True
                    return self._items.popleft()
                if self._to_prepare:
                    return _PREPARE
                self._state.wait()

    def _run(self, token: int) -> None:
        while (item := self._next(token)) is not None:
            if item is _PREPARE:
                self._prepare_one(token)
                continue
            try:
                self._speak(item, token)
            finally:
                with self._state:
                    current = token == self._token  # else the watchdog dropped the item
                    if current:
                        self._deadline, self._busy_item = None, False
                        self._pending -= 1
                        self._state.notify_all()
            if not current:
                return

    def _is_current(self, item: _Item) -> bool:
        with self._state:
            return item.generation == self._generation

    def _speak(self, item: _Item, token: int) -> None:
        if not self._is_current(item):
            return
        if self.mute.is_muted():
            if not self._muted_logged:
                self._muted_logged = True
                log.info("speech is muted; utterances are dropped until it is unmuted")
            return
        self._muted_logged = False
        if item.chime or item.recording is not None:
            self._play(self.chime_wav if item.chime else item.recording, item, token)
            return
        backend, cache = self._engine(item.slow)
        cached = self._cached(item.text, backend, cache, lambda: self._is_current(item))
        if cached is not None:
            self._play(cached, item, token)
            return
        fd, name = tempfile.mkstemp(prefix="utterance-", suffix=".wav", dir=self.work_dir)
        os.close(fd)
        wav = Path(name)
        try:
            backend.synthesize(item.text, wav)
            self._play(wav, item, token)
        except Exception as exc:
            _log_failure(item.text, exc)
        finally:
            wav.unlink(missing_ok=True)

    def _engine(self, slow: bool) -> tuple[SpeechBackend, PromptCache | None]:
        """The backend and prompt cache for the normal or the slow pace. The slow ones are
        made on first use (and again after a restart replaced the backend); slow prompts
        are cached apart, keyed by their own rate, so a normal-pace WAV never plays."""
        base = self.backend
        if not slow:
            return base, self.cache
        if self._slow_engine is None or self._slow_engine[0] is not base:
            slower = at_slow_pace(base)
            if slower is None:  # an engine without a rate has only the one pace
                self._slow_engine = (base, base, self.cache)
            else:
                cache = (None if self.cache is None
                         else PromptCache(self.cache.folder, identity_of(slower)))
                self._slow_engine = (base, slower, cache)
        return self._slow_engine[1], self._slow_engine[2]

    def _cached(self, text: str, backend: SpeechBackend, cache: PromptCache | None,
                wanted: Callable[[], bool]) -> Path | None:
        """The prompt's WAV from the cache, rendering it first if it is a fixed prompt."""
        if cache is None:
            return None
        found = cache.get(text)
        while found is None and text in self._fixed and wanted() and \
                time.monotonic() < self._elsewhere_until:
            time.sleep(ELSEWHERE_POLL_S)  # being rendered by another process
            found = cache.get(text)
        if found is None and text in self._fixed:
            try:
                found = cache.store(text, backend.synthesize)
            except Exception as exc:
                _log_failure(text, exc)
        return found

    def _play(self, wav: Path | None, item: _Item, token: int) -> None:
        if wav is None or not wav.is_file() or wav.stat().st_size <= 44:
            return
        with self._state:
            if token != self._token or item.generation != self._generation:
                return
            self._deadline = time.monotonic() + _seconds(wav) + self.hang_seconds
        try:
            self.speaker.play(wav)
        except Exception as exc:
            _log_failure(item.text, exc)

    def _prepare_one(self, token: int) -> None:
        with self._state:
            if token != self._token or not self._to_prepare:
                return
            text = self._to_prepare[0]
            self._deadline = time.monotonic() + self.hang_seconds
        if self.cache is not None and self.cache.get(text) is None:
            try:
                self.cache.store(text, self.backend.synthesize)
            except Exception as exc:
                _log_failure(text, exc)
        with self._state:
            if token != self._token:
                return
            self._deadline = None
            if self._to_prepare and self._to_prepare[0] == text:
                self._to_prepare.popleft()
            done = not self._to_prepare
            keep = list(self._fixed) if done and self._prune_after_prepare else None
            self._state.notify_all()
        if keep is not None and self.cache is not None:
            removed = self.cache.prune(keep)
            if removed:
                log.info("removed %d cached prompts made with other settings", removed)

    # ---- the watchdog ----

    def _watch(self) -> None:
        with self._state:
            while not self._closed:
                self._state.wait(min(0.25, self.hang_seconds / 4))
                if self._deadline is not None and time.monotonic() > self._deadline:
                    self._abandon_worker()

    def _abandon_worker(self) -> None:
        """Called with the lock held: leave the stuck worker behind and start another."""
        log.warning("speech engine stuck for over %.1f s: starting a new worker",
                    self.hang_seconds)
        self.restarts += 1
        self._token += 1
        self._deadline = None
        if self._busy_item:
            self._busy_item = False
            self._pending -= 1  # the stuck item is dropped
        self._state.notify_all()
        if self._restart_backend is not None:
            try:
                self.backend = self._restart_backend()
            except Exception as exc:
                log.warning("could not make a new speech backend: %s", type(exc).__name__)
        self.speaker.stop()
        self._worker = self._start_worker()


def _seconds(wav: Path) -> float:
    try:
        with wave.open(str(wav), "rb") as audio:
            return audio.getnframes() / max(1, audio.getframerate())
    except (OSError, wave.Error, EOFError):
        return 0.0


def _log_failure(text: str, exc: Exception) -> None:
    # The text may hold a resident's personal details: log its length, never it.
    reason = str(exc) if isinstance(exc, SpeechError) else type(exc).__name__
    log.warning("could not speak an utterance of %d characters: %s", len(text), reason)
