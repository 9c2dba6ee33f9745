"""The receipt scanner's readers against virtual scanners that speak what real ones speak: a
pty carrying HID key events as ``struct input_event`` records, and a pty carrying serial
bytes; unplugged and plugged back, fed garbage, and the window fallback's burst rule."""

from __future__ import annotations

import logging
import os
import random
import threading
from collections.abc import Iterator
from pathlib import Path

import pytest
from evdev import ecodes

from device.scanner import MAX_CODE_CHARS, ScannerGone, ScannerListener, scanner_from_config
from device.scanner.hid import EventRecords, HidScanner, KeystrokeDecoder, event_record
from device.scanner.serial import LineDecoder, SerialScanner
from device.scanner.virtual import VirtualHidScanner, VirtualSerialScanner, typing_records
from kiosk.config import ConfigError, load_config
from kiosk.doctor import scanner_check
from kiosk.receipt_code import ticket_from_scan
from kiosk.scan_wedge import BurstDetector
from sync.contract.ticket import make_ticket

TICKET = make_ticket("0042", 153)
STATUS_URL = f"https://Shuoshi.example.gov.cn/t/{TICKET}?from=QR&a=1_b-2.c%20"
"""Upper case, and every sign a status URL may hold: : / ? = & . - _ %."""
WAIT_S = 10.0
NO_PAUSE_END = 30.0
"""The gap that ends a code without a suffix, where a test's codes all have one: a busy
machine's stall between two reads never cuts them."""


class Codes:
    """What a listener handed over, waited for from the test's thread."""

    def __init__(self) -> None:
        self.got: list[str] = []
        self._changed = threading.Condition()

    def __call__(self, code: str) -> None:
        with self._changed:
            self.got.append(code)
            self._changed.notify_all()

    def wait_for(self, count: int) -> list[str]:
        with self._changed:
            assert self._changed.wait_for(lambda: len(self.got) >= count, WAIT_S), self.got
            return list(self.got)

    def wait_until_got(self, *codes: str) -> None:
        with self._changed:
            assert self._changed.wait_for(lambda: set(codes) <= set(self.got), WAIT_S)


@pytest.fixture
def hid(tmp_path: Path) -> Iterator[tuple[VirtualHidScanner, HidScanner]]:
    with VirtualHidScanner(tmp_path / "shuoshi-scanner") as device:
        reader = HidScanner(str(device.link), gap_seconds=NO_PAUSE_END)
        reader.open()
        yield device, reader
        reader.close()


@pytest.fixture
def serial_pair(tmp_path: Path) -> Iterator[tuple[VirtualSerialScanner, SerialScanner]]:
    with VirtualSerialScanner(tmp_path / "ttyACM0") as device:
        reader = SerialScanner(str(device.link), gap_seconds=NO_PAUSE_END)
        reader.open()
        yield device, reader
        reader.close()


def _records(*events: tuple[int, int, int]) -> bytes:
    return b"".join(event_record(*event) for event in events)


def _press(key: int) -> bytes:
    return _records((ecodes.EV_KEY, key, 1), (ecodes.EV_SYN, 0, 0),
                    (ecodes.EV_KEY, key, 0), (ecodes.EV_SYN, 0, 0))


# ---- HID wedge ----

def test_hid_key_events_with_shift_give_the_status_url(
    hid: tuple[VirtualHidScanner, HidScanner]
) -> None:
    device, reader = hid
    device.scan(STATUS_URL)
    device.scan(TICKET)
    code = reader.read_code(WAIT_S)
    assert code == STATUS_URL
    assert ticket_from_scan(code) == TICKET
    assert reader.read_code(WAIT_S) == TICKET
    assert not reader.grabbed  # a pty is no input device: nothing to grab


def test_hid_keypad_digits_keypad_enter_and_caps_lock(
    hid: tuple[VirtualHidScanner, HidScanner]
) -> None:
    device, reader = hid
    keypad = b"".join(_press(ecodes.ecodes[f"KEY_KP{d}"]) for d in TICKET)
    device.write(keypad + _press(ecodes.KEY_KPENTER))
    assert reader.read_code(WAIT_S) == TICKET
    # caps lock on: letters come out upper case, shift makes them lower again
    device.write(_press(ecodes.KEY_CAPSLOCK) + _press(ecodes.KEY_A)
                 + _records((ecodes.EV_KEY, ecodes.KEY_RIGHTSHIFT, 1))
                 + _press(ecodes.KEY_B) + _press(ecodes.KEY_1)
                 + _records((ecodes.EV_KEY, ecodes.KEY_RIGHTSHIFT, 0))
                 + _press(ecodes.KEY_1) + _press(ecodes.KEY_F5) + _press(ecodes.KEY_ENTER))
    assert reader.read_code(WAIT_S) == "Ab!1"


