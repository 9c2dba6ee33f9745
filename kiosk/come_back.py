"""Coming back to the hall: a scanned receipt, the whole story of a ticket, and 评事."""

from __future__ import annotations

import threading
from typing import TYPE_CHECKING, Any

from kivy.clock import Clock

from kiosk.receipt_code import ticket_from_scan
from kiosk.session import MESSAGES
from kiosk.staff_mode import STAFF_SCREENS

if TYPE_CHECKING:
    from kiosk.lookup import LookupResult
    from kiosk.services import KioskServices
    from sync.contract.protocol import RatingScore


class ComeBackFlow:
    """KioskApp's part for 查事 and 评事. ``self`` is the KioskApp."""

    root: Any
    idle: Any
    services: KioskServices
    _lookup_token: int
    _echo: str | None
    _last_said: list[str]

    def scanned(self, payload: str) -> None:
        """A code from the scanner (on the UI thread): a receipt opens its ticket's status from
        any screen; anything else is refused aloud and the screen stays as it was."""
        self.idle.touched()  # someone is at the scanner
        ticket = ticket_from_scan(payload)
        if self.root.current in STAFF_SCREENS:  # staff at the scanner: 补打
            self.staff_scanned(ticket)
            return
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

    # ---- 查事 ----

    def look_up(self, ticket: str) -> None:
        self._lookup_token += 1
        token = self._lookup_token
        self.speak_screen(MESSAGES["searching"])

        def work() -> None:
            result = self.services.lookup.look_up(ticket)
            Clock.schedule_once(lambda _dt: self._show_lookup(token, result))

        threading.Thread(target=work, name="lookup", daemon=True).start()

    def _show_lookup(self, token: int, result: LookupResult) -> None:
        from kiosk.lookup import LookupOutcome

        if token != self._lookup_token or self.root.current != "lookup":
            return  # the resident has moved on: this answer is not theirs any more
        if result.outcome is LookupOutcome.UNREACHABLE or result.view is None:
            unreachable = result.outcome is LookupOutcome.UNREACHABLE
            # short enough for big type; what is said explains more (保存, 热线)
            self.root.get_screen("lookup").message = \
                "暂时连不上，请稍后再查" if unreachable else "没有找到这个号码"
            self.speak_screen(MESSAGES["unreachable" if unreachable else "not_found"])
            print(f"LOOKUP {result.outcome.name}", flush=True)
            return
        view = result.view
        status = self.root.get_screen("status")
        status.show_story(view, via_support=result.via_support is not None)
        self.root.current = "status"
        speech = self.services.speech
        speech.stop()
        speech.chime()
        self._echo = None
        self._last_said = status.prompt()
        for text in self._last_said:
            self._say(text)
        print(f"STATUS {view.ticket} {view.step.value} pages={status.pages}", flush=True)

    def story_page(self, step: int) -> None:
        """上一页 / 下一页 on the status screen: the page, then what it says."""
        self.root.get_screen("status").turn(step)
        self._page_turned()

    # ---- 评事 ----

    def start_rating(self) -> None:
        """我要评价 on the status screen: rate the ticket shown."""
        view = self.root.get_screen("status").view
        if view is None:
            return
        self.root.get_screen("rate").begin(view)
        self.go("rate")

    def choose_score(self, score: RatingScore) -> None:
        self.root.get_screen("rate").ask_reasons(score)
        self._page_turned()

    def toggle_reason(self, reason: str) -> None:
        chosen = self.root.get_screen("rate").toggle(reason)
        self.speak_screen(MESSAGES["rate_reason_on" if chosen else "rate_reason_off"])

    def back_from_rating(self) -> None:
        """返回 on the rating screen: from the reasons to the scores, from there to the story."""
        rate = self.root.get_screen("rate")
        if rate.stage == "reasons":
            rate.ask_score()
            self._page_turned()
        else:
            self.go("status")

    def send_rating(self, *, with_reasons: bool) -> None:
        """提交 (the reasons chosen) or 跳过 (none): stored for the outbox, then thanks —
        or why it was refused."""
        from kiosk.evaluation import RatingRefused

        rate = self.root.get_screen("rate")
        if rate.view is None or rate.score is None or rate.stage != "reasons":
            return  # a second tap after the first was answered
        reasons = rate.chosen_reasons() if with_reasons else []
        try:
            recorded = self.services.ratings.rate(rate.view, rate.score, reasons)
        except RatingRefused as refused:
            rate.refused(refused.message)
            print("RATING REFUSED", flush=True)
        else:
            rate.thanked(reasons, replaced=recorded.replaced)
            print(f"RATED {recorded.ticket} {rate.score}"
                  f"{' replaced' if recorded.replaced else ''}", flush=True)
        self._page_turned()

    # ---- provided by the app ----

    def speak_screen(self, *texts: str) -> None:
        raise NotImplementedError

    def go(self, name: str) -> None:
        raise NotImplementedError

    def _say(self, text: str) -> None:
        raise NotImplementedError

    if TYPE_CHECKING:  # StaffFlow's, later in KioskApp's bases than this class
        def staff_scanned(self, ticket: str | None) -> None: ...

    def _page_turned(self) -> None:
        raise NotImplementedError
