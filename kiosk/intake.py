"""What happens on 提交: check, store, then queue the receipt and speak; nothing is lost.

The draft is checked against the wire model first, so a draft the server would refuse is
never stored. The receipt goes into the on-disk print queue right after the commit and the
printer worker prints it in the background, so a slow, offline or paperless printer never
holds up the screen, and the resident always sees and hears the ticket number. When the
submission cannot be stored (a full disk, the database locked too long) ``SubmissionNotSaved``
says why in a sentence for the resident; nothing is half-stored and the draft is kept.
"""

from __future__ import annotations

import logging
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
    from sync.store import Store, StoredSubmission, StoredSupport, SubmissionDraft

log = logging.getLogger(__name__)
T = TypeVar("T")

NO_RECEIPT = MESSAGES["no_receipt"]
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
        self.last_announcement: list[str] = []
        """What the last ``submit`` said, for 再听一遍."""

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
            draft, self.hall.kiosk_code))
        self._announce("submitted", stored.ticket, self._queue(stored, None) is not None)
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
            issue, self.hall.kiosk_code, contact_name=contact_name, contact_phone=contact_phone))
        self._announce("supported", stored.support_ticket,
                       self._queue_support(stored, None) is not None)
        return stored

    def _announce(self, opening: str, ticket: str, queued: bool) -> None:
        from device.speech import speech_text_for_ticket

        # Only the digits are synthesised now; the sentences around them come from the cache.
        said = [MESSAGES[opening], f"{speech_text_for_ticket(group(ticket))}。",
                MESSAGES["take_receipt"]]
        if not queued or not self.printer.report.state.can_print:
            said.append(NO_RECEIPT)
        for text in said:
            self.speech.say(text)
        self.last_announcement = said

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
        """Queue a 补打 receipt for ``ticket``; None if this kiosk does not know it."""
        now = datetime.now().astimezone()
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

    def _queue(self, stored: StoredSubmission, reprinted_at: datetime | None) -> PrintJob | None:
        from kiosk.receipt import submission_receipt

        layout = submission_receipt(stored, self.hall.text, columns=self.printer.printer.profile
                                    .columns, reprinted_at=reprinted_at)
        return self._spool(layout, stored.ticket, reprinted_at)

    def _queue_support(self, stored: StoredSupport, reprinted_at: datetime | None
                       ) -> PrintJob | None:
        from kiosk.receipt import support_receipt

        layout = support_receipt(stored, self.hall.text, columns=self.printer.printer.profile
                                 .columns, reprinted_at=reprinted_at)
        return self._spool(layout, stored.support_ticket, reprinted_at)

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
