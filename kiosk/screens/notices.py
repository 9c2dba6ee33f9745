"""公示栏: one notice a page, newest first; a long text is paged further (上一页/下一页 beside
it), 上一条/下一条 go through the notices, 打印这条 prints a copy (kiosk.board_flow)."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from kivy.app import App
from kivy.clock import Clock
from kivy.factory import Factory
from kivy.properties import BooleanProperty, NumericProperty, StringProperty
from kivy.uix.boxlayout import BoxLayout
from kivy.uix.screenmanager import Screen

from kiosk.board import Notice, month_day, notice_said, text_pages
from kiosk.screens import load_kv
from kiosk.session import MESSAGES
from kiosk.widgets import BigButton

LINE_HEIGHT = 1.3
"""A line of body text as a share of its font size, with room to spare (see kiosk.choices)."""


class TurnButtons(BoxLayout):
    """Two buttons that go back and on (上一条/下一条), each there only when there is
    somewhere to go; as wide as the bar's other buttons each, or nothing at all."""

    back_label = StringProperty("上一条")
    next_label = StringProperty("下一条")
    can_back = BooleanProperty(False)
    can_on = BooleanProperty(False)

    def __init__(self, **kwargs: Any) -> None:
        super().__init__(**kwargs)
        self.turn: Callable[[int], None] = lambda _step: None
        for name in ("can_back", "can_on", "back_label", "next_label", "parent", "orientation"):
            self.fbind(name, self._rebuild)
        self._rebuild()

    def _rebuild(self, *_args: object) -> None:
        self.clear_widgets()
        for text, step, present in ((self.back_label, -1, self.can_back),
                                    (self.next_label, 1, self.can_on)):
            if present:
                button = BigButton(text=text)
                button.bind(on_release=lambda _b, s=step: self.turn(s))
                self.add_widget(button)
        count = len(self.children)
        if self.orientation == "horizontal":
            self.spacing = self.parent.spacing if self.parent else 0
            self.size_hint_x = count if count else None
            if not count:
                self.width = 0
        else:
            self.size_hint_x, self.size_hint_y = 1, None
            sizing = App.get_running_app().sizing
            self.spacing = sizing.gap
            self.height = count * sizing.target + max(0, count - 1) * sizing.gap


class NoticesScreen(Screen):
    meta = StringProperty("")
    """Kind, date and which notice of how many, above the title."""
    title = StringProperty("")
    page_text = StringProperty("")
    age = StringProperty("")
    """How old the information is ("" when it is fresh)."""
    index = NumericProperty(0)
    page = NumericProperty(0)

    def __init__(self, **kwargs: Any) -> None:
        super().__init__(**kwargs)
        self.notices: list[Notice] = []
        self._pages: list[str] = [""]
        self._print: Callable[[], None] = lambda: None
        self._turned: Callable[[], None] = lambda: None
        self._repage_soon = Clock.create_trigger(lambda _dt: self._repage(), -1)
        self.ids.body_box.fbind("size", self._repage_soon)
        self.ids.turns.turn = self.turn_notice
        self.ids.pages.turn = self.turn_page
        self._print_button = Factory.GoButton(text="打印这条", size_hint_y=None)
        sizing = App.get_running_app().sizing
        self._print_button.height = sizing.target
        sizing.fbind("target", lambda _s, target: setattr(self._print_button, "height", target))
        self._print_button.bind(on_release=lambda _b: self._print())

    def show(self, notices: list[Notice], age: str, *, on_print: Callable[[], None],
             on_turn: Callable[[], None]) -> None:
        """``notices`` newest first; ``on_turn`` after a turn (the app says the new page)."""
        self.notices = notices
        self.age = age
        self._print = on_print
        self._turned = on_turn
        self.index = 0
        self._show_notice()

    def current(self) -> Notice | None:
        return self.notices[int(self.index)] if self.notices else None

    def turn_notice(self, step: int) -> None:
        index = min(max(0, int(self.index) + step), len(self.notices) - 1)
        if self.notices and index != self.index:
            self.index = index
            self._show_notice()
            self._turned()

    def turn_page(self, step: int) -> None:
        page = min(max(0, int(self.page) + step), len(self._pages) - 1)
        if page != self.page:
            self.page = page
            self._show_page()
            self._turned()

    def prompt(self) -> list[str]:
        """How old (when it is old), then the notice shown: which of how many and all of it
        when a notice is opened; the page's text when a long one is paged."""
        self._repage()
        said = [self._age_said()] if self.age else []
        notice = self.current()
        if notice is None:
            return [*said, MESSAGES["board_no_notices"]]
        if self.page > 0:
            return [MESSAGES["page"].format(page=int(self.page) + 1, pages=len(self._pages)),
                    self._pages[int(self.page)]]
        if len(self.notices) > 1:
            said.append(f"第{int(self.index) + 1}条，共{len(self.notices)}条。")
        said.append(notice_said(notice))
        if len(self._pages) > 1:
            said.append(MESSAGES["board_notice_more"])
        if len(self.notices) > 1:
            said.append(MESSAGES["board_notice_choices"])
        return said

    def _age_said(self) -> str:
        never = self.age + "。" == MESSAGES["board_never_pulled"]
        return MESSAGES["board_never_pulled"] if never else f"{self.age}。"

    def _show_notice(self) -> None:
        notice = self.current()
        self.page = 0
        self.ids.turns.can_back = self.index > 0
        self.ids.turns.can_on = self.index < len(self.notices) - 1
        side = self.ids.side
        if notice is None:
            self.meta, self.title = "", "暂时没有公示"
            if self._print_button.parent is not None:
                side.remove_widget(self._print_button)
        else:
            when = month_day(notice.published_on) if notice.published_on else ""
            which = f"第{int(self.index) + 1}条/共{len(self.notices)}条" \
                if len(self.notices) > 1 else ""
            self.meta = "　".join(part for part in (notice.type_label, when, which) if part)
            self.title = notice.title
            if self._print_button.parent is None:
                side.add_widget(self._print_button, index=len(side.children))
        self._repage()

    def _per_page(self) -> int:
        """Characters of body text a page holds at the body's size (Han characters are
        about one font size wide)."""
        box, pad = self.ids.body_box, self.ids.body.pad
        font = App.get_running_app().sizing.small_font
        per_line = max(1, int((box.width - 2 * pad) // font))
        lines = max(1, int((box.height - pad) // (font * LINE_HEIGHT)))
        return per_line * lines

    def _repage(self) -> None:
        notice = self.current()
        text = notice.text if notice is not None else ""
        pages = text_pages(text, self._per_page()) if self.ids.body_box.height > 1 else [text]
        if pages != self._pages:
            self._pages = pages
            self.page = min(int(self.page), len(pages) - 1)
        self._show_page()

    def _show_page(self) -> None:
        self.page_text = self._pages[int(self.page)]
        self.ids.pages.can_back = self.page > 0
        self.ids.pages.can_on = self.page < len(self._pages) - 1


load_kv("notices")
