"""The Printer protocol, print outcomes, and the printer behind a byte connection."""

from __future__ import annotations

import contextlib
import errno
import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Protocol

from .links import STATUS_READ_TIMEOUT, Link, LinkError, line_seconds
from .lock import DeviceLock
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
    """An ESC/POS printer on a Link: asks its status, sends the job if it can print, and
    counts it printed only when every byte went out and, where the printer answers status,
    it still answers "ready" after the job. Anything else may be half on paper."""

    def __init__(self, link: Link, profile: PrinterProfile,
                 status_timeout: float = STATUS_READ_TIMEOUT,
                 lock: DeviceLock | None = None) -> None:
        self.link = link
        self.profile = profile
        self.status_timeout = status_timeout
        self.lock = lock
        """Held around every use of the device, so no other process writes into a job."""

    def _state(self, first_wait: float = 0.0) -> PrinterState:
        if not (self.profile.status and self.link.can_read):
            return PrinterState.UNKNOWN
        waits = [self.status_timeout + first_wait]

        def read_one() -> bytes:
            wait = waits.pop() if waits else self.status_timeout
            return self.link.read(1, wait)

        return query_state(self.link.write, read_one)

    def _owned(self) -> contextlib.AbstractContextManager[object]:
        return self.lock.held() if self.lock is not None else contextlib.nullcontext()

    def status(self) -> PrinterState:
        with self._owned():
            try:
                self.link.open()
            except LinkError:
                return PrinterState.UNREACHABLE
            try:
                return self._state()
            except LinkError:
                return PrinterState.UNREACHABLE
            finally:
                self.link.close()

    def send(self, data: bytes, job_name: str,
             starting: Callable[[], object] | None = None) -> PrintOutcome:
        """``starting`` is called once the printer said it can print, before the first
        byte of the job (the spool marks the job: from now on it may be on paper)."""
        with self._owned():
            return self._send(data, job_name, starting)

    def _send(self, data: bytes, job_name: str,
              starting: Callable[[], object] | None) -> PrintOutcome:
        where = self.link.description
        try:
            self.link.open()
        except LinkError as error:
            return PrintOutcome(False, str(error), state=PrinterState.UNREACHABLE)
        job_out = False
        try:
            before = self._state()
            if not before.can_print:
                return PrintOutcome(False, f"{where}: {before.label}, {job_name} kept in the queue",
                                    state=before)
            if starting is not None:
                starting()
            began = time.monotonic()
            try:
                self.link.write(data)
            except LinkError as error:
                return PrintOutcome(False, str(error), maybe_printed=error.sent != 0,
                                    state=PrinterState.UNREACHABLE)
            job_out = True
            after = PrinterState.UNKNOWN
            if before is not PrinterState.UNKNOWN:  # it answers: it must answer after the job
                # on a slow line the job may still be on its way when the question goes out
                queued = line_seconds(len(data), self.link.bytes_per_second)
                after = self._state(max(0.0, queued - (time.monotonic() - began)))
            self.link.finish()
        except LinkError as error:
            return PrintOutcome(False, str(error), maybe_printed=job_out,
                                state=PrinterState.UNREACHABLE)
        finally:
            self.link.close()
        if before is not PrinterState.UNKNOWN and not after.confirms_a_job:
            why = "no answer" if after is PrinterState.UNKNOWN else after.label
            return PrintOutcome(False, f"{where}: {job_name} went out but the printer did not "
                                f"confirm it ({why}); check the paper", maybe_printed=True,
                                state=after)
        return PrintOutcome(True, f"sent {job_name} ({len(data)} bytes) to {where}",
                            state=after if after is not PrinterState.UNKNOWN else before)
