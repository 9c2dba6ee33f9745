"""Real transports against the virtual printer: pyserial over a pty, TCP, a FIFO, CUPS."""

from __future__ import annotations

import os
import socket
import stat
from collections.abc import Iterator
from pathlib import Path

import pytest
import zxingcpp
from PIL import Image

from device.printer import (
    DecodedQR,
    LinkPrinter,
    PrinterState,
    ReceiptLayout,
    Text,
    VirtualEscPosPrinter,
    decoded_text,
    encode_escpos,
    get_profile,
    make_link,
)
from device.printer.links import CupsLink, DeviceNodeLink, NetworkLink
from device.printer.status import replies_for, state_from_replies

FONT = Path("/usr/share/fonts/truetype/wqy/wqy-microhei.ttc")
PROFILE = get_profile("generic-80-gb18030")
RECEIPT = encode_escpos(ReceiptLayout((Text("说事回执 0001 00015 3", scale=2),)), PROFILE)


@pytest.fixture
def virtual(tmp_path: Path) -> Iterator[VirtualEscPosPrinter]:
    with VirtualEscPosPrinter(tmp_path / "paper", FONT if FONT.exists() else None) as printer:
        yield printer


def _serial(virtual: VirtualEscPosPrinter, baud: int = 115200) -> LinkPrinter:
    link = make_link("serial", virtual.serve_pty(), baudrate=baud, timeout=1.0)
    return LinkPrinter(link, PROFILE, status_timeout=0.3)


def _network(virtual: VirtualEscPosPrinter) -> LinkPrinter:
    link = make_link("network", f"127.0.0.1:{virtual.serve_tcp()}", timeout=1.0)
    return LinkPrinter(link, PROFILE, status_timeout=0.3)


@pytest.mark.parametrize("connect", [_serial, _network], ids=["serial-pty", "tcp"])
def test_receipt_prints_through_the_real_transport(
    connect: object, virtual: VirtualEscPosPrinter
) -> None:
    printer = connect(virtual)  # type: ignore[operator]
    outcome = printer.send(RECEIPT, "receipt-1")

    assert outcome.ok, outcome.detail
    assert outcome.state is PrinterState.ONLINE
    assert virtual.wait_for_jobs(1)
    assert virtual.jobs == [RECEIPT]
    assert decoded_text(virtual.jobs[0]) == "说事回执 0001 00015 3"
    assert virtual.status_requests == 6  # DLE EOT 1, 2, 4 before the job and after it


@pytest.mark.parametrize("state", [PrinterState.PAPER_OUT, PrinterState.COVER_OPEN,
                                   PrinterState.ERROR, PrinterState.OFFLINE,
                                   PrinterState.PAPER_NEAR_END, PrinterState.ONLINE])
@pytest.mark.parametrize("connect", [_serial, _network], ids=["serial-pty", "tcp"])
def test_status_is_read_back_with_dle_eot(
    connect: object, state: PrinterState, virtual: VirtualEscPosPrinter
) -> None:
    virtual.state = state
    assert connect(virtual).status() is state  # type: ignore[operator]


def test_silent_printer_is_unknown_never_paper_ok(virtual: VirtualEscPosPrinter) -> None:
    virtual.state = PrinterState.UNKNOWN  # answers nothing
    printer = _serial(virtual)

    assert printer.status() is PrinterState.UNKNOWN
    outcome = printer.send(RECEIPT, "receipt-1")  # unknown is no reason to refuse a job
    assert outcome.ok and outcome.state is PrinterState.UNKNOWN
    assert virtual.wait_for_jobs(1)


def test_paper_out_keeps_the_job_off_the_wire(virtual: VirtualEscPosPrinter) -> None:
    virtual.state = PrinterState.PAPER_OUT
    printer = _network(virtual)
    outcome = printer.send(RECEIPT, "receipt-1")

    assert not outcome.ok and not outcome.maybe_printed
    assert outcome.state is PrinterState.PAPER_OUT and "缺纸" in outcome.detail
    virtual.state = PrinterState.ONLINE
    assert printer.send(RECEIPT, "receipt-1").ok
    assert virtual.wait_for_jobs(1) and virtual.jobs == [RECEIPT]


