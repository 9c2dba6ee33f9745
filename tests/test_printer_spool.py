"""The print queue: offline or out of paper at 提交 loses nothing and prints nothing twice."""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path

import pytest

from device.printer import (
    LinkPrinter,
    PrinterReport,
    PrinterState,
    PrintWorker,
    ReceiptLayout,
    Spool,
    Text,
    VirtualEscPosPrinter,
    decoded_text,
    encode_escpos,
    get_profile,
    make_link,
    read_report,
)
from device.printer.spool import INTERRUPTED

PROFILE = get_profile("generic-80-gb18030")
FONT = Path("/usr/share/fonts/truetype/wqy/wqy-microhei.ttc")


def _layout(text: str) -> ReceiptLayout:
    return ReceiptLayout((Text(text),))


@pytest.fixture
def virtual() -> Iterator[VirtualEscPosPrinter]:
    with VirtualEscPosPrinter() as printer:
        yield printer


def _worker(tmp_path: Path, virtual: VirtualEscPosPrinter,
            reports: list[PrinterReport] | None = None) -> PrintWorker:
    link = make_link("network", f"127.0.0.1:{virtual.tcp_port or virtual.serve_tcp()}",
                     timeout=1.0)
    printer = LinkPrinter(link, PROFILE, status_timeout=0.3)
    return PrintWorker(Spool(tmp_path / "spool"), printer,
                       lambda layout: encode_escpos(layout, PROFILE),
                       state_file=tmp_path / "printer-state.json",
                       on_report=reports.append if reports is not None else None,
                       retry_seconds=0.05)


def test_job_is_on_disk_before_submit_returns(tmp_path: Path) -> None:
    spool = Spool(tmp_path)
    job = spool.enqueue("receipt-0001000153", _layout("说事回执"), label="0001000153")

    assert spool.job_ids("pending") == [job.job_id]
    again = Spool(tmp_path).load("pending", job.job_id)  # a fresh process reads it back
    assert (again.name, again.label, again.layout) == (job.name, job.label, job.layout)


def test_a_job_can_be_claimed_only_once(tmp_path: Path) -> None:
    spool = Spool(tmp_path)
    job = spool.enqueue("r", _layout("x"))

    assert spool.claim(job.job_id) is not None
    assert Spool(tmp_path).claim(job.job_id) is None  # the rename is the lock


def test_paper_out_at_submit_keeps_the_job_until_paper_is_back(
    tmp_path: Path, virtual: VirtualEscPosPrinter
) -> None:
    virtual.state = PrinterState.PAPER_OUT
    reports: list[PrinterReport] = []
    worker = _worker(tmp_path, virtual, reports)
    worker.start()
    try:
        job = worker.submit("receipt-0001000153", _layout("说事回执"), label="0001000153")
        assert worker.wait_attempted([job.job_id], 10)
        assert worker.spool.job_ids("pending") == [job.job_id]
        assert virtual.jobs == []
        report = read_report(tmp_path / "printer-state.json")
        assert report is not None and report.state is PrinterState.PAPER_OUT
        assert report.pending == 1
        assert reports[-1].state is PrinterState.PAPER_OUT  # the kiosk was told

        virtual.state = PrinterState.ONLINE  # staff loaded paper
        worker.kick()
        assert virtual.wait_for_jobs(1)
    finally:
        worker.close()
    assert [decoded_text(job) for job in virtual.jobs] == ["说事回执"]
    assert worker.spool.job_ids("done") == [job.job_id]
    state = json.loads((tmp_path / "printer-state.json").read_text())
    assert state["state"] == "online" and state["pending"] == 0


