"""Where receipt bytes go: the Printer protocol and the device-node printer."""

from __future__ import annotations

import errno
from dataclasses import dataclass
from pathlib import Path
from typing import Protocol

from escpos.exceptions import DeviceNotFoundError
from escpos.printer import File

from .escpos import encode_escpos
from .layout import ReceiptLayout

PLAIN_ERRORS = {
    errno.ENOSPC: "disk full",
    errno.EDQUOT: "disk quota exceeded",
    errno.EACCES: "permission denied",
    errno.EPERM: "permission denied",
    errno.EROFS: "read-only file system",
    errno.ENOENT: "no such file or folder",
    errno.ENOTDIR: "a path component is a file, not a folder",
    errno.EEXIST: "a file is in the way of the output folder",
    errno.EISDIR: "the path is a folder",
    errno.EIO: "input/output error (printer or disk fault)",
    errno.EBUSY: "device busy",
    errno.ENODEV: "printer not connected",
    errno.ENXIO: "printer not connected",
}


@dataclass(frozen=True)
class PrintOutcome:
    """Result of one print job; ``detail`` is plain words for logs and staff."""

    ok: bool
    detail: str
    files: tuple[Path, ...] = ()


class Printer(Protocol):
    def print_receipt(self, layout: ReceiptLayout, job_name: str) -> PrintOutcome: ...


def describe_os_error(error: OSError, action: str) -> str:
    """E.g. 'could not save receipt 12 in /srv/out: disk full'."""
    reason = PLAIN_ERRORS.get(error.errno or 0) or error.strerror or str(error)
    return f"could not {action}: {reason}"


class FilePrinter:
    """Writes ESC/POS bytes to a device node such as /dev/usb/lp0."""

    def __init__(self, device_path: Path) -> None:
        self.device_path = device_path

    def print_receipt(self, layout: ReceiptLayout, job_name: str) -> PrintOutcome:
        data = encode_escpos(layout)
        printer = File(devfile=str(self.device_path))
        try:
            printer.open()
            try:
                printer._raw(data)
            finally:
                printer.close()
        except DeviceNotFoundError as error:
            cause = error.__context__
            if isinstance(cause, OSError):
                return PrintOutcome(
                    False, describe_os_error(cause, f"open printer {self.device_path}")
                )
            return PrintOutcome(False, f"could not open printer {self.device_path}")
        except OSError as error:
            action = f"send receipt {job_name} to {self.device_path}"
            return PrintOutcome(False, describe_os_error(error, action))
        return PrintOutcome(True, f"sent {len(data)} bytes to {self.device_path}")
