"""Exactly one receipt per request, whatever fails.

The receipt's print job is committed with the submission (the store's print outbox); a
reprint replaces an original not yet printed; 请取走回执 is said only when the receipt is
printing; and processes SIGKILLed at random between commit, spool and send leave every
committed submission with exactly one receipt printed or one job held for staff, never two,
never none. ``make test`` runs a short kill loop, ``make soak`` (SHUOSHI_SOAK=1) 120 kills.

Run as ``python -m tests.test_print_exactly_once DB SPOOL PORT`` it is the process killed:
it takes submissions and prints their receipts on the virtual printer at 127.0.0.1:PORT,
saying ``COMMIT``, ``SPOOLED`` and ``SENT`` with the ticket as it gets there.
"""

from __future__ import annotations

import json
import os
import queue
import random
import signal
import subprocess
import sys
import threading
import time
from collections.abc import Iterator
from pathlib import Path

import pytest

from device.printer import (
    DeviceLock,
    LinkPrinter,
    PrinterState,
    PrintWorker,
    ReceiptLayout,
    Spool,
    Text,
    VirtualEscPosPrinter,
    VirtualPrinter,
    encode_escpos,
    get_profile,
    layout_to_dict,
)
from device.printer.links import NetworkLink
from sync.store import PrintRequest, Store, StoredSubmission, SubmissionDraft
from tests.conftest import REPO

PROFILE = get_profile("generic-80-gb18030")
FONT = Path("/usr/share/fonts/truetype/wqy/wqy-microhei.ttc")
KILLS = 120 if os.environ.get("SHUOSHI_SOAK") else 12
PHASES = ("COMMIT", "SPOOLED", "SENT")


def _receipt(ticket: str) -> ReceiptLayout:
    return ReceiptLayout((Text(f"说事回执 {ticket}"), Text("请凭号码查询进度")))


def _job(stored: StoredSubmission) -> PrintRequest:
    name = f"receipt-{stored.ticket}"
    return PrintRequest(f"{time.time_ns():020d}-{name}", name, stored.ticket,
                        json.dumps(layout_to_dict(_receipt(stored.ticket)), ensure_ascii=False))


def _network_worker(store: Store, spool_dir: Path, port: int) -> PrintWorker:
    spool = Spool(spool_dir)
    printer = LinkPrinter(NetworkLink("127.0.0.1", port, timeout=2.0), PROFILE,
                          status_timeout=0.5, lock=DeviceLock(spool_dir / "printer.lock"))
    return PrintWorker(spool, printer, lambda layout: encode_escpos(layout, PROFILE),
                       feed=lambda: store.relay_prints(spool), retry_seconds=0.05)


def main(db: str, spool_dir: str, port: str) -> None:
    """The process the kill loop kills: commit, spool, send, over and over."""
    store = Store(Path(db))
    worker = _network_worker(store, Path(spool_dir), int(port))
    n = 0
    while True:
        n += 1
        stored = store.record_submission(
            SubmissionDraft("环境卫生", f"楼道堆放杂物 {n}"), "0042", receipt=_job)
        print(f"COMMIT {stored.ticket}", flush=True)
        store.relay_prints(worker.spool)
        print(f"SPOOLED {stored.ticket}", flush=True)
        worker.drain(wait=30)
        print(f"SENT {stored.ticket}", flush=True)


class _Target:
    """One kill-loop process; its lines go into a queue as they come."""

    def __init__(self, args: list[str]) -> None:
        self.lines: queue.Queue[str] = queue.Queue()
        self.proc = subprocess.Popen(args, cwd=REPO, stdout=subprocess.PIPE,
                                     stderr=subprocess.DEVNULL, text=True)
        self._reader = threading.Thread(target=self._read, daemon=True)
        self._reader.start()

    def _read(self) -> None:
        assert self.proc.stdout is not None
        with self.proc.stdout:
            for line in self.proc.stdout:
                self.lines.put(line.strip())

    def wait_for(self, phase: str, timeout: float = 30.0) -> bool:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            try:
                line = self.lines.get(timeout=0.2)
            except queue.Empty:
                continue
            if line.startswith(phase + " "):
                return True
        return False

    def kill(self) -> None:
        self.proc.send_signal(signal.SIGKILL)
        self.proc.wait(10)
        self._reader.join(10)


