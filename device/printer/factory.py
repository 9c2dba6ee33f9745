"""Choose a printer implementation from configuration."""

from __future__ import annotations

from pathlib import Path

from .links import (
    DEFAULT_TIMEOUT,
    CupsLink,
    DeviceNodeLink,
    Link,
    NetworkLink,
    SerialLink,
    UsbLink,
)
from .lock import DeviceLock
from .profiles import PrinterProfile
from .render import Fonts
from .transport import LinkPrinter, Printer
from .virtual import VirtualPrinter

PRINTER_KINDS = ("virtual", "file", "serial", "network", "usb", "cups")


def _hex_id(value: str, what: str) -> int:
    try:
        return int(value, 16)
    except ValueError:
        raise ValueError(f"USB {what} must be hexadecimal such as 0x0416, got {value!r}") from None


def make_link(kind: str, device: str, *, baudrate: int = 9600, flow: str = "none",
              timeout: float = DEFAULT_TIMEOUT) -> Link:
    """The connection for ``kind``; ``device`` is what that kind needs, see below."""
    if not device:
        raise ValueError(f"printer kind {kind!r} needs device: /dev/usb/lp0 for file, /dev/ttyUSB0 "
                         "for serial, host:9100 for network, 0416:5011 for usb, a queue for cups")
    if kind == "file":
        return DeviceNodeLink(device, timeout)
    if kind == "serial":
        return SerialLink(device, baudrate, flow, timeout)
    if kind == "network":
        host, _, port = device.rpartition(":") if ":" in device else (device, "", "9100")
        if not port.isdigit():
            raise ValueError(f"network printer must be host or host:port, got {device!r}")
        return NetworkLink(host, int(port), timeout)
    if kind == "usb":
        vendor, _, product = device.partition(":")
        return UsbLink(_hex_id(vendor, "vendor id"), _hex_id(product, "product id"), timeout)
    if kind == "cups":
        return CupsLink(device, timeout)
    raise ValueError(f"unknown printer kind {kind!r}; expected one of {PRINTER_KINDS}")


def make_printer(
    kind: str, *, profile: PrinterProfile, out_dir: Path, fonts: Fonts, device: str = "",
    baudrate: int = 9600, flow: str = "none", timeout: float = DEFAULT_TIMEOUT,
    lock: DeviceLock | None = None,
) -> Printer:
    """'virtual' saves .bin + .png files under ``out_dir``; other kinds talk to a printer,
    holding ``lock`` while they do."""
    if kind == "virtual":
        return VirtualPrinter(out_dir, fonts, profile)
    return LinkPrinter(make_link(kind, device, baudrate=baudrate, flow=flow, timeout=timeout),
                       profile, lock=lock)
