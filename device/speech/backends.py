"""Text to WAV file: pyttsx3 over espeak-ng, the espeak-ng binary, or nothing at all."""

from __future__ import annotations

import atexit
import functools
import logging
import re
import shutil
import subprocess
import threading
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any, Protocol

from device.speech.library import text_to_phonemes
from device.speech.listening import LISTENING_RULES
from device.speech.text import espeak_text, pinyin_version, resolve_voice

log = logging.getLogger(__name__)


class SpeechError(RuntimeError):
    """Synthesis or playback failed. Messages never contain the text being spoken."""


class SpeechBackend(Protocol):
    def synthesize(self, text: str, wav_path: Path) -> None:
        """Write ``text`` as speech to ``wav_path``; writing nothing means "say nothing"."""
        ...


SLOW_PACE = 0.77
"""慢一点: the slow rate as a share of the configured one. At the default rate it brings
the voice from about 3.3 to about 2.5 syllables a second (measured in tests/test_speech_pace.py)."""


def identity_of(backend: SpeechBackend) -> str:
    """What a backend's audio depends on besides the text (for the prompt cache)."""
    return str(getattr(backend, "identity", type(backend).__name__))


@functools.cache
def espeak_version(binary: str = "espeak-ng") -> str:
    """``espeak-ng --version``'s first line, e.g. "eSpeak NG text-to-speech: 1.51  Data at…"."""
    exe = shutil.which(binary)
    if exe is None:
        return "missing"
    try:
        out = subprocess.run([exe, "--version"], capture_output=True, text=True, timeout=10,
                             check=False).stdout
    except (OSError, subprocess.TimeoutExpired):
        return "unknown"
    return (out.splitlines() or ["unknown"])[0].strip()


def _settings(voice: str, rate: int, volume: float) -> str:
    return (f"{espeak_version()} voice={voice} rate={rate} amplitude={_amplitude(volume)} "
            f"pinyin={pinyin_version()} rules={LISTENING_RULES}")


def _amplitude(volume: float) -> int:
    """espeak-ng amplitude (0-200, 100 normal) for a volume where 1.0 is normal."""
    return round(max(0.0, min(volume, 2.0)) * 100)


# libespeak-ng has one global synth callback, and a garbage-collected pyttsx3 engine clears
# it from whichever thread collects it (cutting other engines' audio short), so the process
# keeps a single engine alive for good and backends take turns on it.
_PYTTSX3_TURN = threading.Lock()
_pyttsx3_engine: Any = None


def _shared_pyttsx3_engine() -> Any:
    """The process's pyttsx3 espeak engine; call with _PYTTSX3_TURN held."""
    global _pyttsx3_engine
    if _pyttsx3_engine is None:
        import pyttsx3

        try:
            _pyttsx3_engine = pyttsx3.init("espeak")
        except Exception as exc:  # libespeak-ng missing or broken
            raise SpeechError(f"pyttsx3 could not start libespeak-ng: {exc}") from None
        _quiet_espeak_driver()
        atexit.register(_drop_pyttsx3_engine)
    return _pyttsx3_engine


def _quiet_espeak_driver() -> None:
    """pyttsx3's espeak driver prints "Audio saved to …" on stdout for every utterance (and
    playback errors likewise); its module-level ``print`` is pointed at our log instead."""
    from pyttsx3.drivers import espeak as driver

    def to_log(*values: object, **_ignored: object) -> None:
        line = " ".join(str(v) for v in values)
        if line.startswith("Audio saved to "):
            log.debug("%s", line)
        else:
            log.warning("pyttsx3: %s", line)

    driver.print = to_log


def _drop_pyttsx3_engine() -> None:
    """Let the engine go while the interpreter is still whole: collected during shutdown,
    pyttsx3's DriverProxy.__del__ finds its module globals gone and prints a traceback."""
    global _pyttsx3_engine
    if _PYTTSX3_TURN.acquire(timeout=1.0):  # a hung engine holds it: then leave it be
        _pyttsx3_engine = None
        _PYTTSX3_TURN.release()


