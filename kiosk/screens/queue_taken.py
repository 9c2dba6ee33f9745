"""叫号: the number just taken, shown big and said, with how many wait before it; home again
by itself after a short while."""

from __future__ import annotations

from kivy.app import App
from kivy.clock import Clock, ClockEvent
from kivy.properties import StringProperty
from kivy.uix.screenmanager import Screen

from kiosk.screens import load_kv

load_kv("queue_taken")

SHOWN_SECONDS = 20.0
"""Long enough to hear it twice; the slip holds the number after that."""


class QueueTakenScreen(Screen):
    label = StringProperty("")
    message = StringProperty("")
    said = StringProperty("")
    _home: ClockEvent | None = None

    def show(self, label: str, message: str, said: str) -> None:
        self.label, self.message, self.said = label, message, said

    def prompt(self) -> list[str]:
        return [self.said] if self.said else []

    def on_enter(self, *_args: object) -> None:
        self._home = Clock.schedule_once(self._back_home, SHOWN_SECONDS)

    def on_leave(self, *_args: object) -> None:
        if self._home is not None:
            self._home.cancel()
            self._home = None

    def _back_home(self, _dt: float) -> None:
        app = App.get_running_app()
        if app is not None and app.root.current == self.name:
            app.go("home")

    def clear(self) -> None:
        self.label = self.message = self.said = ""
