"""Byte connections to a printer, each write and read bounded by a timeout.

Serial and USB ports are opened with python-escpos; its ``Network`` and ``File`` classes
are not used: the first leaks its socket when a connect fails and the second has no
timeout at all, so a switched-off printer on /dev/usb/lp0 would hang the kiosk.

A job's time on a slow line is part of its timeout: at 9600 baud a 43 KB raster receipt
needs 45 s on the wire, so a serial write may take ``timeout`` plus that time and a half.
``finish()`` ends a job and reports a connection the printer cut while it went out.
"""

from __future__ import annotations

import contextlib
import errno
import os
import select
import socket
import stat
import subprocess
import time
from typing import Any, Protocol

DEFAULT_TIMEOUT = 2.0
CHUNK = 512  # bytes per write, so a timeout knows how much already went out
STATUS_READ_TIMEOUT = 0.5
BITS_PER_BYTE = 10  # 8N1: start bit, 8 data bits, stop bit
LINE_MARGIN = 1.5  # flow control pauses and a slow printer: half as long again
USB_BYTES_PER_SECOND = 10_000.0  # the slowest USB printers take raster at about this rate


def line_seconds(size: int, bytes_per_second: float | None) -> float:
    """How long ``size`` bytes need on a line of that speed, with a margin; 0 when fast."""
    if not bytes_per_second:
        return 0.0
    return size / bytes_per_second * LINE_MARGIN


class LinkError(OSError):
    """A connection failed; ``sent`` bytes had already gone out (0 = nothing printed)."""

    def __init__(self, message: str, sent: int = 0) -> None:
        super().__init__(message)
        self.sent = sent


class Link(Protocol):
    """An open-able byte pipe to one printer."""

    description: str
    can_read: bool
    bytes_per_second: float | None
    """The line's speed where it limits a job (serial); None for fast links."""

    def open(self) -> None: ...
    def write(self, data: bytes) -> None: ...
    def read(self, size: int, timeout: float) -> bytes: ...
    def finish(self) -> None:
        """The job is complete: hand it over; LinkError if the printer did not take it."""
    def close(self) -> None:
        """Let go of the connection; never raises, never submits anything."""


class DeviceNodeLink:
    """A device node such as /dev/usb/lp0 (or a FIFO), written without ever blocking."""

    def __init__(self, path: str, timeout: float = DEFAULT_TIMEOUT) -> None:
        self.path = path
        self.timeout = timeout
        self.description = path
        self.can_read = False
        self.bytes_per_second: float | None = None
        self._fd: int | None = None

    def open(self) -> None:
        try:
            mode = os.stat(self.path).st_mode
            # a FIFO opened read-write would be its own reader; a plain file has no status
            readable = stat.S_ISCHR(mode)
            flags = os.O_RDWR if readable else os.O_WRONLY | os.O_APPEND
            self._fd = os.open(self.path, flags | os.O_NONBLOCK | os.O_NOCTTY)
        except OSError as error:
            raise LinkError(f"cannot open {self.path}: {_plain(error)}") from None
        self.can_read = readable

    def write(self, data: bytes) -> None:
        assert self._fd is not None
        sent = 0
        poller = select.poll()
        poller.register(self._fd, select.POLLOUT)
        while sent < len(data):
            if not poller.poll(self.timeout * 1000):
                raise LinkError(f"{self.path} took no data for {self.timeout:g} s", sent)
            try:
                sent += os.write(self._fd, data[sent : sent + CHUNK])
            except BlockingIOError:
                continue
            except OSError as error:
                raise LinkError(f"writing to {self.path} failed: {_plain(error)}", sent) from None

    def read(self, size: int, timeout: float) -> bytes:
        if self._fd is None or not self.can_read:
            return b""
        ready, _, _ = select.select([self._fd], [], [], timeout)
        if not ready:
            return b""
        try:
            return os.read(self._fd, size)
        except OSError:
            return b""

    def finish(self) -> None:
        pass

    def close(self) -> None:
        if self._fd is not None:
            fd, self._fd = self._fd, None
            with contextlib.suppress(OSError):
                os.close(fd)