class Pyttsx3Backend:
    """pyttsx3 with its espeak driver, rendering with ``save_to_file`` + ``runAndWait``.

    Only the thread of the first ``synthesize`` call (the speech worker) may use a backend,
    and the engine is created there, never on the UI thread: pyttsx3 hangs when driven
    from more than one thread.
    """

    def __init__(self, voice: str, rate: int, volume: float, *, timeout: float = 30.0) -> None:
        self.voice = resolve_voice(voice)
        self.rate = rate
        self.volume = volume
        self.timeout = timeout
        self._owner: int | None = None

    @property
    def identity(self) -> str:
        from importlib.metadata import version

        return f"pyttsx3 {version('pyttsx3')} {_settings(self.voice, self.rate, self.volume)}"

    def at_rate(self, rate: int) -> Pyttsx3Backend:
        """The same voice at another rate (a backend of its own, sharing the one engine)."""
        return Pyttsx3Backend(self.voice, rate, self.volume, timeout=self.timeout)

    def synthesize(self, text: str, wav_path: Path) -> None:
        if self._owner is None:
            self._owner = threading.get_ident()
        elif self._owner != threading.get_ident():
            raise SpeechError("Pyttsx3Backend used from a second thread")
        # Rate and volume travel as commands embedded in the text: set as pyttsx3 properties
        # they queue on espeak's own thread, reach the audio an utterance late, and keep
        # espeak busy so that runAndWait cancels the new utterance.
        embedded = f"\x01{self.rate}S\x01{_amplitude(self.volume)}A "
        with _PYTTSX3_TURN:
            engine = _shared_pyttsx3_engine()
            self._render(engine, embedded + espeak_text(text, self.voice), wav_path)
        if not wav_path.is_file() or wav_path.stat().st_size <= 44:
            raise SpeechError("pyttsx3 wrote no audio")

    def phonemes(self, text: str) -> str:
        """libespeak-ng's phoneme mnemonics for ``text`` as this backend says it, one clause
        a line: what EspeakBackend.phonemes shows, from the library instead of the binary."""
        with _PYTTSX3_TURN:
            _shared_pyttsx3_engine()  # loads and initialises the library
            _wait_while(_espeak_busy)
            try:
                return text_to_phonemes(espeak_text(text, self.voice), self.voice)
            except LookupError:
                raise SpeechError(f"libespeak-ng has no voice {self.voice!r}") from None

    def _render(self, engine: Any, text: str, wav_path: Path) -> None:
        errors: list[str] = []
        finished = threading.Event()

        def on_error(name: object = None, exception: BaseException | None = None) -> None:
            errors.append(f"{type(exception).__name__}: {exception}")

        def on_finished(name: object = None, completed: bool = True) -> None:
            if not completed:
                errors.append("utterance cancelled")
            finished.set()

        tokens = [
            engine.connect("error", on_error),
            engine.connect("finished-utterance", on_finished),
        ]
        try:
            _wait_while(_espeak_busy)
            engine.setProperty("voice", self.voice)
            engine.save_to_file(text, str(wav_path))
            engine.runAndWait()
            # pyttsx3 2.99's runAndWait can return before espeak's thread has written the
            # WAV; the driver says "finished" only after writing it.
            if not finished.wait(self.timeout):
                raise SpeechError(f"pyttsx3 did not finish within {self.timeout} s")
            _wait_while(lambda: bool(engine.isBusy()) or _espeak_busy())
        finally:
            for token in tokens:
                engine.disconnect(token)
        if errors:
            raise SpeechError(f"pyttsx3 reported: {'; '.join(errors)}")


def _espeak_busy() -> bool:
    """Whether libespeak-ng's own thread is still at work. pyttsx3 cancels an utterance
    started while it is (even just on queued parameter changes), so we wait it out."""
    from pyttsx3.drivers import _espeak

    return bool(_espeak.IsPlaying())