def test_unreachable_network_printer_is_offline_and_nothing_leaks() -> None:
    with socket.create_server(("127.0.0.1", 0)) as sock:
        port = sock.getsockname()[1]
    printer = LinkPrinter(NetworkLink("127.0.0.1", port, timeout=0.5), PROFILE)

    assert printer.status() is PrinterState.UNREACHABLE
    assert printer.status().label == "打印机未连接"
    outcome = printer.send(RECEIPT, "receipt-1")
    assert not outcome.ok and not outcome.maybe_printed
    assert "cannot connect" in outcome.detail


def test_printer_that_stops_reading_times_out_instead_of_hanging(tmp_path: Path) -> None:
    # a listener that accepts but never reads: the kernel buffers fill, send() blocks
    with socket.create_server(("127.0.0.1", 0)) as server:
        link = NetworkLink("127.0.0.1", server.getsockname()[1], timeout=0.3)
        printer = LinkPrinter(link, get_profile("raster-80"))  # status asked, never answered
        outcome = printer.send(b"\x1b@" + b"\x00" * 20_000_000, "big")
        conn, _ = server.accept()
        conn.close()

    assert not outcome.ok
    assert outcome.maybe_printed  # bytes went out: must not be resent by itself
    assert "took no data" in outcome.detail


def test_device_node_fifo_prints_and_missing_reader_is_offline(
    tmp_path: Path, virtual: VirtualEscPosPrinter
) -> None:
    lonely = tmp_path / "lonely"
    os.mkfifo(lonely)  # a device node with nobody behind it
    outcome = LinkPrinter(DeviceNodeLink(str(lonely), 0.5), PROFILE).send(RECEIPT, "r")
    assert not outcome.ok and "not connected" in outcome.detail

    node = virtual.serve_fifo(tmp_path / "lp0")
    assert stat.S_ISFIFO(node.stat().st_mode)
    printer = LinkPrinter(DeviceNodeLink(str(node), 1.0), PROFILE)
    assert printer.status() is PrinterState.UNKNOWN  # lp nodes here cannot answer
    assert printer.send(RECEIPT, "receipt-1").ok
    assert virtual.wait_for_jobs(1) and virtual.jobs == [RECEIPT]


def test_cups_raw_queue_hands_the_bytes_to_lp(tmp_path: Path) -> None:
    # stands in for the CUPS client: records its arguments and the raw job it is given
    fake_lp = tmp_path / "lp"
    fake_lp.write_text(f'#!/bin/sh\necho "$@" > {tmp_path}/args\ncat > {tmp_path}/job\n')
    fake_lp.chmod(0o755)
    printer = LinkPrinter(CupsLink("pos58", 5.0, command=str(fake_lp)), PROFILE)

    assert printer.status() is PrinterState.UNKNOWN
    assert printer.send(RECEIPT, "receipt-1").ok
    assert (tmp_path / "args").read_text().split() == ["-d", "pos58", "-o", "raw", "-"]
    assert (tmp_path / "job").read_bytes() == RECEIPT

    fake_lp.write_text("#!/bin/sh\necho 'lp: The printer or class does not exist.' >&2\nexit 1\n")
    outcome = printer.send(RECEIPT, "receipt-2")
    assert not outcome.ok and "does not exist" in outcome.detail


@pytest.mark.skipif(not FONT.exists(), reason="CJK font not installed")
def test_virtual_printer_renders_paper_with_scannable_qr(
    tmp_path: Path, virtual: VirtualEscPosPrinter
) -> None:
    from device.printer import QRCode

    data = encode_escpos(ReceiptLayout((Text("回执"), QRCode("0001000153"))), PROFILE)
    assert _network(virtual).send(data, "r").ok
    assert virtual.wait_for_jobs(1)
    assert any(isinstance(i, DecodedQR) for i in virtual.decoded())
    with Image.open(tmp_path / "paper" / "job-001.png") as image:
        assert [c.text for c in zxingcpp.read_barcodes(image)] == ["0001000153"]