def _plain(error: OSError) -> str:
    if error.errno == errno.ENXIO:
        return "printer not connected"
    if error.errno == errno.ENOENT:
        return "no such file or folder (printer unplugged?)"
    return error.strerror or str(error)


class SerialLink:
    """A serial printer through python-escpos and pyserial, with flow control."""

    def __init__(self, port: str, baudrate: int = 9600, flow: str = "none",
                 timeout: float = DEFAULT_TIMEOUT) -> None:
        if flow not in ("none", "rtscts", "xonxoff", "dsrdtr"):
            raise ValueError(f"serial flow control must be none, rtscts, xonxoff or dsrdtr, "
                             f"got {flow!r}")
        self.port, self.baudrate, self.flow, self.timeout = port, baudrate, flow, timeout
        self.description = f"{port} at {baudrate} baud"
        self.can_read = True
        self.bytes_per_second: float | None = baudrate / BITS_PER_BYTE
        self._printer: Any = None

    def open(self) -> None:
        from escpos.exceptions import DeviceNotFoundError
        from escpos.printer import Serial

        printer = Serial(devfile=self.port, baudrate=self.baudrate, timeout=self.timeout,
                         xonxoff=self.flow == "xonxoff", dsrdtr=self.flow == "dsrdtr")
        try:
            printer.open()
        except DeviceNotFoundError:
            raise LinkError(f"cannot open serial port {self.port}") from None
        printer.device.rtscts = self.flow == "rtscts"
        printer.device.write_timeout = self.timeout
        self._printer = printer

    def write(self, data: bytes) -> None:
        import serial

        device = self._printer.device
        budget = self.timeout + line_seconds(len(data), self.bytes_per_second)
        deadline = time.monotonic() + budget
        sent = 0
        try:
            while sent < len(data):
                left = deadline - time.monotonic()
                if left <= 0:
                    raise serial.SerialTimeoutException("job deadline")
                device.write_timeout = left  # the whole job's deadline, not one chunk's
                sent += device.write(data[sent : sent + CHUNK]) or 0
        except serial.SerialTimeoutException:
            raise LinkError(f"{self.port} took {sent} of {len(data)} bytes in {budget:.0f} s",
                            sent) from None
        except serial.SerialException as error:
            raise LinkError(f"writing to {self.port} failed: {error}", sent) from None
        finally:
            device.write_timeout = self.timeout

    def read(self, size: int, timeout: float) -> bytes:
        device = self._printer.device
        device.timeout = timeout
        try:
            return bytes(device.read(size))
        except (OSError, ValueError):  # pyserial's SerialException is an OSError
            return b""
        finally:
            device.timeout = self.timeout

    def finish(self) -> None:
        pass

    def close(self) -> None:
        if self._printer is not None:
            device = self._printer.device
            self._printer = None
            if device is not None and device.is_open:
                with contextlib.suppress(OSError):
                    device.close()


class NetworkLink:
    """A network printer's raw port (JetDirect, usually 9100)."""

    def __init__(self, host: str, port: int = 9100, timeout: float = DEFAULT_TIMEOUT) -> None:
        self.host, self.port, self.timeout = host, port, timeout
        self.description = f"{host}:{port}"
        self.can_read = True
        self.bytes_per_second: float | None = None
        self._sock: socket.socket | None = None

    def open(self) -> None:
        try:
            self._sock = socket.create_connection((self.host, self.port), self.timeout)
        except OSError as error:
            raise LinkError(f"cannot connect to {self.description}: "
                            f"{error.strerror or error}") from None

    def write(self, data: bytes) -> None:
        assert self._sock is not None
        sent = 0
        try:
            while sent < len(data):
                sent += self._sock.send(data[sent : sent + CHUNK])
        except TimeoutError:
            raise LinkError(f"{self.description} took no data for {self.timeout:g} s",
                            sent) from None
        except OSError as error:
            raise LinkError(f"sending to {self.description} failed: {error}", sent) from None

    def read(self, size: int, timeout: float) -> bytes:
        assert self._sock is not None
        self._sock.settimeout(timeout)
        try:
            return self._sock.recv(size)
        except OSError:
            return b""
        finally:
            self._sock.settimeout(self.timeout)

    def finish(self) -> None:
        """Half-close and wait for the printer's end: a reset means it dropped the job."""
        assert self._sock is not None
        try:
            self._sock.shutdown(socket.SHUT_WR)
            self._sock.settimeout(self.timeout)
            while self._sock.recv(256):
                pass  # a late status byte; the printer closes its end once it has the job
        except TimeoutError:
            return  # it keeps the connection open: every byte was sent and not refused
        except OSError as error:
            raise LinkError(f"{self.description} cut the connection during the job: "
                            f"{error.strerror or error}", -1) from None

    def close(self) -> None:
        if self._sock is not None:
            sock, self._sock = self._sock, None
            sock.close()


