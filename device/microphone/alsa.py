"""The Pi's microphone: ALSA capture through ``arecord``, raw audio read from its stdout."""

from __future__ import annotations

import re
import shutil
import subprocess
import threading
from pathlib import Path
from typing import IO

from device.microphone.base import CHUNK_BYTES, RATE, SAMPLE_BYTES, MicrophoneUnavailable

STOP_GRACE_SECONDS = 1.0
"""How long arecord may take to end after SIGTERM before it is killed."""
CARD_LINE = re.compile(r"^card \d+:", re.MULTILINE)


class AlsaCapture:
    """One ``arecord`` run. ``close()`` may come from another thread while ``read()`` waits:
    ending the process ends the pipe, so the waiting read returns."""

    def __init__(self, proc: subprocess.Popen[bytes], binary: str) -> None:
        assert proc.stdout is not None and proc.stderr is not None
        self._proc = proc
        self._stdout: IO[bytes] = proc.stdout
        self._stderr: IO[bytes] = proc.stderr
        self._binary = binary
        self._lock = threading.Lock()
        self._closed = False

    def read(self) -> bytes:
        if self._closed:
            return b""
        try:
            data = self._stdout.read(CHUNK_BYTES)
        except (ValueError, OSError):  # closed by another thread meanwhile
            return b""
        if data:
            return data[: len(data) - len(data) % SAMPLE_BYTES]
        failure = self._end(asked_to_stop=False)
        if failure:
            raise MicrophoneUnavailable(failure)
        return b""

    def close(self) -> None:
        self._end(asked_to_stop=True)

    def _end(self, *, asked_to_stop: bool) -> str | None:
        """Stop (if asked) and reap arecord, once; returns why it failed if it ended badly
        by itself."""
        with self._lock:
            if self._closed:
                return None
            self._closed = True
            if asked_to_stop and self._proc.poll() is None:
                self._proc.terminate()
            try:
                code = self._proc.wait(STOP_GRACE_SECONDS)
            except subprocess.TimeoutExpired:
                self._proc.kill()
                code = self._proc.wait()
            detail = self._stderr.read().decode("utf-8", "replace").strip()[-200:]
            self._stderr.close()
            self._stdout.close()
        if asked_to_stop or code == 0:
            return None
        return f"{self._binary} stopped with exit code {code}: {detail or 'no message'}"


class AlsaMicrophone:
    """``arecord -D DEVICE -f S16_LE -r 16000 -c 1 -t raw``, one process per recording."""

    def __init__(self, device: str = "default", *, binary: str = "arecord") -> None:
        self.device = device
        self.binary = binary

    def unavailable_reason(self) -> str | None:
        if shutil.which(self.binary) is None:
            return f"{self.binary} not installed (sudo apt install alsa-utils)"
        try:
            listing = subprocess.run([self.binary, "-l"], capture_output=True, text=True,
                                     timeout=5, check=False, stdin=subprocess.DEVNULL)
        except (OSError, subprocess.TimeoutExpired):
            return f"{self.binary} -l did not answer"
        if not CARD_LINE.search(listing.stdout):
            driver = "" if Path("/proc/asound").is_dir() else \
                "; no /proc/asound: the kernel has no sound driver"
            return f"no capture device ({self.binary} -l lists none{driver})"
        return None

    def open(self) -> AlsaCapture:
        command = [self.binary, "-q", "-D", self.device, "-f", "S16_LE", "-r", str(RATE),
                   "-c", "1", "-t", "raw"]
        try:
            proc = subprocess.Popen(command, stdin=subprocess.DEVNULL, stdout=subprocess.PIPE,
                                    stderr=subprocess.PIPE)
        except OSError as exc:
            raise MicrophoneUnavailable(f"{self.binary} could not run: {exc.strerror}") from None
        return AlsaCapture(proc, self.binary)