def test_hid_records_split_across_reads_give_the_same_code() -> None:
    data = typing_records(STATUS_URL)
    for size in (1, 5, 23, 25, 100):
        records, decoder, codes = EventRecords(), KeystrokeDecoder(), []
        for start in range(0, len(data), size):
            for event in records.feed(data[start:start + size]):
                code = decoder.feed(event)
                if code:
                    codes.append(code)
        assert codes == [STATUS_URL], size


def test_hid_split_writes_through_the_pty(hid: tuple[VirtualHidScanner, HidScanner]) -> None:
    device, reader = hid
    data = typing_records(TICKET)
    middle = len(data) // 2 + 7  # inside a record
    device.write(data[:middle])
    assert reader.read_code(0.05) is None  # half a code: not yet a code
    device.write(data[middle:])
    assert reader.read_code(WAIT_S) == TICKET


def test_hid_code_without_a_suffix_ends_after_a_pause(tmp_path: Path) -> None:
    with VirtualHidScanner(tmp_path / "hid") as device:
        reader = HidScanner(str(device.link), gap_seconds=0.2)
        reader.open()
        device.scan(TICKET, enter=False)
        assert reader.read_code(WAIT_S) == TICKET
        reader.close()


def test_hid_event_records_through_a_fifo(tmp_path: Path) -> None:
    fifo = tmp_path / "events"
    os.mkfifo(fifo)
    reader = HidScanner(str(fifo), gap_seconds=NO_PAUSE_END)
    reader.open()
    try:
        assert reader.read_code(0.05) is None  # no writer yet: nothing, and no end
        with fifo.open("wb") as writer:
            writer.write(typing_records(STATUS_URL))
        assert reader.read_code(WAIT_S) == STATUS_URL
        with pytest.raises(ScannerGone):  # the writer closed: as a device unplugged
            reader.read_code(WAIT_S)
    finally:
        reader.close()


def test_hid_overlong_run_is_dropped_and_the_next_code_read() -> None:
    decoder = KeystrokeDecoder()
    events = EventRecords().feed(typing_records("7" * (MAX_CODE_CHARS + 5)))
    assert [c for c in map(decoder.feed, events) if c] == []
    events = EventRecords().feed(typing_records(TICKET))
    assert [c for c in map(decoder.feed, events) if c] == [TICKET]


def test_hid_open_failures_say_why(tmp_path: Path) -> None:
    plain = tmp_path / "not-a-device"
    plain.write_bytes(b"")
    assert "no input device" in str(HidScanner(str(plain)).unavailable_reason())
    assert "no device at" in str(HidScanner(str(tmp_path / "absent")).unavailable_reason())
    assert "no input device named like" in str(
        HidScanner("Surely No Such Scanner 4711").unavailable_reason())


# ---- serial ----

def test_serial_lines_end_at_cr_lf_or_crlf(
    serial_pair: tuple[VirtualSerialScanner, SerialScanner]
) -> None:
    device, reader = serial_pair
    device.write(f"{STATUS_URL}\r\n{TICKET}\n\x02framed\x03\r\r\n".encode())
    assert [reader.read_code(WAIT_S) for _ in range(3)] == [STATUS_URL, TICKET, "framed"]
    assert reader.read_code(0.3) is None  # the empty lines were no codes


def test_serial_code_split_across_writes(
    serial_pair: tuple[VirtualSerialScanner, SerialScanner]
) -> None:
    device, reader = serial_pair
    device.write(STATUS_URL[:9].encode())
    assert reader.read_code(0.05) is None
    device.write(STATUS_URL[9:].encode() + b"\r")
    assert reader.read_code(WAIT_S) == STATUS_URL