def test_job_interrupted_by_a_restart_is_held_not_printed_again(
    tmp_path: Path, virtual: VirtualEscPosPrinter
) -> None:
    spool = Spool(tmp_path / "spool")
    job = spool.enqueue("receipt-0001000153", _layout("说事回执"), label="0001000153")
    assert spool.claim(job.job_id) is not None
    spool.mark_sending(job.job_id)  # ...its bytes started out, and then the kiosk was killed
    unsent = spool.enqueue("receipt-0001000145", _layout("未发出"), label="0001000145")
    assert spool.claim(unsent.job_id) is not None  # killed before its first byte
    later = spool.enqueue("receipt-0001000161", _layout("下一张"), label="0001000161")

    worker = _worker(tmp_path, virtual)
    worker.start()
    try:
        assert worker.wait_attempted([unsent.job_id, later.job_id], 10)
        assert virtual.wait_for_jobs(2)
    finally:
        worker.close()
    # the one that never reached the printer is printed, not held, and nothing twice
    assert [decoded_text(job) for job in virtual.jobs] == ["未发出", "下一张"]
    held = spool.held()
    assert [(h.label, h.note) for h in held] == [("0001000153", INTERRUPTED)]
    assert spool.resolve_held("0001000153") == 1 and spool.held() == []


def test_failure_after_bytes_went_out_is_held_for_staff(tmp_path: Path) -> None:
    class HalfPrinter:
        profile = PROFILE

        def status(self) -> PrinterState:
            return PrinterState.ONLINE

        def send(self, data: bytes, job_name: str):  # type: ignore[no-untyped-def]
            from device.printer import PrintOutcome

            return PrintOutcome(False, "cable pulled mid-job", maybe_printed=True)

    worker = PrintWorker(Spool(tmp_path), HalfPrinter(), lambda layout: b"x", retry_seconds=0.05)
    job = worker.submit("receipt-1", _layout("x"), label="1")
    assert worker.drain() is False
    assert worker.spool.job_ids("held") == [job.job_id]
    assert worker.drain() is False  # nothing is resent by itself
    assert worker.spool.held()[0].note == "cable pulled mid-job"


def _slow_job(virtual: VirtualEscPosPrinter) -> bytes:
    """A job that takes about three seconds at the virtual printer's 9600 baud."""
    virtual.baud = 9600
    return encode_escpos(ReceiptLayout(tuple(Text(f"第{n:03d}行 说事回执 0001 00015 3")
                                             for n in range(100))), PROFILE)


def _serial_config(tmp_path: Path, pty: str) -> Path:
    path = tmp_path / "kiosk.toml"
    path.write_text(f"""
[store]
path = "{tmp_path}/kiosk.db"
[printer]
kind = "serial"
device = "{pty}"
baudrate = 9600
out_dir = "{tmp_path}/receipts"
spool_dir = "{tmp_path}/spool"
retry_seconds = 0.05
""", encoding="utf-8")
    return path


def _serial_worker(config: Path, data: bytes) -> PrintWorker:
    from kiosk.config import load_config
    from kiosk.wiring import build_print_worker

    worker = build_print_worker(load_config(config), FONT)
    worker.encode = lambda layout: data  # the bytes of a long raster receipt
    return worker


