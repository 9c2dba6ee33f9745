"""The scanner the configuration names."""

from __future__ import annotations

from typing import Protocol

from device.scanner.base import NoScanner, Scanner


class ScannerSettings(Protocol):
    """What ``kiosk.config.ScannerConfig`` holds (device/ does not import the kiosk)."""

    @property
    def kind(self) -> str: ...

    @property
    def device(self) -> str: ...

    @property
    def baudrate(self) -> int: ...

    @property
    def gap_seconds(self) -> float: ...


def scanner_from_config(cfg: ScannerSettings) -> Scanner:
    """The device to read: a HID or serial scanner, else none (kind "keyboard" is read from
    the kiosk's window, not from a device)."""
    if cfg.kind == "hid":
        from device.scanner.hid import HidScanner  # evdev: Linux only

        return HidScanner(cfg.device, gap_seconds=cfg.gap_seconds)
    if cfg.kind == "serial":
        from device.scanner.serial import SerialScanner

        return SerialScanner(cfg.device, baudrate=cfg.baudrate, gap_seconds=cfg.gap_seconds)
    return NoScanner()