def test_serial_code_without_a_suffix_ends_after_a_pause(tmp_path: Path) -> None:
    with VirtualSerialScanner(tmp_path / "ttyACM0") as device:
        reader = SerialScanner(str(device.link), gap_seconds=0.2)
        reader.open()
        device.scan(TICKET, suffix=b"")
        assert reader.read_code(WAIT_S) == TICKET
        reader.close()


def test_line_decoder_in_pieces_and_overlong() -> None:
    decoder = LineDecoder()
    data = f"{TICKET}\r\n{STATUS_URL}\r".encode()
    codes = [code for byte in data for code in decoder.feed(bytes([byte]))]
    assert codes == [TICKET, STATUS_URL]
    assert decoder.feed(b"9" * (MAX_CODE_CHARS + 1) + b"\r" + TICKET.encode() + b"\n") \
        == [TICKET]


def test_serial_open_failure_says_why(tmp_path: Path) -> None:
    assert SerialScanner(str(tmp_path / "ttyACM9")).unavailable_reason() == \
        f"no device at {tmp_path / 'ttyACM9'}"


# ---- the listener ----

@pytest.mark.parametrize("kind", ["serial", "hid"])
def test_a_scanner_unplugged_and_plugged_back_is_read_again(tmp_path: Path, kind: str) -> None:
    link = tmp_path / "scanner"
    device = VirtualSerialScanner(link) if kind == "serial" else VirtualHidScanner(link)
    reader = (SerialScanner(str(link), gap_seconds=NO_PAUSE_END) if kind == "serial"
              else HidScanner(str(link), gap_seconds=NO_PAUSE_END))
    codes = Codes()
    listener = ScannerListener(reader, codes, retry_seconds=0.05, poll_seconds=0.1)
    listener.start()
    try:
        assert listener.wait_opened(1, WAIT_S)
        device.scan(TICKET)
        assert codes.wait_for(1) == [TICKET]
        device.unplug()  # the cable pulled: the path is gone for a while
        device.plug()
        assert listener.wait_opened(2, WAIT_S)
        device.scan(STATUS_URL)
        assert codes.wait_for(2) == [TICKET, STATUS_URL]
    finally:
        listener.stop()
        device.close()


def test_a_scanner_absent_at_start_is_opened_when_it_comes(tmp_path: Path) -> None:
    link = tmp_path / "ttyACM0"
    codes = Codes()
    listener = ScannerListener(SerialScanner(str(link), gap_seconds=NO_PAUSE_END), codes,
                               retry_seconds=0.05)
    listener.start()
    try:
        with VirtualSerialScanner(link) as device:
            assert listener.wait_opened(1, WAIT_S)
            device.scan(TICKET)
            assert codes.wait_for(1) == [TICKET]
    finally:
        listener.stop()


def test_garbage_never_stops_the_listener(tmp_path: Path,
                                          caplog: pytest.LogCaptureFixture) -> None:
    rng = random.Random(11)
    codes = Codes()
    choked = threading.Event()

    def on_code(code: str) -> None:
        if not choked.is_set():
            choked.set()
            raise RuntimeError("the app choked on it")
        codes(code)

    with VirtualSerialScanner(tmp_path / "ser") as serial_dev, \
            VirtualHidScanner(tmp_path / "hid") as hid_dev:
        listeners = [ScannerListener(SerialScanner(str(serial_dev.link),
                                                   gap_seconds=NO_PAUSE_END), on_code,
                                     retry_seconds=0.05, poll_seconds=0.1),
                     ScannerListener(HidScanner(str(hid_dev.link), gap_seconds=NO_PAUSE_END),
                                     on_code,
                                     retry_seconds=0.05, poll_seconds=0.1)]
        for listener in listeners:
            listener.start()
        try:
            assert all(listener.wait_opened(1, WAIT_S) for listener in listeners)
            serial_dev.scan("first")  # handed to a callback that raises
            assert choked.wait(WAIT_S)
            serial_dev.write(rng.randbytes(20_000) + b"\r" + b"x" * 5000 + b"\n")
            hid_dev.write(b"".join(
                _records((rng.randrange(0, 32), rng.randrange(0, 800), rng.randrange(-3, 4)))
                for _ in range(3000)) + _press(ecodes.KEY_ENTER))
            serial_dev.scan(TICKET)
            hid_dev.scan(STATUS_URL)
            codes.wait_until_got(TICKET, STATUS_URL)
            assert all(listener.is_alive for listener in listeners)
        finally:
            for listener in listeners:
                listener.stop()
    assert "handing over a code failed" in caplog.text