def _wait_while(busy: Callable[[], bool], timeout: float = 2.0) -> None:
    deadline = time.monotonic() + timeout
    while busy() and time.monotonic() < deadline:
        time.sleep(0.002)


class EspeakBackend:
    """The ``espeak-ng`` binary writing a WAV with ``-w``; the text goes in on stdin so it
    never shows in the process list."""

    def __init__(
        self,
        voice: str,
        rate: int,
        volume: float,
        *,
        timeout: float = 30.0,
        binary: str = "espeak-ng",
    ) -> None:
        self.voice = resolve_voice(voice)
        self.rate = rate
        self.volume = volume
        self.timeout = timeout
        self.binary = binary

    @property
    def identity(self) -> str:
        return f"espeak-ng binary {_settings(self.voice, self.rate, self.volume)}"

    def at_rate(self, rate: int) -> EspeakBackend:
        """The same voice at another rate."""
        return EspeakBackend(self.voice, rate, self.volume, timeout=self.timeout,
                             binary=self.binary)

    def command(self, *extra: str) -> list[str]:
        """The espeak-ng command line (text read from stdin) with ``extra`` options added."""
        exe = shutil.which(self.binary)
        if exe is None:
            raise SpeechError(f"{self.binary} is not installed")
        # espeak-ng -w silently falls back to English for an unknown voice: check first.
        if self.voice.split("+")[0].lower() not in _espeak_voices(exe):
            raise SpeechError(f"{self.binary} has no voice {self.voice!r}")
        return [
            exe, "-v", self.voice, "-s", str(self.rate), "-a", str(_amplitude(self.volume)),
            "-b", "1", *extra, "--stdin",
        ]  # fmt: skip

    def run(self, text: str, *extra: str) -> str:
        """Run espeak-ng on ``text`` (converted for the voice); returns its stdout."""
        try:
            done = subprocess.run(
                self.command(*extra),
                input=espeak_text(text, self.voice).encode("utf-8"),
                capture_output=True,
                timeout=self.timeout,
                check=False,
            )
        except subprocess.TimeoutExpired:
            raise SpeechError(f"{self.binary} took longer than {self.timeout} s") from None
        except OSError as exc:
            raise SpeechError(f"{self.binary} could not run: {exc.strerror}") from None
        if done.returncode != 0:
            detail = done.stderr.decode("utf-8", "replace").strip()[-200:]
            raise SpeechError(f"{self.binary} exited with {done.returncode}: {detail}")
        return done.stdout.decode("utf-8", "replace")

    def synthesize(self, text: str, wav_path: Path) -> None:
        self.run(text, "-w", str(wav_path))

    def phonemes(self, text: str) -> str:
        """espeak-ng's phoneme mnemonics (``-q -x``) for ``text``, as this backend says it."""
        return self.run(text, "-q", "-x")


@functools.cache
def _espeak_voices(exe: str) -> frozenset[str]:
    """Every name ``exe -v`` accepts: languages, voice names and voice files."""
    try:
        listing = subprocess.run(
            [exe, "--voices"], capture_output=True, text=True, timeout=10, check=False
        ).stdout
    except (OSError, subprocess.TimeoutExpired):
        return frozenset()
    names: set[str] = set()
    for line in listing.splitlines()[1:]:
        fields = line.split()
        if len(fields) >= 5:
            names.update((fields[1], fields[3], fields[4]))
            names.update(re.findall(r"\(([^ )]+) \d+\)", line))
    return frozenset(name.lower() for name in names)


def at_slow_pace(backend: SpeechBackend) -> SpeechBackend | None:
    """``backend``'s engine and voice at the slow pace; None if it has no rate to change."""
    if isinstance(backend, Pyttsx3Backend | EspeakBackend):
        return backend.at_rate(round(backend.rate * SLOW_PACE))
    return backend if isinstance(backend, SilentBackend) else None


class SilentBackend:
    """Speech switched off: writes nothing, so nothing is played."""

    identity = "silent"

    def synthesize(self, text: str, wav_path: Path) -> None:
        return None