class UsbLink:
    """A USB printer by vendor and product id, through python-escpos and pyusb."""

    def __init__(self, vendor_id: int, product_id: int, timeout: float = DEFAULT_TIMEOUT) -> None:
        self.vendor_id, self.product_id, self.timeout = vendor_id, product_id, timeout
        self.description = f"USB {vendor_id:04x}:{product_id:04x}"
        self.can_read = True
        self.bytes_per_second: float | None = None
        self._printer: Any = None

    def open(self) -> None:
        try:
            from escpos.printer import Usb

            printer = Usb(self.vendor_id, self.product_id, timeout=int(self.timeout * 1000))
            printer.open()
        except RuntimeError as error:  # python-escpos: pyusb missing
            raise LinkError(f"USB printing needs pyusb and libusb: {error}") from None
        except Exception as error:  # pyusb raises its own USBError and DeviceNotFoundError
            raise LinkError(f"cannot open {self.description}: {error}") from None
        self._printer = printer

    def write(self, data: bytes) -> None:
        seconds = self.timeout + line_seconds(len(data), USB_BYTES_PER_SECOND)
        self._printer.timeout = int(seconds * 1000)  # pyusb's timeout is for the whole write
        try:
            self._printer._raw(data)
        except Exception as error:
            raise LinkError(f"sending to {self.description} failed: {error}", -1) from None
        finally:
            self._printer.timeout = int(self.timeout * 1000)

    def read(self, size: int, timeout: float) -> bytes:
        try:
            return bytes(self._printer._read())[:size]
        except Exception:
            return b""

    def finish(self) -> None:
        pass

    def close(self) -> None:
        if self._printer is not None:
            printer, self._printer = self._printer, None
            with contextlib.suppress(Exception):  # pyusb's own errors: the device is gone
                printer.close()


class CupsLink:
    """A CUPS raw queue: the job is handed to ``lp -o raw``; CUPS cannot read status back."""

    def __init__(self, queue: str, timeout: float = DEFAULT_TIMEOUT,
                 command: str = "lp") -> None:
        self.queue, self.timeout, self.command = queue, timeout, command
        self.description = f"CUPS queue {queue}"
        self.can_read = False
        self.bytes_per_second: float | None = None
        self._pending = bytearray()

    def open(self) -> None:
        self._pending.clear()

    def write(self, data: bytes) -> None:
        self._pending += data

    def read(self, size: int, timeout: float) -> bytes:
        return b""

    def close(self) -> None:
        self._pending.clear()  # a job that failed half-way is never handed to CUPS

    def finish(self) -> None:
        """Submit what was written as one raw job."""
        if not self._pending:
            return
        data, self._pending = bytes(self._pending), bytearray()
        argv = [self.command, "-d", self.queue, "-o", "raw", "-"]
        try:
            done = subprocess.run(argv, input=data, capture_output=True,
                                  timeout=self.timeout, check=False)
        except FileNotFoundError:
            raise LinkError(f"{self.command} not found: install cups-client") from None
        except subprocess.TimeoutExpired:
            raise LinkError(f"{self.command} did not answer in {self.timeout:g} s", -1) from None
        if done.returncode != 0:
            reason = done.stderr.decode(errors="replace").strip()
            raise LinkError(f"{self.description} refused the job: {reason}")
