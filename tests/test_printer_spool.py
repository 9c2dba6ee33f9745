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
