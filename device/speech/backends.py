"""Text to WAV file: pyttsx3 over espeak-ng, the espeak-ng binary, or nothing at all."""

from __future__ import annotations

import shutil
import subprocess
import threading
from pathlib import Path
from typing import Any, Protocol

from device.speech.text import espeak_text, resolve_voice


class SpeechError(RuntimeError):
    """Synthesis or playback failed. Messages never contain the text being spoken."""


class SpeechBackend(Protocol):
    def synthesize(self, text: str, wav_path: Path) -> None:
        """Write ``text`` as speech to ``wav_path``; writing nothing means "say nothing"."""
        ...


# pyttsx3.init() hands every caller in the process the same espeak engine (libespeak-ng
# has one global synth callback), so backends take turns on it.
_PYTTSX3_TURN = threading.Lock()


class Pyttsx3Backend:
    """pyttsx3 with its espeak driver, rendering with ``save_to_file`` + ``runAndWait``.

    The engine is created on the first ``synthesize`` call and only that thread may use
    it afterwards: pyttsx3 hangs when driven from more than one thread.
    """

    def __init__(self, voice: str, rate: int, volume: float) -> None:
        self.voice = resolve_voice(voice)
        self.rate = rate
        self.volume = volume
        self._engine: Any = None
        self._owner: int | None = None

    def synthesize(self, text: str, wav_path: Path) -> None:
        engine = self._engine_for_this_thread()
        errors: list[str] = []

        def on_error(name: object = None, exception: BaseException | None = None) -> None:
            errors.append(f"{type(exception).__name__}: {exception}")

        with _PYTTSX3_TURN:
            token = engine.connect("error", on_error)
            try:
                engine.setProperty("voice", self.voice)
                engine.setProperty("rate", self.rate)
                engine.setProperty("volume", self.volume)
                engine.save_to_file(espeak_text(text, self.voice), str(wav_path))
                engine.runAndWait()
            finally:
                engine.disconnect(token)
        if errors:
            raise SpeechError(f"pyttsx3 reported: {'; '.join(errors)}")
        if not wav_path.is_file() or wav_path.stat().st_size <= 44:
            raise SpeechError("pyttsx3 wrote no audio")

    def _engine_for_this_thread(self) -> Any:
        me = threading.get_ident()
        if self._engine is None:
            import pyttsx3

            self._engine = pyttsx3.init("espeak")
            self._owner = me
        elif self._owner != me:
            raise SpeechError("Pyttsx3Backend used from a second thread")
        return self._engine


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

    def command(self, *extra: str) -> list[str]:
        """The espeak-ng command line (text read from stdin) with ``extra`` options added."""
        exe = shutil.which(self.binary)
        if exe is None:
            raise SpeechError(f"{self.binary} is not installed")
        amplitude = round(max(0.0, min(self.volume, 2.0)) * 100)
        return [
            exe, "-v", self.voice, "-s", str(self.rate), "-a", str(amplitude),
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


class SilentBackend:
    """Speech switched off: writes nothing, so nothing is played."""

    def synthesize(self, text: str, wav_path: Path) -> None:
        return None
