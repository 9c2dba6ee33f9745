"""A grid of big choice buttons that pages instead of squeezing: as many as fit at full
size are shown, and 上一页/下一页 (on the screen's button bar) turn the page."""

from __future__ import annotations

import math
from collections.abc import Callable, Sequence

from kivy.app import App
from kivy.clock import Clock
from kivy.properties import BooleanProperty, NumericProperty, ObjectProperty
from kivy.uix.boxlayout import BoxLayout
from kivy.uix.gridlayout import GridLayout

from kiosk.session import MOST_CHOICES_NAMED
from kiosk.widgets import BigButton

LINE_HEIGHT = 1.2
"""A line of label text, as a share of the font size (Kivy's line height for CJK fonts)."""


class ChoicePages(GridLayout):
    """Shows ``choices`` a page at a time; ``on_choice(text)`` when one is tapped.

    A cell is never narrower than ``min_chars`` characters of label text nor lower than two
    lines of it; columns are at most ``max_cols``; a page has at most as many choices as the
    screen names aloud.
    """

    page = NumericProperty(0)
    pages = NumericProperty(1)
    has_previous = BooleanProperty(False)
    has_next = BooleanProperty(False)
    min_chars = NumericProperty(4)
    max_cols = NumericProperty(3)

    def __init__(self, **kwargs: object) -> None:
        super().__init__(**kwargs)
        self._choices: list[str] = []
        self._on_choice: Callable[[str], None] = lambda _text: None
        self._on_page: Callable[[], None] = lambda: None
        self._relayout = Clock.create_trigger(self._lay_out, -1)
        self.fbind("size", self._relayout)
        self.fbind("min_chars", self._relayout)
        App.get_running_app().sizing.fbind("main_font", self._relayout)

    def show(self, choices: Sequence[str], on_choice: Callable[[str], None],
             on_page: Callable[[], None] | None = None) -> None:
        self._choices = list(choices)
        self._on_choice = on_choice
        self._on_page = on_page or (lambda: None)
        self.page = 0
        self._lay_out()

    def shown(self) -> list[str]:
        """The choices on the current page."""
        per_page = self._per_page()
        return self._choices[self.page * per_page:(self.page + 1) * per_page]

    def turn(self, step: int) -> None:
        """Next (+1) or previous (-1) page."""
        page = min(max(0, self.page + step), self.pages - 1)
        if page != self.page:
            self.page = page
            self._lay_out()
            self._on_page()

    def _grid(self) -> tuple[int, int]:
        sizing = App.get_running_app().sizing
        font, gap = sizing.main_font, sizing.gap
        cell_w = self.min_chars * font + 2 * gap
        cell_h = max(sizing.target, 2 * LINE_HEIGHT * font + gap)
        cols = max(1, min(int(self.max_cols), int((self.width + gap) // (cell_w + gap))))
        rows = max(1, int((self.height + gap) // (cell_h + gap)))
        return cols, rows

    def _per_page(self) -> int:
        cols, rows = self._grid()
        return min(cols * rows, MOST_CHOICES_NAMED)

    def _lay_out(self, *_args: object) -> None:
        cols, _rows = self._grid()
        per_page = self._per_page()
        self.pages = max(1, math.ceil(len(self._choices) / per_page))
        self.page = min(self.page, self.pages - 1)
        shown = self.shown()
        self.cols = min(cols, max(1, len(shown)))
        self.spacing = App.get_running_app().sizing.gap
        self.has_previous = self.page > 0
        self.has_next = self.page < self.pages - 1
        self.clear_widgets()
        for text in shown:
            button = BigButton(text=text)
            button.bind(on_release=lambda b: self._on_choice(b.text))
            self.add_widget(button)


class PageButtons(BoxLayout):
    """上一页 / 下一页 for ``pager``, each there only when there is a page that way."""

    pager = ObjectProperty(None, allownone=True)

    def __init__(self, **kwargs: object) -> None:
        super().__init__(**kwargs)
        self.fbind("pager", self._watch)

    def _watch(self, *_args: object) -> None:
        if self.pager is not None:
            self.pager.fbind("has_previous", self._rebuild)
            self.pager.fbind("has_next", self._rebuild)
            self._rebuild()

    def _rebuild(self, *_args: object) -> None:
        self.clear_widgets()
        wanted = [("上一页", -1, self.pager.has_previous), ("下一页", 1, self.pager.has_next)]
        for text, step, present in wanted:
            if present:
                button = BigButton(text=text)
                button.bind(on_release=lambda _b, s=step: self.pager.turn(s))
                self.add_widget(button)
        # as wide as the bar's other buttons each, or nothing at all
        count = len(self.children)
        self.spacing = self.parent.spacing if self.parent else 0
        self.size_hint_x = count if count else None
        if not count:
            self.width = 0
