"""A scanner that is a USB keyboard (HID wedge), read from its evdev node and grabbed, so the
keys it types never reach the screen. Key presses become text in the US layout; a code ends
at Enter (or keypad Enter), or after a short pause for a scanner set up without a suffix."""

from __future__ import annotations

import contextlib
import errno
import os
import select
import stat
import struct
import time
import tty
from typing import Protocol

from evdev import InputDevice, InputEvent, ecodes, list_devices

from device.scanner.base import (
    DEFAULT_GAP_SECONDS,
    MAX_CODE_CHARS,
    CodeReader,
    ScannerGone,
    ScannerUnavailable,
)
from device.scanner.keymap import CHAR_OF, END_KEYS, LETTER_KEYS, SHIFT_KEYS

EVENT_RECORD = struct.Struct("@llHHi")
"""``struct input_event`` as the kernel delivers it from /dev/input/eventN (64-bit)."""
KEY_DOWN = 1
INPUT_MAJOR = 13
"""The character-device major number of /dev/input/event* nodes."""


def event_record(type_: int, code: int, value: int, at: float | None = None) -> bytes:
    """One ``struct input_event``, as read from an event node."""
    when = time.time() if at is None else at
    return EVENT_RECORD.pack(int(when), int(when % 1 * 1_000_000), type_, code, value)


class EventRecords:
    """Bytes read from an event stream → events; a record split across reads waits for the
    rest of it."""

    def __init__(self) -> None:
        self._rest = b""

    def feed(self, data: bytes) -> list[InputEvent]:
        data = self._rest + data
        whole = len(data) - len(data) % EVENT_RECORD.size
        self._rest = data[whole:]
        return [InputEvent(*fields) for fields in EVENT_RECORD.iter_unpack(data[:whole])]


class KeystrokeDecoder:
    """Key events → codes: shift and caps lock applied, Enter ends a code, keys nobody types
    in a receipt's code (F-keys, arrows) left out, and a run too long to be a code dropped."""

    def __init__(self) -> None:
        self._chars: list[str] = []
        self._shift: set[int] = set()
        self._caps = False
        self._overflow = False

    @property
    def pending(self) -> bool:
        """Characters typed that no end key has closed yet."""
        return bool(self._chars) or self._overflow

    def feed(self, event: InputEvent) -> str | None:
        """The code this event ends, if it ends one."""
        if event.type != ecodes.EV_KEY:
            return None
        key, value = event.code, event.value
        if key in SHIFT_KEYS:
            if value == KEY_DOWN:
                self._shift.add(key)
            elif value == 0:
                self._shift.discard(key)
            return None
        if value != KEY_DOWN:  # releases, and auto-repeat a scanner does not send
            return None
        if key in END_KEYS:
            return self.flush()
        if key == ecodes.KEY_CAPSLOCK:
            self._caps = not self._caps
            return None
        shifted = bool(self._shift) != (self._caps and key in LETTER_KEYS)
        char = CHAR_OF.get((key, shifted))
        if char is not None:
            self._add(char)
        return None

    def flush(self) -> str | None:
        """End the code typed so far (an end key, or the pause after the last key)."""
        code, overflow = "".join(self._chars), self._overflow
        self._chars, self._overflow = [], False
        self._shift.clear()  # a scanner holds no shift across codes; a lost release is forgotten
        return code if code and not overflow else None

    def _add(self, char: str) -> None:
        if self._overflow:
            return
        if len(self._chars) >= MAX_CODE_CHARS:
            self._chars, self._overflow = [], True
            return
        self._chars.append(char)


class _EventSource(Protocol):
    def fileno(self) -> int: ...

    def read_events(self) -> list[InputEvent]: ...

    def close(self) -> None: ...


class _GrabbedDevice:
    """A real event node, grabbed: while we hold it, its keys reach nobody else."""

    def __init__(self, path: str) -> None:
        try:
            self._device = InputDevice(path)
        except FileNotFoundError:
            raise ScannerUnavailable(f"no device at {path}") from None
        except PermissionError:
            raise ScannerUnavailable(
                f"no permission to read {path} (the udev rule, or the kiosk user in group "
                f"input); its keys reach the window instead") from None
        except OSError as exc:
            raise ScannerUnavailable(f"{path} is no input device: {exc.strerror}") from None
        try:
            self._device.grab()
        except OSError as exc:
            self._device.close()
            why = ("another program has grabbed it (the kiosk, if it is running)"
                   if exc.errno == errno.EBUSY
                   else exc.strerror)
            raise ScannerUnavailable(f"{path} cannot be grabbed: {why}") from None
        self.name = self._device.name

    def fileno(self) -> int:
        return int(self._device.fd)

    def read_events(self) -> list[InputEvent]:
        try:
            return list(self._device.read())
        except BlockingIOError:
            return []
        except OSError as exc:  # ENODEV: unplugged
            raise ScannerGone(exc.strerror or "read failed") from None

    def close(self) -> None:
        with contextlib.suppress(OSError):  # gone already: the kernel let go of the grab
            self._device.ungrab()
        self._device.close()


