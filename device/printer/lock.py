"""One owner of a printer at a time, across processes: an ``flock`` on a lock file."""

from __future__ import annotations

import contextlib
import fcntl
import os
import threading
import time
from collections.abc import Iterator
from pathlib import Path


class DeviceBusy(RuntimeError):
    """Another process (or thread) is using the printer; ``owner`` says which, if known."""

    def __init__(self, owner: str) -> None:
        super().__init__(f"printer busy: {owner or 'another process'}")
        self.owner = owner


class DeviceLock:
    """One owner of a printer at a time, across processes: ``flock`` on a lock file.

    The kiosk's printer worker, its status poll and the ``shuoshi printer``/``receipt``
    commands all take it before they touch the device, so no status request or second job
    lands in the middle of a job. The kernel lets go when the owner dies, however it dies;
    so whoever holds the lock knows a job left in the spool's printing/ is nobody's.
    Re-entrant within a thread (the worker holds it around claim, send and finish).
    """

    def __init__(self, path: Path) -> None:
        self.path = path
        self._thread_lock = threading.RLock()
        self._depth = 0
        self._fd: int | None = None

    def owner(self) -> str:
        """Who last took the lock (pid and what for), for staff; "" if unknown."""
        try:
            return self.path.read_text(encoding="utf-8").strip()
        except OSError:
            return ""

    @contextlib.contextmanager
    def held(self, wait: float | None = None, what: str = "") -> Iterator[None]:
        """Hold the device; ``wait`` seconds at most (None: as long as it takes), else
        ``DeviceBusy``."""
        if not self._thread_lock.acquire(timeout=-1 if wait is None else wait):
            raise DeviceBusy(self.owner())
        try:
            if self._depth == 0:
                self._take(wait, what)
            self._depth += 1
            try:
                yield
            finally:
                self._depth -= 1
                if self._depth == 0:
                    self._let_go()
        finally:
            self._thread_lock.release()

    def _take(self, wait: float | None, what: str) -> None:
        fd, writable = self._open()
        deadline = None if wait is None else time.monotonic() + wait
        try:
            while True:
                try:
                    fcntl.flock(fd, fcntl.LOCK_EX | (0 if deadline is None else fcntl.LOCK_NB))
                    break
                except BlockingIOError:
                    if deadline is not None and time.monotonic() >= deadline:
                        raise DeviceBusy(self.owner()) from None
                    time.sleep(0.05)
            if writable:
                os.ftruncate(fd, 0)
                os.pwrite(fd, f"pid {os.getpid()} {what}".strip().encode(), 0)
        except BaseException:
            os.close(fd)
            raise
        self._fd = fd

    def _open(self) -> tuple[int, bool]:
        """The lock file, for writing who holds it where it may be written. One made by
        another user (`sudo shuoshi printer status` makes root's) is opened read-only: a
        read-only descriptor takes the flock as well, so the kiosk still prints."""
        self.path.parent.mkdir(parents=True, exist_ok=True)
        try:
            fd = os.open(self.path, os.O_RDWR | os.O_CREAT | os.O_CLOEXEC, 0o666)
        except PermissionError:
            return os.open(self.path, os.O_RDONLY | os.O_CLOEXEC), False
        with contextlib.suppress(OSError):  # any user's command may say it holds the printer
            if os.fstat(fd).st_uid == os.geteuid():
                os.fchmod(fd, 0o666)
        return fd, True

    def _let_go(self) -> None:
        if self._fd is not None:
            fd, self._fd = self._fd, None
            os.close(fd)  # closing the last descriptor releases the flock
