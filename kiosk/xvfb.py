"""A virtual X display for machines without a screen (the demo and the UI tests)."""

from __future__ import annotations

import os
import select
import shutil
import subprocess
import time
from collections.abc import Iterator
from contextlib import contextmanager

XVFB_START_TIMEOUT_S = 10.0


class XvfbError(RuntimeError):
    pass


@contextmanager
def virtual_display(width: int = 800, height: int = 480) -> Iterator[str]:
    """Start Xvfb, yield its DISPLAY value, stop it afterwards."""
    if shutil.which("Xvfb") is None:
        raise XvfbError("Xvfb is not installed; run: sudo apt install xvfb")
    # Xvfb picks a free display number itself and writes it to the pipe (-displayfd): two
    # processes starting displays at once never reach for the same number.
    read_end, write_end = os.pipe()
    try:
        proc = subprocess.Popen(
            ["Xvfb", "-displayfd", str(write_end), "-screen", "0", f"{width}x{height}x24",
             "-nolisten", "tcp"],
            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, pass_fds=(write_end,),
        )
    finally:
        os.close(write_end)
    try:
        number = _read_display(read_end, proc)
    finally:
        os.close(read_end)
    try:
        yield f":{number}"
    finally:
        proc.terminate()
        try:
            proc.wait(5)
        except subprocess.TimeoutExpired:
            proc.kill()


def _read_display(pipe: int, proc: subprocess.Popen[bytes]) -> int:
    """The display number Xvfb writes once it accepts connections."""
    deadline = time.monotonic() + XVFB_START_TIMEOUT_S
    got = b""
    while not got.endswith(b"\n"):
        ready, _, _ = select.select([pipe], [], [], max(0.0, deadline - time.monotonic()))
        chunk = os.read(pipe, 16) if ready else b""
        if not chunk:
            proc.kill()
            raise XvfbError("Xvfb did not start")
        got += chunk
    return int(got)
