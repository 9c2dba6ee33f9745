"""2D barcode scanners for the receipt's QR: USB keyboards (HID wedge, read with evdev and
grabbed) and USB serial (CDC-ACM, read with pyserial). Every scanner gives whole codes as
text; ``ScannerListener`` reads them on a thread of its own."""

from device.scanner.base import (
    DEFAULT_GAP_SECONDS,
    MAX_CODE_CHARS,
    NoScanner,
    Scanner,
    ScannerGone,
    ScannerListener,
    ScannerUnavailable,
    describe_code,
)
from device.scanner.factory import ScannerSettings, scanner_from_config

__all__ = [
    "DEFAULT_GAP_SECONDS",
    "MAX_CODE_CHARS",
    "NoScanner",
    "Scanner",
    "ScannerGone",
    "ScannerListener",
    "ScannerSettings",
    "ScannerUnavailable",
    "describe_code",
    "scanner_from_config",
]
