"""Playing WAV files: through ALSA's aplay, or into a folder on machines without a sound card."""

from __future__ import annotations

import re
import shutil
import subprocess
import threading
import time
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


STOP_GRACE_SECONDS = 1.0
"""How long a stopped player may take to end after SIGTERM before it is killed."""


class AplaySpeaker:
    """Plays through ``aplay -q``; ``stop()`` from another thread ends the playback: it
    asks the player to end (SIGTERM) and returns at once; ``play`` kills a player still
    there ``kill_after`` seconds later (one stuck in the sound driver may ignore SIGTERM)."""

    def __init__(self, *, binary: str = "aplay", timeout: float = 300.0,
                 kill_after: float = STOP_GRACE_SECONDS) -> None:
        self.binary = binary
        self.timeout = timeout
        self.kill_after = kill_after
        self._lock = threading.Lock()
        self._proc: subprocess.Popen[bytes] | None = None
        self._stopped = False
        self._stopped_at = 0.0

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
            err = self._wait(proc)
        finally:
            with self._lock:
                self._proc = None
                stopped = self._stopped
        if proc.returncode != 0 and not stopped:
            detail = err.decode("utf-8", "replace").strip()[-200:]
            raise SpeechError(f"{self.binary} exited with {proc.returncode}: {detail}")

    def _wait(self, proc: subprocess.Popen[bytes]) -> bytes:
        """Wait for the player to end, killing it when it outlives a stop or the timeout."""
        deadline = time.monotonic() + self.timeout
        while True:
            try:
                return proc.communicate(timeout=0.1)[1]
            except subprocess.TimeoutExpired:
                pass
            with self._lock:
                overdue = self._stopped and time.monotonic() > self._stopped_at + self.kill_after
            if overdue:
                proc.kill()
            elif time.monotonic() > deadline:
                proc.kill()
                proc.communicate()
                raise SpeechError(f"{self.binary} played for more than {self.timeout} s")

    def stop(self) -> None:
        with self._lock:
            if self._proc is not None and self._proc.poll() is None:
                if not self._stopped:
                    self._stopped, self._stopped_at = True, time.monotonic()
                self._proc.terminate()


KEEP_PLAYED = 500
"""The virtual speaker keeps the last this many copies: what was said includes a phone number
read back, and a kiosk left without a sound card must not pile that up for months."""


class WavFileSpeaker:
    """The virtual speaker: copies each WAV into ``out_dir`` as ``0001.wav``, ``0002.wav``, …

    Numbering carries on after files already there; only the last ``keep`` copies are kept.
    """

    def __init__(self, out_dir: Path, keep: int = KEEP_PLAYED) -> None:
        self.out_dir = out_dir
        self.keep = keep
        out_dir.mkdir(parents=True, exist_ok=True)
        self.played: list[Path] = []
        existing = (int(p.stem) for p in out_dir.glob("*.wav") if p.stem.isdigit())
        self._next = max(existing, default=0) + 1

    def play(self, wav_path: Path) -> None:
        target = self.out_dir / f"{self._next:04d}.wav"
        shutil.copyfile(wav_path, target)
        self._next += 1
        self.played.append(target)
        (self.out_dir / f"{self._next - 1 - self.keep:04d}.wav").unlink(missing_ok=True)

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
