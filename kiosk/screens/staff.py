"""Staff screens: the PIN keypad, the menu, the reprint keypad and a paged information page.
None of them says anything aloud (prompt() is empty, every key's ``spoken`` is "")."""

from __future__ import annotations

from collections.abc import Callable

from kivy.app import App
from kivy.graphics import Color, Ellipse
from kivy.properties import BooleanProperty, NumericProperty, StringProperty
from kivy.uix.screenmanager import Screen
from kivy.uix.widget import Widget

from kiosk.screens import load_kv

load_kv("staff")

MAX_DIGITS = 12
LINES_PER_PAGE = 3
DOT_MM = 7.0


class PinDots(Widget):
    """One drawn dot per digit typed: big enough to count, and no text to read out."""

    count = NumericProperty(0)

    def __init__(self, **kwargs: object) -> None:
        super().__init__(**kwargs)
        self.bind(count=self._draw, size=self._draw, pos=self._draw)

    def _draw(self, *_args: object) -> None:
        side = App.get_running_app().sizing.px_per_mm * DOT_MM
        step = side * 1.6
        left = self.center_x - step * (int(self.count) - 1) / 2 - side / 2
        self.canvas.clear()
        with self.canvas:
            Color(1, 1, 1, 1)
            for i in range(int(self.count)):
                Ellipse(pos=(left + i * step, self.center_y - side / 2), size=(side, side))


class _Silent(Screen):
    def prompt(self) -> list[str]:
        return []


class _Keypad(_Silent):
    """Digits typed on a two-row keypad; 确定 hands them on."""

    message = StringProperty("")
    typed = StringProperty("")

    def key(self, digit: str) -> None:
        if len(self.typed) < MAX_DIGITS:
            self.typed += digit

    def rub_out(self) -> None:
        self.typed = self.typed[:-1]

    def reset(self, message: str) -> None:
        self.message = message
        self.typed = ""

    def clear(self) -> None:
        self.reset("")

    def enter(self) -> None:
        raise NotImplementedError


class StaffPinScreen(_Keypad):
    """The PIN as dots; never spoken, never logged."""

    def enter(self) -> None:
        pin, self.typed = self.typed, ""
        if pin:
            App.get_running_app().staff_pin_entered(pin)


class StaffReprintScreen(_Keypad):
    """补打回执: the ticket number on a keypad."""

    def enter(self) -> None:
        if self.typed:
            App.get_running_app().staff_reprint(self.typed)


class StaffMenuScreen(_Silent):
    muted = BooleanProperty(False)


class StaffInfoScreen(_Silent):
    """A title, a few lines a page, and perhaps one action (打印测试页)."""

    title = StringProperty("")
    body = StringProperty("")
    action_text = StringProperty("")
    page = NumericProperty(0)
    pages = NumericProperty(1)

    def __init__(self, **kwargs: object) -> None:
        super().__init__(**kwargs)
        self._lines: list[str] = []
        self._action: Callable[[], None] | None = None

    def show(self, title: str, lines: list[str],
             action: tuple[str, Callable[[], None]] | None) -> None:
        self.title = title
        self._lines = lines
        self.action_text, self._action = action if action else ("", None)
        self.pages = max(1, -(-len(lines) // LINES_PER_PAGE))
        self.turn(-self.page)

    def turn(self, by: int) -> None:
        self.page = min(max(0, int(self.page) + by), int(self.pages) - 1)
        start = int(self.page) * LINES_PER_PAGE
        self.body = "\n".join(self._lines[start:start + LINES_PER_PAGE])

    def act(self) -> None:
        if self._action is not None:
            self._action()

    def clear(self) -> None:
        self._lines, self._action, self.body, self.action_text = [], None, "", ""
