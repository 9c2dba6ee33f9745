"""说事日程: the next 说事日, the next 议事会, today's 值班 and the hall's 说事热线, one row
each (kiosk.board_flow fills it from the last pulled schedule). A row too long for its
place is cut short on the screen; all of it is read aloud."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from kivy.app import App
from kivy.clock import Clock
from kivy.properties import StringProperty
from kivy.uix.screenmanager import Screen
from kivy.utils import escape_markup

from kiosk.board import text_pages
from kiosk.screens import load_kv
from kiosk.session import MESSAGES

ROWS = 4
LINE_HEIGHT = 1.25
"""A line of row text as a share of its font size (Kivy draws CJK lines about 1.2 high)."""


@dataclass(frozen=True)
class ScheduleRow:
    label: str
    shown: str
    """What the row shows after its label."""
    said: str
    """What is read aloud for it."""


class ScheduleScreen(Screen):
    age = StringProperty("")

    def __init__(self, **kwargs: Any) -> None:
        super().__init__(**kwargs)
        self._rows: list[ScheduleRow] = []
        self._fit_soon = Clock.create_trigger(lambda _dt: self._fit(), -1)
        for n in range(ROWS):
            self.ids[f"row{n}"].fbind("size", self._fit_soon)

    def show(self, rows: list[ScheduleRow], age: str) -> None:
        self.age = age
        self._rows = rows[:ROWS]
        self._fit()

    def shown(self) -> list[str]:
        """The rows' texts as shown (markup and all)."""
        return [self.ids[f"row{n}"].text for n in range(ROWS)]

    def prompt(self) -> list[str]:
        said = []
        if self.age:
            never = MESSAGES["board_never_pulled"]
            said.append(never if self.age + "。" == never else f"{self.age}。")
        return [*said, *(row.said for row in self._rows)]

    def _fit(self) -> None:
        font = App.get_running_app().sizing.small_font
        for n in range(ROWS):
            label = self.ids[f"row{n}"]
            if n >= len(self._rows):
                label.text = ""
                continue
            row = self._rows[n]
            per_line = max(1, int((label.width - 2 * label.pad) // font))
            lines = max(1, int((label.height - label.pad) // (font * LINE_HEIGHT)))
            room = max(1, per_line * lines - len(row.label) - 3)
            pages = text_pages(row.shown, room)
            shown = pages[0] + ("……" if len(pages) > 1 else "")
            label.text = f"[b]{escape_markup(row.label)}[/b]：{escape_markup(shown)}"


load_kv("schedule")
