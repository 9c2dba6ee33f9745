"""Scanners for tests that speak what the real ones speak, through a pty whose other end the
kiosk opens at a fixed path (a symlink, as udev makes /dev/shuoshi-scanner): the serial one
sends a code's bytes and CR, the HID one ``struct input_event`` records of key presses, as
the kernel delivers them from /dev/input/eventN (this machine's kernel has no uinput).
Unplugging closes the pty and removes the link; plugging in makes a new pty there."""

from __future__ import annotations

import os
import queue
import select
import threading
import time
import tty
from pathlib import Path

from evdev import ecodes

from device.scanner.hid import event_record
from device.scanner.keymap import KEYS_OF


class _VirtualPort:
    """The device's end of a pty. What it sends is written by a thread of its own, as a device
    sends on its own: a pty holds only a few kilobytes until the reader takes them."""

    def __init__(self, link: Path) -> None:
        self.link = link
        self._master: int | None = None
        self._slave: int | None = None
        self._queue: queue.Queue[bytes | None] = queue.Queue()
        self._writer: threading.Thread | None = None
        self._unplugged = threading.Event()
        self.plug()

    def plug(self) -> None:
        """Connect: a new pty, linked at ``link``."""
        self.unplug()
        master, slave = os.openpty()
        tty.setraw(slave)  # no echo, no line editing: bytes pass as they are
        os.set_blocking(master, False)
        self._master, self._slave = master, slave
        self._unplugged = threading.Event()
        self._queue = queue.Queue()
        self._writer = threading.Thread(target=self._send, args=(master, self._queue,
                                                                  self._unplugged),
                                        name="virtual-scanner", daemon=True)
        self._writer.start()
        self.link.unlink(missing_ok=True)
        self.link.symlink_to(os.ttyname(slave))

    def unplug(self) -> None:
        """Disconnect: the reader's next read fails, and the path is gone; what was not sent
        yet is lost, as with a cable pulled."""
        self.link.unlink(missing_ok=True)
        self._unplugged.set()
        if self._writer is not None:
            self._writer.join()
            self._writer = None
        for fd in (self._master, self._slave):
            if fd is not None:
                os.close(fd)
        self._master = self._slave = None

    def write(self, data: bytes) -> None:
        """Raw bytes to the reader, as the device would send them (returns at once)."""
        if self._master is None:
            raise OSError("the virtual scanner is unplugged")
        self._queue.put(data)

    def drain(self, timeout: float = 10.0) -> bool:
        """Wait until everything written has gone into the pty; False on timeout."""
        deadline = time.monotonic() + timeout
        while self._queue.unfinished_tasks and time.monotonic() < deadline:
            time.sleep(0.01)
        return not self._queue.unfinished_tasks

    @staticmethod
    def _send(master: int, pending: queue.Queue[bytes | None], unplugged: threading.Event
              ) -> None:
        while not unplugged.is_set():
            try:
                data = pending.get(timeout=0.05)
            except queue.Empty:
                continue
            view = memoryview(data or b"")
            while view and not unplugged.is_set():
                _, writable, _ = select.select([], [master], [], 0.05)
                if writable:
                    try:
                        view = view[os.write(master, view):]
                    except BlockingIOError:
                        continue
            pending.task_done()

    def close(self) -> None:
        self.unplug()

    def __enter__(self) -> _VirtualPort:
        return self

    def __exit__(self, *_exc: object) -> None:
        self.close()


class VirtualSerialScanner(_VirtualPort):
    """A CDC-ACM scanner: the reader opens ``link`` as it would /dev/ttyACM0."""

    def scan(self, code: str, suffix: bytes = b"\r") -> None:
        self.write(code.encode() + suffix)


class VirtualHidScanner(_VirtualPort):
    """A keyboard-wedge scanner: the reader opens ``link`` as it would an event node."""

    def scan(self, code: str, *, enter: bool = True) -> None:
        self.write(typing_records(code, enter=enter))


def typing_records(code: str, *, enter: bool = True) -> bytes:
    """The key events a US-layout wedge scanner sends for ``code``: each key down and up,
    with shift held around shifted characters, each step closed by EV_SYN."""
    records = bytearray()

    def step(key: int, value: int) -> None:
        records.extend(event_record(ecodes.EV_MSC, ecodes.MSC_SCAN, key))
        records.extend(event_record(ecodes.EV_KEY, key, value))
        records.extend(event_record(ecodes.EV_SYN, ecodes.SYN_REPORT, 0))

    for char in code:
        key, shifted = KEYS_OF[char]
        if shifted:
            step(ecodes.KEY_LEFTSHIFT, 1)
        step(key, 1)
        step(key, 0)
        if shifted:
            step(ecodes.KEY_LEFTSHIFT, 0)
    if enter:
        step(ecodes.KEY_ENTER, 1)
        step(ecodes.KEY_ENTER, 0)
    return bytes(records)
