"""The printer worker: drains the spool in the background and keeps the printer's state.

The last known state goes to a callback (the kiosk's screen and voice) and to a small JSON
file other processes read (the sync worker reports it to the centre).

Every use of the printer (claiming and sending a job, the status poll, recovering jobs a
dead process left in printing/) happens holding the printer's DeviceLock, which the
``shuoshi printer`` and ``shuoshi receipt`` commands take too. The queue is looked at every
``retry_seconds``, so a job another process queued does not wait for the status poll.
"""

from __future__ import annotations

import json
import logging
import threading
import time
from collections.abc import Callable
from dataclasses import asdict, dataclass, field
from pathlib import Path

from .layout import ReceiptLayout
from .lock import DeviceBusy, DeviceLock
from .spool import PrintJob, Spool
from .status import PrinterState
from .transport import LinkPrinter, Printer, PrintOutcome
from .virtual import write_atomic

log = logging.getLogger(__name__)

DEFAULT_RETRY_SECONDS = 5.0
DEFAULT_STATUS_SECONDS = 60.0


@dataclass(frozen=True)
class PrinterReport:
    """What the worker last learnt; written as JSON to the state file."""

    state: PrinterState
    detail: str = ""
    pending: int = 0
    held: int = 0
    updated_at: float = field(default_factory=time.time)

    def to_json(self) -> str:
        return json.dumps({**asdict(self), "state": self.state.value,
                           "label": self.state.label}, ensure_ascii=False)


def read_report(path: Path) -> PrinterReport | None:
    """The state file's report, or None when it is missing or unreadable."""
    try:
        raw = json.loads(path.read_text(encoding="utf-8"))
        return PrinterReport(PrinterState(raw["state"]), str(raw["detail"]), int(raw["pending"]),
                             int(raw["held"]), float(raw["updated_at"]))
    except (OSError, ValueError, KeyError, TypeError):
        return None


