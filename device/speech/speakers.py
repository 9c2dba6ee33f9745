"""Playing WAV files: through ALSA's aplay, or into a folder on machines without a sound card."""

from __future__ import annotations

import re
import shutil
import subprocess
import threading
from pathlib import Path
from typing import Protocol

from device.speech.backends import SpeechError


class Speaker(Protocol):
    def play(self, wav_path: Path) -> None:
        """Play ``wav_path``, returning when it has finished or was stopped."""
        ...

    def stop(self) -> None:
        """Cut the current playback short; safe to call from any thread."""
        ...


class AplaySpeaker:
    """Plays through ``aplay -q``; ``stop()`` from another thread ends the playback."""

    def __init__(self, *, binary: str = "aplay", timeout: float = 300.0) -> None:
        self.binary = binary
        self.timeout = timeout
        self._lock = threading.Lock()
        self._proc: subprocess.Popen[bytes] | None = None
        self._stopped = False

    def play(self, wav_path: Path) -> None:
        with self._lock:
            self._stopped = False
            try:
                proc = subprocess.Popen(
                    [self.binary, "-q", str(wav_path)],
                    stdin=subprocess.DEVNULL,
                    stdout=subprocess.DEVNULL,
                    stderr=subprocess.PIPE,
                )
            except OSError as exc:
                raise SpeechError(f"{self.binary} could not run: {exc.strerror}") from None
            self._proc = proc
        try:
            _, err = proc.communicate(timeout=self.timeout)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.communicate()
            raise SpeechError(f"{self.binary} played for more than {self.timeout} s") from None
        finally:
            with self._lock:
                self._proc = None
                stopped = self._stopped
        if proc.returncode != 0 and not stopped:
            detail = err.decode("utf-8", "replace").strip()[-200:]
            raise SpeechError(f"{self.binary} exited with {proc.returncode}: {detail}")

    def stop(self) -> None:
        with self._lock:
            if self._proc is not None and self._proc.poll() is None:
                self._stopped = True
                self._proc.terminate()


class WavFileSpeaker:
    """The virtual speaker: copies each WAV into ``out_dir`` as ``0001.wav``, ``0002.wav``, …

    Numbering carries on after files already there, so earlier runs are kept.
    """

    def __init__(self, out_dir: Path) -> None:
        self.out_dir = out_dir
        out_dir.mkdir(parents=True, exist_ok=True)
        self.played: list[Path] = []
        existing = (int(p.stem) for p in out_dir.glob("*.wav") if p.stem.isdigit())
        self._next = max(existing, default=0) + 1

    def play(self, wav_path: Path) -> None:
        target = self.out_dir / f"{self._next:04d}.wav"
        shutil.copyfile(wav_path, target)
        self._next += 1
        self.played.append(target)

    def stop(self) -> None:
        """Nothing to cut short: a copy is over as soon as it starts."""


def has_alsa_playback(cards_file: Path = Path("/proc/asound/cards")) -> bool:
    """Whether ALSA has a sound card to play on (and aplay is there to use it)."""
    if shutil.which("aplay") is None:
        return False
    try:
        cards = cards_file.read_text(encoding="utf-8", errors="replace")
    except OSError:
        cards = ""
    if re.search(r"^\s*\d+\s+\[", cards, re.MULTILINE):
        return True
    try:
        listing = subprocess.run(
            ["aplay", "-l"], capture_output=True, text=True, timeout=5, check=False
        )
    except (OSError, subprocess.TimeoutExpired):
        return False
    return listing.returncode == 0 and "card " in listing.stdout