class _EventStream:
    """Event records from a FIFO or a pty (the virtual scanner)."""

    def __init__(self, path: str) -> None:
        try:
            self._fd = os.open(path, os.O_RDONLY | os.O_NONBLOCK | os.O_NOCTTY)
        except OSError as exc:
            raise ScannerUnavailable(f"cannot open {path}: {exc.strerror}") from None
        if os.isatty(self._fd):
            tty.setraw(self._fd)  # records are bytes, not lines
        self._records = EventRecords()
        self.name = "event stream"

    def fileno(self) -> int:
        return self._fd

    def read_events(self) -> list[InputEvent]:
        try:
            data = os.read(self._fd, 64 * EVENT_RECORD.size)
        except BlockingIOError:
            return []
        except OSError as exc:  # EIO: the pty's other end closed
            raise ScannerGone(exc.strerror or "read failed") from None
        if not data:
            raise ScannerGone("the event stream ended")
        return self._records.feed(data)

    def close(self) -> None:
        os.close(self._fd)


def _is_event_stream(path: str) -> bool:
    try:
        mode = os.stat(path).st_mode
    except OSError:
        return False
    if stat.S_ISFIFO(mode):
        return True
    if stat.S_ISCHR(mode) and os.major(os.stat(path).st_rdev) == INPUT_MAJOR:
        return False
    try:
        fd = os.open(path, os.O_RDONLY | os.O_NONBLOCK | os.O_NOCTTY)
    except OSError:
        return False
    try:
        return os.isatty(fd)
    finally:
        os.close(fd)


def find_by_name(name: str) -> str:
    """The event node of the first input device whose name contains ``name``."""
    wanted = name.casefold()
    for path in list_devices():
        try:
            device = InputDevice(path)
        except OSError:
            continue
        try:
            if wanted in device.name.casefold():
                return path
        finally:
            device.close()
    raise ScannerUnavailable(f"no input device named like {name!r}")


class HidScanner(CodeReader):
    """A keyboard-wedge scanner at an event node (e.g. /dev/shuoshi-scanner, made by a udev
    rule), or found by its device name when ``device`` is no path."""

    def __init__(self, device: str, *, gap_seconds: float = DEFAULT_GAP_SECONDS) -> None:
        super().__init__(gap_seconds)
        self._device = device
        self._source: _EventSource | None = None
        self._decoder = KeystrokeDecoder()
        self.grabbed = False
        """Whether the open device is grabbed (a real event node)."""

    @property
    def description(self) -> str:
        return f"hid {self._device}"

    def open(self) -> None:
        self.close()
        path = self._device if self._device.startswith("/") else find_by_name(self._device)
        if _is_event_stream(path):
            # a FIFO or pty carries the kernel's records but is no input device: there is
            # nothing to grab, and no key it carries reaches the screen
            self._source, self.grabbed = _EventStream(path), False
        else:
            self._source, self.grabbed = _GrabbedDevice(path), True
        self._decoder = KeystrokeDecoder()
        self._codes.clear()

    def _open_decoder(self) -> KeystrokeDecoder:
        if self._source is None:
            raise ScannerUnavailable("not open")
        return self._decoder

    def _wait_and_take(self, seconds: float) -> None:
        source = self._source
        assert source is not None
        readable, _, _ = select.select([source.fileno()], [], [], seconds)
        if readable:
            self._take(source.read_events())

    def _take(self, events: list[InputEvent]) -> None:
        for event in events:
            if event.type == ecodes.EV_KEY and event.value == KEY_DOWN:
                self._last_input = time.monotonic()
            code = self._decoder.feed(event)
            if code:
                self._codes.append(code)

    def close(self) -> None:
        source, self._source = self._source, None
        if source is not None:
            source.close()