class PrintWorker:
    """One thread sending queued jobs in order; a failed send is retried later."""

    def __init__(
        self, spool: Spool, printer: Printer, encode: Callable[[ReceiptLayout], bytes], *,
        state_file: Path | None = None,
        on_report: Callable[[PrinterReport], None] | None = None,
        retry_seconds: float = DEFAULT_RETRY_SECONDS,
        status_seconds: float = DEFAULT_STATUS_SECONDS,
        lock: DeviceLock | None = None,
        feed: Callable[[], object] | None = None,
    ) -> None:
        self.spool, self.printer, self.encode = spool, printer, encode
        self.state_file, self.on_report = state_file, on_report
        self.retry_seconds, self.status_seconds = retry_seconds, status_seconds
        printer_lock = getattr(printer, "lock", None)  # the same object, or it would deadlock
        self.lock: DeviceLock = lock or printer_lock or DeviceLock(spool.root / "printer.lock")
        self.feed = feed
        """Moves jobs from elsewhere (the store's print outbox) into the spool; run first
        on every drain."""
        self.report = PrinterReport(PrinterState.UNKNOWN, "not asked yet")
        self.last_outcome: PrintOutcome | None = None
        self.sending: str | None = None
        """The job whose bytes are going out now, if any."""
        self._attempted: set[str] = set()
        self._started: set[str] = set()
        self._wake = threading.Event()
        self._stop = threading.Event()
        self._done = threading.Condition()
        self._thread: threading.Thread | None = None
        self._last_status = 0.0

    def start(self) -> None:
        """Run in the background. Jobs a dead process left half-sent are held on the first
        drain, once this worker holds the printer (a command printing now keeps its job)."""
        self._thread = threading.Thread(target=self._run, name="printer", daemon=True)
        self._thread.start()

    @property
    def running(self) -> bool:
        """The background thread is sending jobs."""
        return self._thread is not None and self._thread.is_alive()

    def _recover(self) -> None:
        for job_id in self.spool.recover():
            log.warning("print job %s was interrupted; held for a staff reprint", job_id)

    def submit(self, name: str, layout: ReceiptLayout, label: str = "") -> PrintJob:
        """Queue durably and wake the worker; returns at once."""
        job = self.spool.enqueue(name, layout, label)
        self._wake.set()
        return job

    def kick(self) -> None:
        self._wake.set()

    def close(self, timeout: float = 10.0) -> None:
        self._stop.set()
        self._wake.set()
        if self._thread is not None:
            self._thread.join(timeout)

    def wait_attempted(self, job_ids: list[str], timeout: float) -> bool:
        """True once each job was sent or tried at least once."""
        with self._done:
            return self._done.wait_for(lambda: self._attempted.issuperset(job_ids), timeout)

    def wait_started(self, job_id: str, timeout: float) -> bool | None:
        """Whether the job is on its way to paper: True once its bytes started going out,
        False once it was tried and is waiting or held, None if not tried in ``timeout``."""
        def known() -> bool:
            return job_id in self._started or job_id in self._attempted

        with self._done:
            if not self._done.wait_for(known, timeout):
                return None
            return job_id in self._started

    def _run(self) -> None:
        while not self._stop.is_set():
            try:
                waiting = self.drain()
                if not waiting and time.monotonic() - self._last_status >= self.status_seconds:
                    self.poll_status()
            except Exception:  # a bug here must not stop receipts for the rest of the day
                log.exception("printer worker failed; retrying")
            # the queue is looked at often (another process may have queued a job), the
            # printer only asked every status_seconds
            self._wake.wait(self.retry_seconds)
            self._wake.clear()

    def poll_status(self) -> None:
        """Ask the printer its state, unless someone is using it (then ask later)."""
        try:
            with self.lock.held(wait=0, what="status"):
                state = self.printer.status()
        except DeviceBusy:
            return
        self._publish(state, "")

    def drain(self, wait: float = 0.0) -> bool:
        """Send pending jobs in order; True when some are still waiting for the printer.

        ``wait``: how long to wait for the printer while another process uses it."""
        if self.feed is not None:
            try:
                self.feed()
            except Exception:  # the store busy or full: its rows wait for the next drain
                log.exception("could not take jobs from the print outbox")
        try:
            with self.lock.held(wait=wait, what="printing"):
                self._recover()
                return self._drain_owned()
        except DeviceBusy as busy:
            log.info("printer busy (%s); queued jobs wait", busy.owner)
            return bool(self.spool.job_ids("pending"))

    def _drain_owned(self) -> bool:
        for job_id in self.spool.job_ids("pending"):
            if self._stop.is_set():
                return True
            job = self.spool.claim(job_id)
            if job is None:
                continue
            outcome = self._send(job)
            with self._done:
                self._attempted.add(job_id)
                self._done.notify_all()
            if not outcome.ok and not outcome.maybe_printed:
                return True
        return False

    def _started_sending(self, job_id: str) -> None:
        self.spool.mark_sending(job_id)
        self.sending = job_id
        with self._done:
            self._started.add(job_id)
            self._done.notify_all()

    def _send(self, job: PrintJob) -> PrintOutcome:
        try:
            data = self.encode(job.layout)
        except Exception as error:  # a layout we cannot encode would block the queue
            self.spool.hold(job.job_id, f"cannot encode: {error}")
            log.exception("print job %s cannot be encoded", job.job_id)
            return PrintOutcome(False, str(error), maybe_printed=True)
        def starting() -> None:
            self._started_sending(job.job_id)

        try:
            if isinstance(self.printer, LinkPrinter):  # it asks the printer's state first
                outcome = self.printer.send(data, job.name, starting=starting)
            else:
                starting()
                outcome = self.printer.send(data, job.name)
        finally:
            self.sending = None
        if not outcome.ok and not outcome.maybe_printed:
            with self._done:  # it never went out after all
                self._started.discard(job.job_id)
        if outcome.ok:
            self.spool.finish(job.job_id)
        elif outcome.maybe_printed:
            self.spool.hold(job.job_id, outcome.detail)
            log.warning("print job %s failed part-way, held for reprint: %s", job.name,
                        outcome.detail)
        else:
            self.spool.release(job.job_id)
            log.info("print job %s waits for the printer: %s", job.name, outcome.detail)
        self.last_outcome = outcome
        self._publish(outcome.state, "" if outcome.ok else outcome.detail)
        return outcome

    def _publish(self, state: PrinterState, detail: str) -> None:
        self._last_status = time.monotonic()
        counts = self.spool.counts()
        report = PrinterReport(state, detail, counts["pending"], counts["held"])
        changed = (report.state, report.detail, report.pending, report.held) != (
            self.report.state, self.report.detail, self.report.pending, self.report.held)
        self.report = report
        if self.state_file is not None:
            try:
                self.state_file.parent.mkdir(parents=True, exist_ok=True)
                write_atomic(self.state_file, lambda h: h.write(report.to_json().encode()))
            except OSError as error:
                log.warning("could not write printer state file: %s", error)
        if changed and self.on_report is not None:
            self.on_report(report)
