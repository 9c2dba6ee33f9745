"""What happens on 提交: store first, then print and speak, never losing the submission."""

from __future__ import annotations

import logging
import threading
from dataclasses import dataclass

from device.printer import Printer, PrintOutcome
from device.speech import SpeechService, speech_text_for_ticket
from kiosk.receipt import submission_receipt
from sync.store import Store, StoredSubmission, SubmissionDraft
from sync.ticket import group

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class HallInfo:
    community: str
    name: str
    hotline: str
    kiosk_code: str


class Intake:
    """Takes a resident's submission down: durable commit, receipt, spoken confirmation."""

    def __init__(
        self, store: Store, printer: Printer, speech: SpeechService, hall: HallInfo
    ) -> None:
        self.store = store
        self.printer = printer
        self.speech = speech
        self.hall = hall
        self.last_print: PrintOutcome | None = None
        self._print_threads: list[threading.Thread] = []

    def submit(self, draft: SubmissionDraft) -> StoredSubmission:
        """Commit durably, then print and speak in the background; returns the stored record."""
        stored = self.store.record_submission(draft, self.hall.kiosk_code)
        thread = threading.Thread(target=self._print, args=(stored,), name="receipt", daemon=True)
        self._print_threads.append(thread)
        thread.start()
        self.speech.say(
            f"提交成功。您的回执号码是：{speech_text_for_ticket(group(stored.ticket))}。"
            "请取走回执，凭号码查询进度。"
        )
        return stored

    def reprint(self, ticket: str) -> PrintOutcome | None:
        stored = self.store.find_by_ticket(ticket)
        return self._print(stored) if stored else None

    def wait_printed(self, timeout: float) -> bool:
        for thread in self._print_threads:
            thread.join(timeout)
        return not any(t.is_alive() for t in self._print_threads)

    def _print(self, stored: StoredSubmission) -> PrintOutcome:
        layout = submission_receipt(
            stored, community=self.hall.community, hall=self.hall.name, hotline=self.hall.hotline
        )
        outcome = self.printer.print_receipt(layout, job_name=f"receipt-{stored.ticket}")
        if not outcome.ok:
            log.warning("receipt for a submission was not printed: %s", outcome.detail)
        self.last_print = outcome
        return outcome
