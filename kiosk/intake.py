"""What happens on 提交: store first, then queue the receipt and speak; nothing is lost.

The receipt goes into the on-disk print queue right after the commit and the printer
worker prints it in the background, so a slow, offline or paperless printer never holds
up the screen, and the resident always sees and hears the ticket number.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime
from typing import TYPE_CHECKING

from kiosk.session import MESSAGES
from sync.contract.ticket import group

if TYPE_CHECKING:  # the printer, speech and store packages load after the first frame
    from device.printer import PrinterReport, PrintJob, PrintWorker
    from device.speech import SpeechService
    from kiosk.receipt import HallText
    from sync.store import Store, StoredSubmission, SubmissionDraft

log = logging.getLogger(__name__)

NO_RECEIPT = MESSAGES["no_receipt"]


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
        """Commit durably, queue the receipt, speak the number; returns at once."""
        from device.speech import speech_text_for_ticket

        stored = self.store.record_submission(draft, self.hall.kiosk_code)
        queued = self._queue(stored, reprinted_at=None) is not None
        # Only the digits are synthesised now; the sentences around them come from the cache.
        said = [MESSAGES["submitted"], f"{speech_text_for_ticket(group(stored.ticket))}。",
                MESSAGES["take_receipt"]]
        if not queued or not self.printer.report.state.can_print:
            said.append(NO_RECEIPT)
        for text in said:
            self.speech.say(text)
        self.last_announcement = said
        return stored

    def reprint(self, ticket: str) -> PrintJob | None:
        """Queue a 补打 receipt for ``ticket``; None if this kiosk does not know it."""
        stored = self.store.find_by_ticket(ticket)
        if stored is None:
            return None
        job = self._queue(stored, reprinted_at=datetime.now().astimezone())
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
        name = f"{'reprint' if reprinted_at else 'receipt'}-{stored.ticket}"
        try:
            job = self.printer.submit(name, layout, label=stored.ticket)
        except OSError as error:  # disk trouble: the submission itself is already safe
            log.error("could not queue receipt %s: %s", name, error)
            return None
        self._jobs.append(job.job_id)
        return job
