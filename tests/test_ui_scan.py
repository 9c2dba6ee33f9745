"""Scanning a real printed receipt at the real kiosk: the QR read back from the receipt's
PNG goes through a virtual serial scanner, a virtual HID scanner, and (a keyboard scanner
that is not grabbed) as X keystrokes into the window; each opens the ticket's status from
whatever screen is up. A product's barcode is refused aloud and changes nothing."""

from __future__ import annotations

import os
import time
from pathlib import Path

import pytest
import zxingcpp
from PIL import Image

from device.scanner.virtual import VirtualHidScanner, VirtualSerialScanner
from kiosk.receipt_code import ticket_from_scan
from kiosk.session import MESSAGES
from tests.conftest import kiosk_toml, shuoshi
from tests.kiosk_driver import Kiosk

pytestmark = pytest.mark.ui

PRODUCT_BARCODE = "6901234567892"
"""An EAN-13 from a bottle of water: digits, but no receipt's."""
STATUS_URL = "https://shuoshi.example.gov.cn/t/{ticket}"
WAIT_S = 20.0
KEYSYMS = {":": "colon", "/": "slash", ".": "period", "?": "question", "=": "equal",
           "&": "ampersand", "-": "minus", "_": "underscore", "%": "percent"}


def _keys(text: str, end: str = "Return") -> list[str]:
    """X keysyms that type ``text`` and end it with ``end`` (one xdotool run: a pause
    between starting two would look like a person)."""
    return [*(KEYSYMS.get(char, char) for char in text), end]


def _printed_receipt(tmp_path: Path, config: Path) -> tuple[str, str]:
    """A submission made on this kiosk's store and its receipt printed by the virtual
    printer: the ticket, and the fullest code its QR holds."""
    made = shuoshi("submit", "--config", str(config), "--category", "环境卫生",
                   "--description", "楼道堆放杂物")
    assert made.returncode == 0, made.stderr
    ticket = made.stdout.split()[1]
    with Image.open(tmp_path / "receipts" / f"receipt-{ticket}.png") as paper:
        codes = [found.text for found in zxingcpp.read_barcodes(paper)]
    assert codes, "the receipt's QR could not be read"
    code = max(codes, key=len)  # the status URL where the receipt holds one
    assert ticket_from_scan(code) == ticket
    return ticket, code


def _config(tmp_path: Path, scanner: str) -> Path:
    return kiosk_toml(tmp_path, printer=f'status_url = "{STATUS_URL}"', scanner=scanner)


def _wait_held(kiosk: Kiosk, link: Path) -> None:
    """Wait until the kiosk has the scanner's device open (what it sends before is lost)."""
    target = os.path.realpath(link)
    deadline = time.monotonic() + WAIT_S
    fds = Path(f"/proc/{kiosk.proc.pid}/fd")
    while time.monotonic() < deadline:
        held = set()
        for fd in fds.iterdir():
            try:
                held.add(os.readlink(fd))
            except OSError:
                continue
        if target in held:
            return
        time.sleep(0.1)
    raise AssertionError(f"the kiosk never opened {link}: {kiosk.output()[-2000:]}")


def _lines(kiosk: Kiosk, start: str) -> list[str]:
    return [line for line in kiosk.output().splitlines() if line.startswith(start)]


def _wait_lines(kiosk: Kiosk, start: str, count: int) -> None:
    deadline = time.monotonic() + WAIT_S
    while len(_lines(kiosk, start)) < count:
        assert time.monotonic() < deadline, f"{count} x {start!r}: {kiosk.output()[-2000:]}"
        time.sleep(0.1)


def _opens_status(kiosk: Kiosk, ticket: str, times: int) -> None:
    """The ``times``-th scan of ``ticket`` opened its status screen."""
    _wait_lines(kiosk, f"SCAN {ticket}", times)
    _wait_lines(kiosk, f"STATUS {ticket} ", times)
    assert kiosk.wait_screen("status")["screen"] == "status"


def _refused(kiosk: Kiosk, times: int, screen: str) -> None:
    """The ``times``-th refused code was said to be no receipt; the screen stayed."""
    _wait_lines(kiosk, "SCAN REFUSED", times)
    report = kiosk.settled()
    assert report["spoken"][-1] == MESSAGES["not_a_receipt"]
    assert report["screen"] == screen


def _away_from_home(kiosk: Kiosk) -> None:
    kiosk.wait_screen("home")
    kiosk.tap("我要说事")
    kiosk.wait_screen("category")


def test_a_receipt_scanned_over_serial_opens_its_status(tmp_path: Path, display: str) -> None:
    link = tmp_path / "ttyACM0"
    config = _config(tmp_path, f'kind = "serial"\ndevice = "{link}"')
    ticket, code = _printed_receipt(tmp_path, config)
    with VirtualSerialScanner(link) as scanner:
        kiosk = Kiosk(config, display, tmp_path)
        try:
            _wait_held(kiosk, link)
            _away_from_home(kiosk)
            scanner.scan(code)
            _opens_status(kiosk, ticket, 1)

            scanner.scan(PRODUCT_BARCODE, suffix=b"\r\n")
            _refused(kiosk, 1, "status")
            assert len(_lines(kiosk, "STATUS ")) == 1
        finally:
            kiosk.stop()


def test_a_receipt_scanned_by_a_keyboard_scanner_grabbed_or_not(
    tmp_path: Path, display: str
) -> None:
    link = tmp_path / "shuoshi-scanner"
    config = _config(tmp_path, f'kind = "hid"\ndevice = "{link}"')
    ticket, code = _printed_receipt(tmp_path, config)
    with VirtualHidScanner(link) as scanner:
        kiosk = Kiosk(config, display, tmp_path)
        try:
            _wait_held(kiosk, link)
            _away_from_home(kiosk)
            scanner.scan(code)  # key events from the event node
            _opens_status(kiosk, ticket, 1)
            scanner.scan(PRODUCT_BARCODE)
            _refused(kiosk, 1, "status")

            # a scanner typing into the window: X keystrokes, fast, ending in Return
            kiosk.xdotool("mousemove", "400", "5")  # the window under the pointer has focus
            kiosk.xdotool("key", "--delay", "4", *_keys(code))
            _opens_status(kiosk, ticket, 2)
            # a person typing the same at a keyboard is no scan; a product's burst is refused
            kiosk.xdotool("key", "--delay", "250", *_keys(ticket))
            kiosk.xdotool("key", "--delay", "4", *_keys(PRODUCT_BARCODE, "KP_Enter"))
            _refused(kiosk, 2, "status")
            assert len(_lines(kiosk, f"SCAN {ticket}")) == 2
        finally:
            kiosk.stop()