def _kill_loop(tmp_path: Path, virtual: VirtualEscPosPrinter, kills: int) -> dict[str, int]:
    """Two processes (a kiosk and a command) printing on one printer; one of them is
    killed just after it said a phase chosen at random. Returns the kills per phase."""
    rng = random.Random(12)
    args = [sys.executable, "-m", "tests.test_print_exactly_once", str(tmp_path / "kiosk.db"),
            str(tmp_path / "spool"), str(virtual.tcp_port)]
    targets = [_Target(args), _Target(args)]
    landed = dict.fromkeys(PHASES, 0)
    try:
        for _ in range(kills):
            which = rng.randrange(2)
            phase = rng.choice(PHASES)
            assert targets[which].wait_for(phase), "the target stopped taking submissions"
            time.sleep(rng.uniform(0, 0.03))
            targets[which].kill()
            landed[phase] += 1
            targets[which] = _Target(args)
    finally:
        for target in targets:
            target.kill()
    return landed


@pytest.fixture
def virtual() -> Iterator[VirtualEscPosPrinter]:
    with VirtualEscPosPrinter(baud=19200) as printer:  # slow enough to be killed mid-job
        printer.serve_tcp()
        yield printer


def test_soak_print_kill_loop_every_submission_has_exactly_one_receipt(
    tmp_path: Path, virtual: VirtualEscPosPrinter
) -> None:
    landed = _kill_loop(tmp_path, virtual, KILLS)

    # the next start: an undisturbed worker takes what the dead left
    store = Store(tmp_path / "kiosk.db")
    try:
        worker = _network_worker(store, tmp_path / "spool", virtual.tcp_port)
        assert worker.drain(wait=30) is False
        assert store.prints_waiting() == 0
        tickets = [s.ticket for s in _submissions(store)]
    finally:
        store.close()
    spool = worker.spool
    assert spool.counts()["pending"] == 0 and spool.counts()["printing"] == 0
    time.sleep(0.3)  # the virtual printer closes its last job after a quiet moment
    jobs = {"done": _labels(spool, "done"), "held": _labels(spool, "held")}
    copies = {ticket: virtual.jobs.count(encode_escpos(_receipt(ticket), PROFILE))
              for ticket in tickets}
    for ticket in tickets:
        done, held = jobs["done"].count(ticket), jobs["held"].count(ticket)
        assert done + held == 1, (ticket, done, held)  # one job: never none, never two
        assert copies[ticket] <= 1, ticket  # never printed twice
        if done:
            assert copies[ticket] == 1, ticket  # "printed" means on paper
    assert len(tickets) >= KILLS
    assert all(landed.values()), landed  # killed after commit, after spool, after send
    print(f"\n{len(tickets)} submissions, {sum(landed.values())} kills {landed}, "
          f"{len(jobs['held'])} held for staff")


def _submissions(store: Store) -> list[StoredSubmission]:
    from sqlalchemy import select

    from sync.models import Submission

    with store.session() as s:
        tickets = s.scalars(select(Submission.ticket)).all()
    found = [store.find_by_ticket(ticket) for ticket in tickets]
    return [stored for stored in found if stored is not None]


def _labels(spool: Spool, state: str) -> list[str]:
    return [spool.load(state, job_id).label for job_id in spool.job_ids(state)]


def test_process_killed_between_commit_and_spool_loses_no_receipt(
    tmp_path: Path, virtual: VirtualEscPosPrinter
) -> None:
    args = [sys.executable, "-m", "tests.test_print_exactly_once", str(tmp_path / "kiosk.db"),
            str(tmp_path / "spool"), str(virtual.tcp_port)]
    for _ in range(3):
        target = _Target(args)
        assert target.wait_for("COMMIT")
        target.kill()  # committed; its receipt may not be in the spool yet
    store = Store(tmp_path / "kiosk.db")
    try:
        tickets = {s.ticket for s in _submissions(store)}
        worker = _network_worker(store, tmp_path / "spool", virtual.tcp_port)
        assert worker.drain(wait=30) is False
    finally:
        store.close()
    labels = _labels(worker.spool, "done") + _labels(worker.spool, "held")
    assert sorted(labels) == sorted(tickets) and len(tickets) >= 3


