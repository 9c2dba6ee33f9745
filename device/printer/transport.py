"""The Printer protocol, print outcomes, and the printer behind a byte connection."""

from __future__ import annotations

import contextlib
import errno
from dataclasses import dataclass
from pathlib import Path
from typing import Protocol

from .links import STATUS_READ_TIMEOUT, Link, LinkError
from .profiles import PrinterProfile
from .status import PrinterState, query_state

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
    """Result of one print job; ``detail`` is plain words for logs and staff.

    ``maybe_printed`` is True when a failure came after bytes reached the printer: the
    paper may or may not show the receipt, so it must not be sent again by itself.
    """

    ok: bool
    detail: str
    files: tuple[Path, ...] = ()
    maybe_printed: bool = False
    state: PrinterState = PrinterState.UNKNOWN


class Printer(Protocol):
    """Somewhere receipts go. ``send`` never raises for printer or I/O trouble."""

    profile: PrinterProfile

    def status(self) -> PrinterState: ...
    def send(self, data: bytes, job_name: str) -> PrintOutcome: ...


def describe_os_error(error: OSError, action: str) -> str:
    """E.g. 'could not save receipt 12 in /srv/out: disk full'."""
    reason = PLAIN_ERRORS.get(error.errno or 0) or error.strerror or str(error)
    return f"could not {action}: {reason}"


class LinkPrinter:
    """An ESC/POS printer on a Link: asks its status, then sends the job if it can print."""

    def __init__(self, link: Link, profile: PrinterProfile,
                 status_timeout: float = STATUS_READ_TIMEOUT) -> None:
        self.link = link
        self.profile = profile
        self.status_timeout = status_timeout

    def _state(self) -> PrinterState:
        if not (self.profile.status and self.link.can_read):
            return PrinterState.UNKNOWN
        return query_state(self.link.write, lambda: self.link.read(1, self.status_timeout))

    def status(self) -> PrinterState:
        try:
            self.link.open()
        except LinkError:
            return PrinterState.OFFLINE
        try:
            return self._state()
        except LinkError:
            return PrinterState.OFFLINE
        finally:
            self._close_quietly()

    def _close_quietly(self) -> None:
        with contextlib.suppress(LinkError):
            self.link.close()

    def send(self, data: bytes, job_name: str) -> PrintOutcome:
        where = self.link.description
        try:
            self.link.open()
        except LinkError as error:
            return PrintOutcome(False, str(error), state=PrinterState.OFFLINE)
        sent_any = False
        try:
            state = self._state()
            if not state.can_print:
                return PrintOutcome(False, f"{where}: {state.label}, {job_name} kept in the queue",
                                    state=state)
            sent_any = True
            self.link.write(data)
            self.link.close()
        except LinkError as error:
            self._close_quietly()
            maybe = sent_any and error.sent != 0
            return PrintOutcome(False, str(error), maybe_printed=maybe,
                                state=PrinterState.OFFLINE)
        finally:
            self._close_quietly()
        return PrintOutcome(True, f"sent {job_name} ({len(data)} bytes) to {where}", state=state)