def test_status_bits_round_trip() -> None:
    for state in PrinterState:
        replies = replies_for(state)
        expected = PrinterState.UNKNOWN if state is PrinterState.UNREACHABLE else state
        assert (state_from_replies(replies) if replies else PrinterState.UNKNOWN) is expected
    assert state_from_replies({1: 0x00}) is PrinterState.UNKNOWN  # not a status byte


def test_usb_printer_that_is_not_plugged_in_is_a_plain_error() -> None:
    """The real pyusb + libusb path; no USB printer is attached to this machine."""
    from device.printer.links import LinkError, UsbLink

    link = UsbLink(0x0416, 0x5011, timeout=1)
    with pytest.raises(LinkError, match=r"cannot open USB 0416:5011: .*not found"):
        link.open()


def _long_receipt(lines: int) -> bytes:
    text = tuple(Text(f"第{n:02d}行 幸福里社区说事回执") for n in range(lines))
    return encode_escpos(ReceiptLayout(text), PROFILE)


@pytest.mark.parametrize("state", [PrinterState.ONLINE, PrinterState.UNKNOWN],
                         ids=["answers-status", "silent"])
def test_connection_cut_mid_job_is_never_counted_printed(
    state: PrinterState, virtual: VirtualEscPosPrinter
) -> None:
    data = _long_receipt(24)
    assert len(data) > 600
    virtual.state = state
    virtual.drop_after = 200  # switched off after 200 bytes
    printer = _network(virtual)
    outcome = printer.send(data, "receipt-1")

    assert not outcome.ok, outcome.detail
    assert outcome.maybe_printed  # half on paper: held for staff, never resent by itself
    assert virtual.drops == 1
    assert virtual.wait_for_jobs(1) and len(virtual.jobs[0]) < len(data)


def test_raster_job_at_9600_baud_goes_out_with_the_default_timeout(
    virtual: VirtualEscPosPrinter,
) -> None:
    from device.printer.links import DEFAULT_TIMEOUT

    virtual.baud = 9600
    # more than the pty buffers: a write then waits longer than a fixed 2 s for room
    data = b"\x1b@" + (b"\x1dv0\x00\x48\x00\x10\x00" + bytes(range(256)) * 4 + b"\x00"
                       * (0x48 * 0x10 - 1024)) * 19
    assert len(data) > 22_000
    link = make_link("serial", virtual.serve_pty(), baudrate=9600, timeout=DEFAULT_TIMEOUT)
    outcome = LinkPrinter(link, PROFILE).send(data, "raster-receipt")

    assert outcome.ok, outcome.detail
    assert outcome.state is PrinterState.ONLINE  # asked after the job, once the line drained
    assert virtual.wait_for_jobs(1, timeout=60) and virtual.jobs == [data]


def test_virtual_printer_survives_a_cut_off_job_while_drawing_paper(
    tmp_path: Path, virtual: VirtualEscPosPrinter
) -> None:
    printer = _network(virtual)
    cut_off = b"\x1b@\x1dv0\x00\x48\x00\x40\x01" + b"\xff" * 100  # an image missing its rows
    assert printer.send(cut_off, "cut-off").ok
    assert virtual.wait_for_jobs(1)
    assert printer.send(RECEIPT, "receipt-1").ok  # the printer still serves
    assert virtual.wait_for_jobs(2)
    assert virtual.jobs == [cut_off, RECEIPT]
    if FONT.exists():
        assert len(virtual.render_errors) == 1 and "truncated" in virtual.render_errors[0]
        assert (tmp_path / "paper" / "job-002.png").exists()


def test_offline_and_unreachable_are_told_apart(virtual: VirtualEscPosPrinter) -> None:
    virtual.state = PrinterState.OFFLINE  # connected, but the printer says offline
    state = _network(virtual).status()
    assert state is PrinterState.OFFLINE and state.label == "打印机离线"
    assert PrinterState.UNREACHABLE.label == "打印机未连接"