def test_printer_status_counts_receipts_committed_but_not_queued(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    import argparse

    from kiosk.cli_printer import run_printer

    config = tmp_path / "kiosk.toml"
    config.write_text(f"""
[store]
path = "{tmp_path}/kiosk.db"
[printer]
out_dir = "{tmp_path}/receipts"
""", encoding="utf-8")
    store = Store(tmp_path / "kiosk.db")
    store.record_submission(SubmissionDraft("环境卫生", "楼道堆放杂物"), "0042", receipt=_job)
    store.close()  # ...and the process died before the spool got it
    run_printer(argparse.Namespace(config=config, action="status", json=True))
    assert json.loads(capsys.readouterr().out)["committed"] == 1


@pytest.fixture
def intake(tmp_path: Path) -> Iterator[tuple[object, VirtualPrinter, PrintWorker]]:
    from device.speech import make_speech_service
    from kiosk.intake import HallInfo, Intake
    from kiosk.wiring import build_glyphs

    store = Store(tmp_path / "kiosk.db")
    glyphs = build_glyphs(FONT)
    printer = VirtualPrinter(tmp_path / "paper", glyphs, PROFILE)
    worker = PrintWorker(Spool(tmp_path / "spool"), printer,
                         lambda layout: encode_escpos(layout, PROFILE), retry_seconds=0.05)
    speech = make_speech_service("silent", voice="cmn", rate=130, volume=1.0,
                                 work_dir=tmp_path / "w", out_dir=tmp_path / "speech")
    worker.start()
    made = Intake(store, worker, speech, HallInfo("幸福里社区", "说事厅", "0716-1234567", "0042"))
    try:
        yield made, printer, worker
    finally:
        worker.close()
        speech.close()
        store.close()


def _printed(paper: Path) -> list[str]:
    return sorted(p.stem for p in paper.glob("*.bin")) if paper.exists() else []


def test_reprint_replaces_an_original_not_yet_printed(
    tmp_path: Path, intake: tuple[object, VirtualPrinter, PrintWorker]
) -> None:
    from kiosk.intake import Intake

    made, printer, worker = intake
    assert isinstance(made, Intake)
    printer.state = PrinterState.PAPER_OUT
    stored = made.submit(SubmissionDraft("环境卫生", "垃圾没有及时清运"))
    assert made.wait_printed(10) and worker.spool.counts()["pending"] == 1  # waits for paper
    assert made.reprint(stored.ticket) is not None  # staff: 补打, the original still waiting
    printer.state = PrinterState.ONLINE
    worker.kick()
    assert made.wait_printed(10)
    assert _printed(tmp_path / "paper") == [f"reprint-{stored.ticket}"]  # one receipt
    assert worker.spool.counts() == {"pending": 0, "printing": 0, "held": 0}


def test_no_take_your_receipt_while_the_printer_cannot_print(
    intake: tuple[object, VirtualPrinter, PrintWorker],
) -> None:
    from kiosk.intake import NO_RECEIPT, Intake
    from kiosk.session import MESSAGES

    made, printer, worker = intake
    assert isinstance(made, Intake)
    made.submit(SubmissionDraft("环境卫生", "垃圾没有及时清运"))
    assert made.receipt_coming and made.last_announcement[-1] == MESSAGES["take_receipt"]
    assert worker.report.state.can_print

    printer.state = PrinterState.UNREACHABLE  # lost after start-up; nothing polled since
    made.submit(SubmissionDraft("停车出行", "小区停车位不够"))
    said = made.last_announcement
    assert not made.receipt_coming
    assert MESSAGES["take_receipt"] not in said and said.count(NO_RECEIPT) == 1


if __name__ == "__main__":
    main(*sys.argv[1:4])
