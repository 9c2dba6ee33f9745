"""What happens on 提交: check, store, then queue the receipt and speak; nothing is lost.

The draft is checked against the wire model first, so a draft the server would refuse is
never stored. The receipt's print job is committed in the same transaction as the
submission (the store's print outbox), so no crash can leave a ticket without its receipt;
the printer worker moves it into the on-disk print queue and prints it in the background,
so a slow, offline or paperless printer never holds up the screen, and the resident always
sees and hears the ticket number. "请取走回执" is said only once the receipt's bytes are
going out; a printer lost since the last job is found out by that job. When the
submission cannot be stored (a full disk, the database locked too long) ``SubmissionNotSaved``
says why in a sentence for the resident; nothing is half-stored and the draft is kept.
"""

from __future__ import annotations

import json
import logging
import time
import uuid
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime
from typing import TYPE_CHECKING, TypeVar

from kiosk.session import MESSAGES
from sync.contract.ticket import group

if TYPE_CHECKING:  # the printer, speech and store packages load after the first frame
    from pydantic import ValidationError

    from device.printer import PrinterReport, PrintJob, PrintWorker, ReceiptLayout
    from device.speech import SpeechService
    from kiosk.receipt import HallText
    from sync.contract.protocol import PublicIssue
    from sync.store import PrintRequest, Store, StoredSubmission, StoredSupport, SubmissionDraft

log = logging.getLogger(__name__)
T = TypeVar("T")

NO_RECEIPT = MESSAGES["no_receipt"]
RECEIPT_WAIT_SECONDS = 3.0
"""How long 提交 waits to hear that the receipt started printing (the digits are being
said meanwhile); an unreachable network printer answers within its 2 s timeout."""
SQLITE_BUSY, SQLITE_LOCKED = 5, 6


class SubmissionNotSaved(Exception):
    """提交 stored nothing. ``message`` (from prompts.toml [messages]) tells the resident
    why and what to do; the screen shows and speaks it and keeps what was entered.
    ``reason`` is for the log: it never holds what the resident entered."""

    def __init__(self, message: str, reason: str) -> None:
        super().__init__(reason)
        self.message = message
        self.reason = reason


def _refused(error: ValidationError) -> SubmissionNotSaved:
    """The message for a draft the wire model refuses (the first problem found)."""
    first = error.errors()[0]
    field = str(first["loc"][0]) if first["loc"] else ""
    if field == "contact_phone":
        key = "not_saved_phone"
    elif first["type"] == "string_too_long":
        key = "not_saved_too_long"
    else:
        key = "not_saved_invalid"
    return SubmissionNotSaved(MESSAGES[key], f"draft refused: {field} {first['type']}")


def _not_stored(error: Exception) -> SubmissionNotSaved:
    """The message for a store that could not take the submission."""
    code = getattr(getattr(error, "orig", None), "sqlite_errorcode", None)
    if code is not None and code & 0xFF in (SQLITE_BUSY, SQLITE_LOCKED):
        return SubmissionNotSaved(MESSAGES["not_saved_busy"], "store locked past its timeout")
    name = getattr(getattr(error, "orig", None), "sqlite_errorname", None)
    return SubmissionNotSaved(MESSAGES["not_saved_full"],
                              f"store failed: {name or type(error).__name__}")


@dataclass(frozen=True)
class HallInfo:
    community: str
    name: str
    hotline: str
    kiosk_code: str
    status_url: str = ""

    @property
    def text(self) -> HallText:
        from kiosk.receipt import HallText

        return HallText(self.community, self.name, self.hotline, self.status_url)