def test_status_command_and_poll_never_write_into_a_job(
    tmp_path: Path, virtual: VirtualEscPosPrinter, capsys: pytest.CaptureFixture[str],
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    import argparse
    import threading

    from kiosk import cli_printer

    monkeypatch.setattr(cli_printer, "STATUS_WAIT_SECONDS", 0.2)
    data = _slow_job(virtual)
    config = _serial_config(tmp_path, virtual.serve_pty())
    printing = _serial_worker(config, data)  # e.g. `shuoshi receipt print --reprint`
    kiosk = _serial_worker(config, data)  # the kiosk's own worker, polling status
    job = printing.submit("reprint-0001000153", _layout("x"), label="0001000153")
    sender = threading.Thread(target=printing.drain)
    sender.start()
    try:
        while printing.sending is None:  # the job is going out
            sender.join(0.01)
        kiosk.poll_status()  # its periodic poll comes while the job prints
        cli_printer.run_printer(argparse.Namespace(config=config, action="status", json=False))
    finally:
        sender.join(30)
    assert "is printing" in capsys.readouterr().out
    assert virtual.wait_for_jobs(1, timeout=30)
    assert virtual.jobs == [data]  # not one byte inserted
    assert printing.spool.job_ids("done") == [job.job_id]


def test_one_lock_per_printer_whatever_config_or_spool_reaches_it(
    tmp_path: Path, virtual: VirtualEscPosPrinter, capsys: pytest.CaptureFixture[str],
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """A command started with another config (its own spool folder) and the device by a
    symlink's name, as udev's /dev/shuoshi-printer: the same lock as the kiosk's."""
    import argparse
    import threading

    from kiosk import cli_printer

    monkeypatch.setattr(cli_printer, "STATUS_WAIT_SECONDS", 0.2)
    data = _slow_job(virtual)
    pty = virtual.serve_pty()
    kiosk_config = _serial_config(tmp_path, pty)
    (tmp_path / "staff").mkdir()
    link = tmp_path / "shuoshi-printer"
    link.symlink_to(pty)
    staff_config = _serial_config(tmp_path / "staff", str(link))
    printing = _serial_worker(kiosk_config, data)
    job = printing.submit("receipt-0001000153", _layout("x"), label="0001000153")
    sender = threading.Thread(target=printing.drain)
    sender.start()
    try:
        while printing.sending is None:
            sender.join(0.01)
        cli_printer.run_printer(argparse.Namespace(config=staff_config, action="status",
                                                   json=False))
    finally:
        sender.join(30)
    assert "is printing" in capsys.readouterr().out
    assert virtual.wait_for_jobs(1, timeout=30)
    assert virtual.jobs == [data]  # not one byte of a status request inside
    assert printing.spool.job_ids("done") == [job.job_id]


def test_kiosk_starting_while_a_command_prints_leaves_its_job_alone(
    tmp_path: Path, virtual: VirtualEscPosPrinter
) -> None:
    import threading

    data = _slow_job(virtual)
    config = _serial_config(tmp_path, virtual.serve_pty())
    command = _serial_worker(config, data)  # `shuoshi receipt print T`
    job = command.submit("receipt-0001000153", _layout("x"), label="0001000153")
    sender = threading.Thread(target=command.drain)
    sender.start()
    while command.sending is None:
        sender.join(0.01)
    kiosk = _serial_worker(config, data)
    kiosk.start()  # the kiosk starts while the command's job is in printing/
    try:
        sender.join(30)
        kiosk.kick()
        assert virtual.wait_for_jobs(1, timeout=30)
    finally:
        kiosk.close()
    assert command.spool.held() == []  # not "may be half printed"
    assert command.spool.job_ids("done") == [job.job_id]
    assert virtual.jobs == [data]


def test_job_left_before_its_first_byte_is_printed_without_a_restart(
    tmp_path: Path, virtual: VirtualEscPosPrinter
) -> None:
    worker = _worker(tmp_path, virtual)
    worker.status_seconds = 60.0  # the default poll: the queue must not wait for it
    worker.start()
    try:
        assert worker.wait_attempted([], 0)
        other = Spool(tmp_path / "spool")  # another process: a command, or a dead kiosk
        dead = other.enqueue("receipt-0001000145", _layout("认领后被杀"), label="0001000145")
        assert other.claim(dead.job_id) is not None  # ...killed before its first byte
        queued = other.enqueue("receipt-0001000153", _layout("命令排队"), label="0001000153")
        # nobody wakes the worker: it finds both by itself, without a restart
        assert virtual.wait_for_jobs(2, timeout=10)
    finally:
        worker.close()
    assert sorted(decoded_text(job) for job in virtual.jobs) == ["命令排队", "认领后被杀"]
    assert worker.spool.job_ids("done") == [dead.job_id, queued.job_id]
    assert worker.spool.held() == []


def test_cut_connection_is_held_for_staff_not_logged_printed(
    tmp_path: Path, virtual: VirtualEscPosPrinter
) -> None:
    virtual.drop_after = 200
    worker = _worker(tmp_path, virtual)
    job = worker.submit("receipt-0001000153", ReceiptLayout(tuple(
        Text(f"第{n:02d}行 幸福里社区说事回执") for n in range(24))), label="0001000153")
    assert worker.drain() is False
    assert worker.spool.job_ids("done") == []
    [held] = worker.spool.held()
    assert held.job_id == job.job_id and held.note  # the reason, for staff
    assert worker.drain() is False and virtual.drops == 1  # never resent by itself
