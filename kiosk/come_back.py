"""Coming back to the hall: a scanned receipt, the whole story of a ticket, and 评事."""

from __future__ import annotations

from typing import Any

from kiosk.receipt_code import ticket_from_scan
from kiosk.session import MESSAGES


class ComeBackFlow:
    """KioskApp's part for 查事 and 评事. ``self`` is the KioskApp."""

    root: Any
    idle: Any

    def scanned(self, payload: str) -> None:
        """A code from the scanner (on the UI thread): a receipt opens its ticket's status from
        any screen; anything else is refused aloud and the screen stays as it was."""
        self.idle.touched()  # someone is at the scanner
        ticket = ticket_from_scan(payload)
        if ticket is None:
            self.speak_screen(MESSAGES["not_a_receipt"])
            print("SCAN REFUSED", flush=True)
            return
        lookup = self.root.get_screen("lookup")
        lookup.clear()
        lookup.digits = ticket
        self.root.current = "lookup"  # not go(): its prompt would ask for the number
        self.look_up(ticket)
        print(f"SCAN {ticket}", flush=True)

    # ---- provided by the app ----

    def speak_screen(self, *texts: str) -> None:
        raise NotImplementedError

    def look_up(self, ticket: str) -> None:
        raise NotImplementedError
