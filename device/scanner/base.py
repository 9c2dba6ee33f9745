"""What every 2D barcode scanner gives: whole codes as text, one at a time.

A code read from a receipt holds a ticket: nothing here logs what a code says, only how
long it is and what kind of text it looks like.
"""

from __future__ import annotations

import logging
import threading
import time
from collections import deque
from collections.abc import Callable
from typing import Protocol

log = logging.getLogger(__name__)

MAX_CODE_CHARS = 1024
"""A receipt's code is a URL of a few dozen characters; a longer run is garbage and dropped."""
DEFAULT_GAP_SECONDS = 0.2
"""A scanner types a code in a few milliseconds a character: this long without another one
ends a code that came without a suffix (Enter, CR/LF)."""


class ScannerUnavailable(RuntimeError):
    """The scanner cannot be opened or read; the message says why in plain words."""


class ScannerGone(ScannerUnavailable):
    """The scanner was open and went away (unplugged, or its node removed)."""


def describe_code(code: str) -> str:
    """What may be logged about a code: its length and kind, never its content."""
    if code.isdigit():
        kind = "digits"
    elif "://" in code:
        kind = "url"
    else:
        kind = "text"
    return f"{len(code)} characters ({kind})"


def printable(text: str) -> str:
    """``text`` without control characters (a scanner's STX/ETX framing, stray CR)."""
    return "".join(ch for ch in text if ch.isprintable())


class Scanner(Protocol):
    """One scanner: opened, read code by code, closed; reopened after it went away."""

    @property
    def description(self) -> str:
        """What and where it is, e.g. "serial /dev/ttyACM0" (for logs and doctor)."""
        ...

    def open(self) -> None:
        """Take the device (a wedge scanner is grabbed); raises ScannerUnavailable."""
        ...

    def read_code(self, timeout: float) -> str | None:
        """The next whole code, or None when none came within ``timeout`` seconds. Raises
        ScannerGone when the device went away (close, then open again later)."""
        ...

    def close(self) -> None:
        """Let the device go; safe to call more than once, and when it is not open."""
        ...

    def unavailable_reason(self) -> str | None:
        """None when the scanner opens now (then closes it again); otherwise why not."""
        ...


class Decoder(Protocol):
    """Turns what a device sends into codes; holds the start of a code not yet ended."""

    @property
    def pending(self) -> bool:
        ...

    def flush(self) -> str | None:
        """End the code read so far (the scanner went quiet); None when there is none."""
        ...


class CodeReader:
    """The reading every scanner shares: whole codes as their suffix ends them, or once the
    scanner has been quiet for ``gap_seconds`` (a scanner sending no suffix). A device adds
    the codes it decodes to ``_codes`` and the time of its last input to ``_last_input``."""

    def __init__(self, gap_seconds: float) -> None:
        self._gap_s = gap_seconds
        self._codes: deque[str] = deque()
        self._last_input = 0.0

    def read_code(self, timeout: float) -> str | None:
        decoder = self._open_decoder()
        deadline = time.monotonic() + timeout
        while True:
            if self._codes:
                return self._codes.popleft()
            now = time.monotonic()
            gap_ends = self._last_input + self._gap_s
            if decoder.pending and now >= gap_ends:
                code = decoder.flush()
                if code:
                    return code
                continue
            until = min(deadline, gap_ends) if decoder.pending else deadline
            if until <= now:
                return None
            self._wait_and_take(until - now)

    def unavailable_reason(self) -> str | None:
        try:
            self.open()
        except ScannerUnavailable as exc:
            return str(exc)
        finally:
            self.close()
        return None

    # ---- the device's part ----

    def open(self) -> None:
        raise NotImplementedError

    def close(self) -> None:
        raise NotImplementedError

    def _open_decoder(self) -> Decoder:
        """The decoder of the open device; raises ScannerUnavailable when it is not open."""
        raise NotImplementedError

    def _wait_and_take(self, seconds: float) -> None:
        """Wait up to ``seconds`` for input and decode what came; raises ScannerGone."""
        raise NotImplementedError


class NoScanner:
    """The configuration names no scanner (kind = "none"): receipts are typed on the keypad."""

    description = "none"

    def open(self) -> None:
        raise ScannerUnavailable(self.unavailable_reason())

    def read_code(self, timeout: float) -> str | None:
        raise ScannerUnavailable(self.unavailable_reason())

    def close(self) -> None:
        pass

    def unavailable_reason(self) -> str:
        return 'no scanner configured (kind = "none")'


class ScannerListener:
    """A daemon thread that reads codes and hands each to ``on_code`` (on this thread).

    The scanner is opened when it is there and opened again after it went away (a USB
    scanner unplugged and plugged back); nothing it reads or fails at ends the thread.
    """

    def __init__(self, scanner: Scanner, on_code: Callable[[str], None], *,
                 retry_seconds: float = 2.0, poll_seconds: float = 0.5) -> None:
        self.scanner = scanner
        self._on_code = on_code
        self._retry_s = retry_seconds
        self._poll_s = poll_seconds
        self._stopping = threading.Event()
        self._changed = threading.Condition()
        self._opens = 0
        self._thread: threading.Thread | None = None

    def start(self) -> None:
        self._thread = threading.Thread(target=self._run, name="scanner", daemon=True)
        self._thread.start()

    def stop(self, timeout: float = 5.0) -> None:
        """End the thread and let the device go."""
        self._stopping.set()
        if self._thread is not None:
            self._thread.join(timeout)
        self.scanner.close()

    @property
    def is_alive(self) -> bool:
        return self._thread is not None and self._thread.is_alive()

    @property
    def opens(self) -> int:
        """How many times the scanner has been opened so far."""
        return self._opens

    def wait_opened(self, times: int, timeout: float) -> bool:
        """Wait until the scanner has been opened ``times`` times in all; False on timeout."""
        with self._changed:
            return self._changed.wait_for(lambda: self._opens >= times, timeout)

    def _run(self) -> None:
        reason: str | None = None
        while not self._stopping.is_set():
            try:
                self.scanner.open()
            except ScannerUnavailable as exc:
                if str(exc) != reason:  # said once, not every retry
                    reason = str(exc)
                    log.warning("scanner %s: %s", self.scanner.description, reason)
                self._stopping.wait(self._retry_s)
                continue
            except Exception:
                log.exception("scanner %s: opening failed", self.scanner.description)
                self._stopping.wait(self._retry_s)
                continue
            reason = None
            log.info("scanner %s: ready", self.scanner.description)
            with self._changed:
                self._opens += 1
                self._changed.notify_all()
            self._read_until_gone()
            try:
                self.scanner.close()
            except Exception:
                log.exception("scanner %s: closing failed", self.scanner.description)

    def _read_until_gone(self) -> None:
        while not self._stopping.is_set():
            try:
                code = self.scanner.read_code(self._poll_s)
            except ScannerUnavailable as exc:
                log.warning("scanner %s went away: %s", self.scanner.description, exc)
                return
            except Exception:
                log.exception("scanner %s: reading failed", self.scanner.description)
                time.sleep(self._poll_s)  # never a tight loop on a device gone strange
                return
            if code is None:
                continue
            log.info("scanner %s: a code of %s", self.scanner.description, describe_code(code))
            try:
                self._on_code(code)
            except Exception:
                log.exception("scanner: handing over a code failed")
