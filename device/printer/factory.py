"""Choose a printer implementation from configuration."""

from __future__ import annotations

from pathlib import Path

from .transport import FilePrinter, Printer
from .virtual import VirtualPrinter

PRINTER_KINDS = ("virtual", "file")


def make_printer(
    kind: str, *, out_dir: Path, font_path: Path, device_path: Path | None = None
) -> Printer:
    """'virtual' saves files under ``out_dir``; 'file' writes to ``device_path``."""
    if kind == "virtual":
        return VirtualPrinter(out_dir, font_path)
    if kind == "file":
        if device_path is None:
            raise ValueError("printer kind 'file' needs device_path, e.g. /dev/usb/lp0")
        return FilePrinter(device_path)
    raise ValueError(f"unknown printer kind {kind!r}; expected one of {PRINTER_KINDS}")
