"""The Kivy application: screens, navigation and hand-offs between worker threads and the UI."""

from __future__ import annotations

import logging
import sys
import threading
from collections.abc import Callable
from dataclasses import dataclass

from kivy.app import App
from kivy.clock import Clock
from kivy.uix.screenmanager import NoTransition, ScreenManager

from device.speech import SpeechService
from kiosk.config import Category
from kiosk.intake import NO_RECEIPT, Intake
from kiosk.lookup import StatusLookup, TicketView
from kiosk.screens.category import CategoryScreen
from kiosk.screens.confirm import ConfirmScreen
from kiosk.screens.done import DoneScreen
from kiosk.screens.home import HomeScreen
from kiosk.screens.lookup import LookupScreen
from kiosk.screens.phrase import PhraseScreen
from kiosk.screens.status import StatusScreen
from kiosk.session import (
    MESSAGES,
    OTHER,
    OTHER_DESCRIPTION,
    SCREEN_PROMPTS,
    ResidentSession,
    fixed_prompts,
    status_prompt,
)

log = logging.getLogger(__name__)


@dataclass
class KioskServices:
    intake: Intake
    lookup: StatusLookup
    speech: SpeechService
    categories: list[Category]
    hall_name: str
    hotline: str


class KioskApp(App):
    title = "说事厅"

    def __init__(self, services: KioskServices, on_started: Callable[[KioskApp], None] | None = None
                 ) -> None:
        super().__init__()
        self.services = services
        self.session = ResidentSession()
        self._on_started = on_started

    def build(self) -> ScreenManager:
        manager = ScreenManager(transition=NoTransition())
        home = HomeScreen(name="home")
        home.hall_name = self.services.hall_name
        home.hotline = self.services.hotline
        category = CategoryScreen(name="category")
        category.show_categories([c.name for c in self.services.categories])
        for screen in (home, category, PhraseScreen(name="phrase"), ConfirmScreen(name="confirm"),
                       DoneScreen(name="done"), LookupScreen(name="lookup"),
                       StatusScreen(name="status")):
            manager.add_widget(screen)
        return manager

    def on_start(self) -> None:
        # Fixed prompts are rendered into the cache in the speech worker's idle time (only
        # the first start, or after a settings change, has anything to do); stale ones go.
        self.services.speech.prepare(fixed_prompts(NO_RECEIPT), prune=True)
        self.go("home")
        if self._on_started is not None:
            self._on_started(self)

    def on_stop(self) -> None:
        self.services.speech.stop()

    def go(self, name: str) -> None:
        self.root.current = name
        self.services.speech.stop()  # a new screen interrupts the old screen's prompt
        prompt = SCREEN_PROMPTS.get(name)
        if prompt:
            self.services.speech.say(prompt)

    def replay(self) -> None:
        """再听一遍: say the current screen's prompt or announcement again."""
        self.services.speech.replay()

    def start_saying(self) -> None:
        self.session.reset()
        self.go("category")

    def choose_category(self, name: str) -> None:
        self.session.category = name
        if name == OTHER:
            self.choose_phrase(OTHER)
            return
        phrases = next(c.phrases for c in self.services.categories if c.name == name)
        self.root.get_screen("phrase").show_phrases(name, phrases)
        self.go("phrase")

    def choose_phrase(self, phrase: str) -> None:
        self.session.description = OTHER_DESCRIPTION if phrase == OTHER else phrase
        confirm = self.root.get_screen("confirm")
        confirm.category = self.session.category
        confirm.description = self.session.description
        confirm.busy = False
        self.go("confirm")

    def submit(self) -> None:
        confirm: ConfirmScreen = self.root.get_screen("confirm")
        if confirm.busy:
            return
        confirm.busy = True
        self.services.speech.stop()
        self.services.speech.chime()  # intake then says the ticket number after it
        # Stored durably here, before the done screen or the receipt; a SQLite commit is
        # milliseconds, so it stays on the UI thread and the order is plain to see.
        stored = self.services.intake.submit(self.session.draft())
        print(f"SUBMITTED {stored.ticket}", flush=True)
        self.session.reset()
        done: DoneScreen = self.root.get_screen("done")
        printable = self.services.intake.printer_report.state.can_print
        done.show_ticket(stored.ticket, "请取走回执，凭号码或扫码查询进度" if printable
                         else "打印机暂时不能出回执，请记下上面的号码，或找工作人员补打")
        self.root.current = "done"

    def look_up(self, ticket: str) -> None:
        def work() -> None:
            view = self.services.lookup.find(ticket)
            Clock.schedule_once(lambda _dt: self._show_lookup(ticket, view))

        threading.Thread(target=work, name="lookup", daemon=True).start()

    def _show_lookup(self, ticket: str, view: TicketView | None) -> None:
        speech = self.services.speech
        speech.stop()
        if view is None:
            self.root.get_screen("lookup").message = "没有找到这个号码，请咨询工作人员"
            speech.say(MESSAGES["not_found"])
            return
        status: StatusScreen = self.root.get_screen("status")
        status.show_status(view.ticket, view.category, view.step, view.note)
        self.root.current = "status"
        speech.announce(status_prompt(view.step))  # cached: one per step
        if view.note:
            speech.say(view.note)  # staff's note: synthesised now
        print(f"STATUS {view.ticket} {view.step.value}", file=sys.stdout, flush=True)
