"""查事: the story of a ticket a page at a time; 上一页/下一页, and 我要评价 on the last page
once the issue has reached 办事."""

from __future__ import annotations

from typing import Any

from kivy.app import App
from kivy.core.text import Label as CoreLabel
from kivy.core.window import Window
from kivy.properties import BooleanProperty, NumericProperty
from kivy.uix.boxlayout import BoxLayout
from kivy.uix.gridlayout import GridLayout
from kivy.uix.screenmanager import Screen
from kivy.uix.widget import Widget

from kiosk.evaluation import may_be_rated
from kiosk.rate_choices import RATE
from kiosk.screens import load_kv
from kiosk.story import (
    Block,
    StepCell,
    StoryPage,
    TextKind,
    page_said,
    paginate,
    story_sections,
)
from kiosk.widgets import (
    GO,
    QUIET,
    REPLAY,
    STEP_AHEAD,
    STEP_CURRENT,
    STEP_PASSED,
    BigButton,
    FitLabel,
    StepLabel,
)
from sync.contract.protocol import TicketStatus

load_kv("status")

PREVIOUS, NEXT, HOME, REPLAY_LABEL = "上一页", "下一页", "返回首页", "再听一遍"


class StatusScreen(Screen):
    page = NumericProperty(0)
    pages = NumericProperty(1)
    ratable = BooleanProperty(False)

    def __init__(self, **kwargs: Any) -> None:
        super().__init__(**kwargs)
        self.view: TicketStatus | None = None
        self.via_support = False
        self._pages: list[StoryPage] = []

    def show_story(self, view: TicketStatus, *, via_support: bool = False) -> None:
        """The story of ``view`` from its first page, paged for this panel and text size."""
        self.view, self.via_support = view, via_support
        self.ratable = may_be_rated(view)
        sizing = App.get_running_app().sizing
        gap = sizing.gap
        width = Window.width - 2 * gap
        # the body's height (the screen less padding, title, bar and the gaps between
        # them), less the spacing before the filler under the blocks
        room = (Window.height - 4 * gap - sizing.title_font * 1.4 - sizing.target - gap * 0.5)
        self._pages = paginate(story_sections(view, via_support=via_support),
                               lambda text, kind: _height(text, kind, width), room, gap * 0.5)
        self.pages = len(self._pages)
        self.page = 0
        self._show_page()

    def turn(self, step: int) -> None:
        page = min(max(0, self.page + step), self.pages - 1)
        if page != self.page:
            self.page = page
            self._show_page()

    def prompt(self) -> list[str]:
        """What this page says (the app asks when the screen is shown or a page turned)."""
        if not self._pages:
            return []
        return page_said(self._pages[self.page], self.page, self.pages, ratable=self.ratable)

    def clear(self) -> None:
        """Forget the ticket shown, so the next resident never sees it."""
        self.view, self.via_support, self._pages = None, False, []
        self.page, self.pages, self.ratable = 0, 1, False
        self.ids.title.text = ""
        self.ids.body.clear_widgets()
        self.ids.bar.clear_widgets()

    def _show_page(self) -> None:
        shown = self._pages[self.page]
        self.ids.title.text = shown.title
        body = self.ids.body
        body.clear_widgets()
        if shown.steps:
            body.add_widget(_steps_grid(shown.steps))
        else:
            for block in shown.blocks:
                body.add_widget(_block_label(block))
            body.add_widget(Widget())  # the blocks at the top, the room left below them
        self._fill_bar()

    def _fill_bar(self) -> None:
        app = App.get_running_app()
        bar = self.ids.bar
        bar.clear_widgets()
        last = self.page >= self.pages - 1
        if self.page > 0:
            bar.add_widget(_button(PREVIOUS, lambda: app.story_page(-1)))
        if not last:
            bar.add_widget(_button(NEXT, lambda: app.story_page(1)))
        elif self.ratable:
            bar.add_widget(_button(RATE, app.start_rating, colour=GO))
        bar.add_widget(_button(HOME, lambda: app.go("home"), colour=QUIET))
        replay = _button(REPLAY_LABEL, app.replay, colour=REPLAY, spoken="")
        replay.color = replay.disabled_color = (0, 0, 0, 1)
        bar.add_widget(replay)


def _height(text: str, kind: TextKind, width: float) -> float:
    """How tall a FitLabel of ``kind`` must be for ``text`` at ``width``, wrapped."""
    sizing = App.get_running_app().sizing
    font, _least = sizing.fonts_for(kind)
    pad = float(sizing.gap) * 0.5
    label = CoreLabel(text=text, font_size=font, text_size=(max(1.0, width - 2 * pad), None))
    label.refresh()
    height: float = label.texture.size[1]
    return height + pad + 2


def _block_label(block: Block) -> FitLabel:
    sizing = App.get_running_app().sizing
    gap = sizing.gap
    width = Window.width - 2 * gap
    label = FitLabel(text=block.text, kind=block.kind, size_hint_y=None,
                     height=_height(block.text, block.kind, width),
                     halign="left" if block.left else "center")
    return label


def _steps_grid(cells: tuple[StepCell, ...]) -> GridLayout:
    """The six steps, three a row: passed ones with their date, the current one filled and
    marked 当前, those ahead marked 未到 (told apart by words and fill, not colour alone)."""
    gap = App.get_running_app().sizing.gap
    grid = GridLayout(cols=3, spacing=gap)
    for cell in cells:
        box = BoxLayout(orientation="vertical")
        if cell.state == "current":
            name: FitLabel = StepLabel(text=cell.label, fill=STEP_CURRENT, color=(0, 0, 0, 1),
                                       bold=True, size_hint_y=0.58)
            line: FitLabel = StepLabel(text=cell.line, fill=STEP_CURRENT, color=(0, 0, 0, 1),
                                       kind="small", bold=True, size_hint_y=0.42)
        else:
            colour = STEP_PASSED if cell.state == "passed" else STEP_AHEAD
            name = FitLabel(text=cell.label, color=colour, size_hint_y=0.58,
                            bold=cell.state == "passed")
            line = FitLabel(text=cell.line, color=colour, kind="small", size_hint_y=0.42)
        box.add_widget(name)
        box.add_widget(line)
        grid.add_widget(box)
    return grid


def _button(text: str, action: Any, *, colour: tuple[float, ...] | None = None,
            spoken: str | None = None) -> BigButton:
    # as wide as its label needs, so 再听一遍 fits beside three others on 800 px
    button = BigButton(text=text, spoken=spoken, size_hint_x=len(text) + 1)
    if colour is not None:
        button.background_color = colour
    button.bind(on_release=lambda _b: action())
    return button