class Intake:
    """Takes a resident's submission down: durable commit, queued receipt, spoken number."""

    def __init__(self, store: Store, printer: PrintWorker, speech: SpeechService,
                 hall: HallInfo) -> None:
        self.store = store
        self.printer = printer
        self.speech = speech
        self.hall = hall
        self._jobs: list[str] = []
        self._last_job_id = ""
        self.last_announcement: list[str] = []
        """What the last ``submit`` said, for 再听一遍."""
        self.receipt_coming = True
        """Whether the last receipt queued here is printing (the done screen says so)."""
        if printer.feed is None:
            printer.feed = self.relay_prints

    @property
    def printer_report(self) -> PrinterReport:
        """The printer's last known state, for the screen (and the heartbeat)."""
        return self.printer.report

    def on_printer_report(self, callback: Callable[[PrinterReport], None]) -> None:
        """Called from the printer thread when the state changes (use Clock for the UI)."""
        self.printer.on_report = callback

    def submit(self, draft: SubmissionDraft) -> StoredSubmission:
        """Check, commit durably, queue the receipt, speak the number; returns at once.

        Raises ``SubmissionNotSaved`` when nothing was stored: the draft fails the wire
        model's checks, or the store cannot take it (disk full, locked past its timeout).
        """

        stored = self._record(lambda: self._check(draft), lambda: self.store.record_submission(
            draft, self.hall.kiosk_code, receipt=self._receipt_job))
        self._announce("submitted", stored.ticket, self._committed_job(stored.ticket))
        return stored

    def support(self, issue: PublicIssue, contact_name: str | None,
                contact_phone: str | None) -> StoredSupport:
        """附议: check, commit durably, queue the 附议回执, speak its number; returns at once.

        Raises ``SubmissionNotSaved`` exactly as ``submit`` does when nothing was stored.
        """
        def check() -> None:
            from sync.contract.protocol import SupportIn
            from sync.contract.ticket import make_ticket

            SupportIn(uuid=uuid.UUID(int=0), ticket=issue.ticket,
                      support_ticket=make_ticket(self.hall.kiosk_code, 1),
                      kiosk_code=self.hall.kiosk_code, contact_name=contact_name,
                      contact_phone=contact_phone, created_at=datetime.now().astimezone())

        stored = self._record(check, lambda: self.store.record_support(
            issue, self.hall.kiosk_code, contact_name=contact_name, contact_phone=contact_phone,
            receipt=self._support_job))
        self._announce("supported", stored.support_ticket,
                       self._committed_job(stored.support_ticket))
        return stored

    def relay_prints(self) -> int:
        """Move committed receipts into the print queue (the printer worker's feed)."""
        return self.store.relay_prints(self.printer.spool)

    def _committed_job(self, ticket: str) -> str:
        """The job id of the receipt committed with ``ticket``; wakes the worker for it."""
        job_id = self._last_job_id
        self._jobs.append(job_id)
        try:  # into the spool now; if this fails the worker moves it on its next drain
            self.relay_prints()
        except Exception as error:  # the ticket is committed: never fail 提交 here
            log.error("receipt %s stays in the print outbox: %s", ticket, type(error).__name__)
        self.printer.kick()
        return job_id

    def _announce(self, opening: str, ticket: str, job_id: str) -> None:
        from device.speech import speech_text_for_ticket

        # Only the digits are synthesised now; the sentences around them come from the cache.
        said = [MESSAGES[opening], f"{speech_text_for_ticket(group(ticket))}。"]
        for text in said:
            self.speech.say(text)
        self.receipt_coming = self.receipt_printing(job_id)
        ending = MESSAGES["take_receipt"] if self.receipt_coming else NO_RECEIPT
        self.speech.say(ending)
        self.last_announcement = [*said, ending]

    def receipt_printing(self, job_id: str) -> bool:
        """Whether the job is going onto paper: its first attempt is awaited a moment; if
        the worker is busy with another job, the printer's state decides."""
        # a printer known not to print is not waited for: the screen moves on at once
        can_print = self.printer.report.state.can_print
        wait = RECEIPT_WAIT_SECONDS if self.printer.running and can_print else 0.0
        started = self.printer.wait_started(job_id, wait)
        if started is None:
            return self.printer.sending is not None or self.printer.report.state.can_print
        return started

    def print_slip(self, name: str, layout: ReceiptLayout, label: str) -> bool:
        """Queue a slip (公示栏, 便民服务); True if it is printing. OSError: not queued."""
        job = self.printer.submit(name, layout, label=label)
        self._jobs.append(job.job_id)
        return self.receipt_printing(job.job_id)

    def _check(self, draft: SubmissionDraft) -> None:
        from sync.store import as_wire

        as_wire(draft, self.hall.kiosk_code)

    def _record(self, check: Callable[[], object], record: Callable[[], T]) -> T:
        from pydantic import ValidationError
        from sqlalchemy.exc import OperationalError

        from sync.store import StoreFullError

        # The errors are raised afresh ("from None"): a database error's text carries the
        # statement's parameters, the resident's name and phone among them.
        try:
            check()
        except ValidationError as error:
            raise _refused(error) from None
        try:
            return record()
        except (OperationalError, OSError, StoreFullError) as error:
            not_saved = _not_stored(error)
        log.error("not saved: %s", not_saved.reason)
        raise not_saved

    def reprint(self, ticket: str) -> PrintJob | None:
        """Queue a 补打 receipt for ``ticket``, replacing its receipt not yet printed; None if
        this kiosk does not know it."""
        now = datetime.now().astimezone()
        self.store.drop_prints(ticket)
        self.printer.spool.replace_pending(ticket)
        stored = self.store.find_by_ticket(ticket)
        if stored is not None:
            job = self._queue(stored, reprinted_at=now)
        else:
            support = self.store.find_support(ticket)
            if support is None:
                return None
            job = self._queue_support(support, reprinted_at=now)
        if job is not None:
            self.printer.spool.resolve_held(ticket)
        return job

    def wait_printed(self, timeout: float) -> bool:
        """True once every receipt queued here was sent (or tried) at least once."""
        return self.printer.wait_attempted(self._jobs, timeout)

    def _submission_layout(self, stored: StoredSubmission, reprinted_at: datetime | None
                           ) -> ReceiptLayout:
        from kiosk.receipt import submission_receipt

        return submission_receipt(stored, self.hall.text, columns=self.printer.printer.profile
                                  .columns, reprinted_at=reprinted_at)

    def _support_layout(self, stored: StoredSupport, reprinted_at: datetime | None
                        ) -> ReceiptLayout:
        from kiosk.receipt import support_receipt

        return support_receipt(stored, self.hall.text, columns=self.printer.printer.profile
                               .columns, reprinted_at=reprinted_at)

    def _receipt_job(self, stored: StoredSubmission) -> PrintRequest:
        """Inside the submission's transaction: its receipt's print job."""
        return self._print_request(self._submission_layout(stored, None), stored.ticket)

    def _support_job(self, stored: StoredSupport) -> PrintRequest:
        return self._print_request(self._support_layout(stored, None), stored.support_ticket)

    def _print_request(self, layout: ReceiptLayout, ticket: str) -> PrintRequest:
        from device.printer import layout_to_dict
        from sync.store import PrintRequest

        name = f"receipt-{ticket}"
        self._last_job_id = f"{time.time_ns():020d}-{name}"
        return PrintRequest(self._last_job_id, name, ticket,
                            json.dumps(layout_to_dict(layout), ensure_ascii=False))

    def _queue(self, stored: StoredSubmission, reprinted_at: datetime | None) -> PrintJob | None:
        return self._spool(self._submission_layout(stored, reprinted_at), stored.ticket,
                           reprinted_at)

    def _queue_support(self, stored: StoredSupport, reprinted_at: datetime | None
                       ) -> PrintJob | None:
        return self._spool(self._support_layout(stored, reprinted_at), stored.support_ticket,
                           reprinted_at)

    def _spool(self, layout: ReceiptLayout, ticket: str, reprinted_at: datetime | None
               ) -> PrintJob | None:
        name = f"{'reprint' if reprinted_at else 'receipt'}-{ticket}"
        try:
            job = self.printer.submit(name, layout, label=ticket)
        except OSError as error:  # disk trouble: the submission itself is already safe
            log.error("could not queue receipt %s: %s", name, error)
            return None
        self._jobs.append(job.job_id)
        return job
