"""A printer that saves receipts as files: the exact ESC/POS bytes and a PNG preview."""

from __future__ import annotations

import contextlib
import os
import tempfile
from collections.abc import Callable
from pathlib import Path
from typing import BinaryIO

from .profiles import DEFAULT_PROFILE, PrinterProfile, get_profile
from .render import Fonts, render_image
from .status import PrinterState
from .transport import PrintOutcome, describe_os_error


def check_job_name(job_name: str) -> None:
    """Job names become file names, so they must be a single plain path component."""
    if not job_name or job_name.startswith(".") or any(c in job_name for c in "/\\\0"):
        raise ValueError(f"job name must be a plain file name, got {job_name!r}")


def fsync_dir(folder: Path) -> None:
    """Make a rename in ``folder`` itself survive a power cut."""
    fd = os.open(folder, os.O_RDONLY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)


def write_atomic(path: Path, write: Callable[[BinaryIO], object]) -> None:
    """Write via a fsynced temp file renamed over ``path``: readers never see half a file."""
    fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.", suffix=".tmp")
    try:
        with os.fdopen(fd, "wb") as handle:
            os.fchmod(handle.fileno(), 0o644)  # mkstemp creates 0600; receipts are not secret
            write(handle)
            handle.flush()
            os.fsync(handle.fileno())
        os.replace(tmp, path)
    except BaseException:
        with contextlib.suppress(OSError):
            os.unlink(tmp)
        raise
    fsync_dir(path.parent)


class VirtualPrinter:
    """Saves ``<out_dir>/<job_name>.bin`` and ``.png``; reports I/O errors, never raises them.

    The printer ``make run`` uses when none is attached. ``state`` can be set to make it
    refuse jobs as a real printer with that problem would.
    """

    def __init__(self, out_dir: Path, fonts: Fonts, profile: PrinterProfile | None = None) -> None:
        self.out_dir = out_dir
        self.fonts = fonts
        self.profile = profile or get_profile(DEFAULT_PROFILE)
        self.state = PrinterState.ONLINE

    def status(self) -> PrinterState:
        return self.state

    def send(self, data: bytes, job_name: str) -> PrintOutcome:
        check_job_name(job_name)
        if not self.state.can_print:
            return PrintOutcome(False, f"virtual printer: {self.state.label}", state=self.state)
        bin_path = self.out_dir / f"{job_name}.bin"
        png_path = self.out_dir / f"{job_name}.png"
        try:
            self.out_dir.mkdir(parents=True, exist_ok=True)
            write_atomic(bin_path, lambda handle: handle.write(data))
        except OSError as error:
            action = f"save receipt {job_name} in {self.out_dir}"
            return PrintOutcome(False, describe_os_error(error, action), state=self.state)
        try:
            image = render_image(data, self.fonts, self.profile.paper_dots)
            write_atomic(png_path, lambda handle: image.save(handle, format="PNG"))
        except OSError as error:
            action = f"draw the preview {png_path.name} (receipt bytes were saved)"
            return PrintOutcome(False, describe_os_error(error, action), (bin_path,),
                                maybe_printed=True, state=self.state)
        detail = f"saved {bin_path.name} ({len(data)} bytes) and {png_path.name}"
        return PrintOutcome(True, detail, (bin_path, png_path), state=self.state)
