"""A scanner on a USB serial port (CDC-ACM, /dev/ttyACM0): codes are lines ending in CR
and/or LF, or end after a short pause for a scanner set up without a suffix."""

from __future__ import annotations

import contextlib
import select
import time

import serial

from device.scanner.base import (
    DEFAULT_GAP_SECONDS,
    MAX_CODE_CHARS,
    CodeReader,
    ScannerGone,
    ScannerUnavailable,
    printable,
)

DEFAULT_PORT = "/dev/ttyACM0"
_ENDS = b"\r\n"


class LineDecoder:
    """Bytes as they arrive → codes: CR, LF or CRLF end one, a line split across reads waits
    for the rest, control characters are left out and an overlong run is dropped."""

    def __init__(self) -> None:
        self._line = bytearray()
        self._overflow = False

    @property
    def pending(self) -> bool:
        return bool(self._line) or self._overflow

    def feed(self, data: bytes) -> list[str]:
        codes: list[str] = []
        for byte in data:
            if byte in _ENDS:
                code = self.flush()
                if code:
                    codes.append(code)
            elif self._overflow:
                continue
            elif len(self._line) >= MAX_CODE_CHARS:
                self._line.clear()
                self._overflow = True
            else:
                self._line.append(byte)
        return codes

    def flush(self) -> str | None:
        """End the line read so far (an end byte, or the pause after the last byte)."""
        text = printable(self._line.decode("utf-8", errors="replace")).strip()
        overflow = self._overflow
        self._line.clear()
        self._overflow = False
        return text if text and not overflow else None


class SerialScanner(CodeReader):
    def __init__(self, port: str = DEFAULT_PORT, *, baudrate: int = 9600,
                 gap_seconds: float = DEFAULT_GAP_SECONDS) -> None:
        super().__init__(gap_seconds)
        self._port = port or DEFAULT_PORT
        self._baudrate = baudrate
        self._serial: serial.Serial | None = None
        self._decoder = LineDecoder()

    @property
    def description(self) -> str:
        return f"serial {self._port}"

    def open(self) -> None:
        self.close()
        try:
            self._serial = serial.Serial(self._port, self._baudrate, timeout=0,
                                         exclusive=True)
        except serial.SerialException as exc:
            raise ScannerUnavailable(_plain(exc, self._port)) from None
        self._decoder = LineDecoder()
        self._codes.clear()

    def _open_decoder(self) -> LineDecoder:
        if self._serial is None:
            raise ScannerUnavailable("not open")
        return self._decoder

    def _wait_and_take(self, seconds: float) -> None:
        port = self._serial
        assert port is not None
        try:
            readable, _, _ = select.select([port.fileno()], [], [], seconds)
            data = port.read(max(1, port.in_waiting)) if readable else b""
        except (serial.SerialException, OSError) as exc:
            raise ScannerGone(str(exc)) from None
        if data:
            self._last_input = time.monotonic()
            self._codes.extend(self._decoder.feed(data))

    def close(self) -> None:
        port, self._serial = self._serial, None
        if port is not None:
            # unplugged: nothing left to close properly
            with contextlib.suppress(serial.SerialException, OSError):
                port.close()


def _plain(exc: serial.SerialException, port: str) -> str:
    code = exc.errno if isinstance(exc.errno, int) else None
    if code == 2:
        return f"no device at {port}"
    if code == 13:
        return f"no permission to open {port} (the kiosk user in group dialout)"
    if "lock" in str(exc).lower():
        return f"{port} is held by another program"
    return f"cannot open {port}: {exc}"
