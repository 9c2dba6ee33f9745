"""A virtual X display for machines without a screen (the demo and the UI tests)."""

from __future__ import annotations

import shutil
import subprocess
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

XVFB_START_TIMEOUT_S = 10.0


class XvfbError(RuntimeError):
    pass


def _free_display() -> int:
    for number in range(90, 200):
        if not Path(f"/tmp/.X11-unix/X{number}").exists() and not Path(
            f"/tmp/.X{number}-lock"
        ).exists():
            return number
    raise XvfbError("no free X display number between :90 and :199")


@contextmanager
def virtual_display(width: int = 800, height: int = 480) -> Iterator[str]:
    """Start Xvfb, yield its DISPLAY value, stop it afterwards."""
    if shutil.which("Xvfb") is None:
        raise XvfbError("Xvfb is not installed; run: sudo apt install xvfb")
    number = _free_display()
    proc = subprocess.Popen(
        ["Xvfb", f":{number}", "-screen", "0", f"{width}x{height}x24", "-nolisten", "tcp"],
        stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
    )
    socket = Path(f"/tmp/.X11-unix/X{number}")
    deadline = time.monotonic() + XVFB_START_TIMEOUT_S
    while not socket.exists():
        if proc.poll() is not None or time.monotonic() > deadline:
            proc.kill()
            raise XvfbError(f"Xvfb :{number} did not start")
        time.sleep(0.05)
    try:
        yield f":{number}"
    finally:
        proc.terminate()
        try:
            proc.wait(5)
        except subprocess.TimeoutExpired:
            proc.kill()