def test_the_listener_logs_a_codes_length_never_its_content(
    tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.DEBUG)
    codes = Codes()
    with VirtualSerialScanner(tmp_path / "ser") as device:
        listener = ScannerListener(SerialScanner(str(device.link), gap_seconds=NO_PAUSE_END),
                                   codes, retry_seconds=0.05)
        listener.start()
        try:
            assert listener.wait_opened(1, WAIT_S)
            device.scan(STATUS_URL)
            assert codes.wait_for(1) == [STATUS_URL]
        finally:
            listener.stop()
    assert f"a code of {len(STATUS_URL)} characters (url)" in caplog.text
    assert TICKET not in caplog.text and "example" not in caplog.text


# ---- the window fallback ----

def test_a_fast_burst_ending_in_enter_is_a_scan_and_typing_is_not() -> None:
    burst = BurstDetector()
    for i, char in enumerate(STATUS_URL):
        burst.typed(char, 100.0 + i * 0.004)
    assert burst.enter(100.0 + len(STATUS_URL) * 0.004) == STATUS_URL

    for i, char in enumerate(TICKET):  # a person at a keyboard
        burst.typed(char, 200.0 + i * 0.15)
    assert burst.enter(200.0 + len(TICKET) * 0.15) is None

    for i, char in enumerate("123"):  # too short for a code
        burst.typed(char, 300.0 + i * 0.004)
    assert burst.enter(300.02) is None
    burst.typed("abcdef", 400.0)  # a pause, then a burst: only the burst counts
    for i, char in enumerate(TICKET):
        burst.typed(char, 401.0 + i * 0.004)
    assert burst.enter(401.05) == TICKET
    burst.typed(TICKET, 500.0)
    assert burst.enter(501.0) is None  # Enter long after the burst: a person pressed it


# ---- configuration, factory and doctor ----

def _config(tmp_path: Path, scanner: str) -> Path:
    path = tmp_path / "kiosk.toml"
    path.write_text(f"[scanner]\n{scanner}\n", encoding="utf-8")
    return path


@pytest.mark.parametrize(("lines", "expected"), [
    ('kind = "usb"', "scanner.kind: expected 'none', 'hid', 'serial' or 'keyboard', got 'usb'"),
    ('kind = "hid"', 'scanner.device: expected the event node or device name of the scanner'),
    ("baudrate = 12", "scanner.baudrate: expected greater than or equal to 1200, got 12"),
    ("gap_second = 1", 'scanner.gap_second: unknown key (did you mean "gap_seconds"?)'),
])
def test_a_bad_scanner_setting_names_file_key_and_expectation(
    tmp_path: Path, lines: str, expected: str
) -> None:
    path = _config(tmp_path, lines)
    with pytest.raises(ConfigError) as caught:
        load_config(path)
    assert str(path) in str(caught.value)
    assert expected in str(caught.value)


def test_factory_and_doctor_say_whether_the_scanner_opens(tmp_path: Path) -> None:
    assert load_config(None).scanner.kind == "none"
    none = load_config(_config(tmp_path, 'kind = "none"'))
    assert scanner_check(none) == (
        True, "scanner: none configured; receipts are looked up on the keypad")
    assert scanner_check(load_config(_config(tmp_path, 'kind = "keyboard"')))[0]

    with VirtualSerialScanner(tmp_path / "ttyACM0") as device:
        cfg = load_config(_config(tmp_path, f'kind = "serial"\ndevice = "{device.link}"'))
        assert isinstance(scanner_from_config(cfg.scanner), SerialScanner)
        assert scanner_check(cfg) == (True, f"scanner: serial {device.link} opens")
    assert scanner_check(cfg) == (
        False, f"scanner: serial {device.link}: no device at {device.link}")

    with VirtualHidScanner(tmp_path / "event-scanner") as hid_dev:
        cfg = load_config(_config(tmp_path, f'kind = "hid"\ndevice = "{hid_dev.link}"'))
        assert isinstance(scanner_from_config(cfg.scanner), HidScanner)
        ok, line = scanner_check(cfg)
        assert ok and "nothing to grab" in line
