"""Writing in one's own words: a handwriting pad (手写) or a big pinyin keyboard (拼音).

The text written so far is shown big; the bar holds 返回, 再听一遍, the switch to the other
way of writing, 删除 and 好了. The recogniser and the word index open in a thread the first
time the screen is shown (kiosk.writing_tools); without handwriting the keyboard is used,
without the index the keyboard says it cannot offer words. The layout, in millimetres, is
in kiosk.screens.write_layout.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from typing import Any

from kivy.app import App
from kivy.properties import NumericProperty, StringProperty
from kivy.uix.boxlayout import BoxLayout
from kivy.uix.gridlayout import GridLayout
from kivy.uix.screenmanager import Screen

from kiosk.handwriting_pad import HandwritingPad
from kiosk.pinyin_keyboard import PinyinKeyboard
from kiosk.screens import load_kv
from kiosk.screens.write_layout import (
    HAND,
    PINYIN,
    WriteLayout,
)
from kiosk.session import SCREEN_PROMPTS
from kiosk.widgets import REPLAY, FitLabel
from kiosk.writing_tools import WritingTools

load_kv("write")

log = logging.getLogger(__name__)

PREPARING = "正在准备，请稍等"
NO_HANDWRITING = "手写暂时不能用，请用拼音打字"
NO_INDEX = "词库没有装好，暂时不能拼音打字"
FULL = "最多写{most}个字，已经写满了"
NO_NEXT = "词库没有装好，不能提示下一个字"
NO_TOOLS = "手写和词库都没有装好，请点返回"
LACKING = (NO_HANDWRITING, NO_INDEX, NO_TOOLS)
MOST_LETTERS = 24
MOST_CANDIDATES = 40


class WriteScreen(WriteLayout, Screen):
    title = StringProperty("")
    text = StringProperty("")
    mode = StringProperty(HAND)
    max_chars = NumericProperty(200)
    letters = StringProperty("")
    """Pinyin letters typed and not yet turned into a word."""
    notice = StringProperty("")

    def __init__(self, **kwargs: Any) -> None:
        super().__init__(**kwargs)
        self.tools = WritingTools()
        self._on_done: Callable[[str], None] = lambda _text: None
        self._candidates: list[tuple[str, int]] = []  # (word, letters it uses)
        self._page_start = 0
        self._page_end = 0
        self.pad = HandwritingPad()
        self.pad.bind(on_stroke=lambda _pad: self._refresh())
        self.keyboard = PinyinKeyboard(self._letter)
        self._display = FitLabel(markup=True)
        self._typed = FitLabel(kind="number", color=REPLAY)
        self._title_label = FitLabel(kind="small")
        self._body = BoxLayout(orientation="vertical")
        self.add_widget(self._body)
        self._laid_out_for: tuple[Any, ...] = ()
        self._compact = False
        self._cells: GridLayout | None = None
        self._cells_box: BoxLayout | None = None
        self._cell_size = (0.0, 0.0)
        self._row: BoxLayout | None = None
        self._row_size = (0.0, 0.0)
        self.bind(size=self._relayout, mode=self._relayout, text=self._show_text,
                  letters=self._show_text, title=self._show_text)

    # ---- the flow's side ----

    def begin(self, title: str, text: str, on_done: Callable[[str], None], *,
              mode: str = HAND, max_chars: int = 200) -> None:
        """Start writing ``text`` (what was written before, kept); ``on_done(text)`` on 好了."""
        self.title, self.text, self.max_chars = title, text[:max_chars], max_chars
        self._on_done = on_done
        self.letters, self.notice = "", ""
        self.pad.clear()
        self.mode = mode
        self._check_tools()
        self._relayout()  # 大字 may have come on since it was last laid out
        self.tools.open(self._tools_ready)
        self._refresh()

    def done(self) -> None:
        self._on_done(self.text)

    def prompt(self) -> list[str]:
        """What the screen says when it opens (the app asks): what is missing, if anything,
        then how to write in the mode shown."""
        said = [self.notice] if self.notice else []
        said.append(SCREEN_PROMPTS["write_pinyin" if self.mode == PINYIN else "write"])
        return said

    def _say_mode(self) -> None:
        if self.manager is not None and self.manager.current == self.name:
            App.get_running_app().speak_screen(*self.prompt())

    def _tools_ready(self) -> None:
        if self._check_tools():
            self._say_mode()
        self._refresh()

    def _check_tools(self) -> bool:
        """Once the tools are open: the keyboard if handwriting is missing, and a notice of
        what is missing; True when there is one to tell."""
        if not self.tools.ready.is_set():
            return False
        hand, words = self.tools.recogniser is not None, self.tools.index is not None
        asked_hand = self.mode == HAND
        if asked_hand and not hand:
            self.mode = PINYIN
        if not hand and not words:
            self.notice = NO_TOOLS
        elif asked_hand and not hand:
            self.notice = NO_HANDWRITING
        elif self.mode == PINYIN and not words:
            self.notice = NO_INDEX
        elif self.mode == HAND and not words:
            self.notice = NO_NEXT  # shown, not said: writing works, only the hints are gone
        elif self.notice == PREPARING:
            self.notice = ""
        return self.notice in LACKING

    # ---- what the buttons do ----

    def switch_mode(self) -> None:
        wanted = PINYIN if self.mode == HAND else HAND
        app = App.get_running_app()
        if wanted == HAND and self.tools.ready.is_set() and self.tools.recogniser is None:
            self.notice = NO_TOOLS if self.tools.index is None else NO_HANDWRITING
            app.speak_screen(self.notice)
            self._refresh()
            return
        self.letters, self.notice = "", ""
        self.pad.clear()
        self.mode = wanted
        self._check_tools()
        self._refresh()
        self._say_mode()

    def delete(self) -> None:
        """删除: the last letter typed, else the last character written."""
        if self.letters:
            self.letters = self.letters[:-1]
        elif self.text:
            self.text = self.text[:-1]
        if self.notice.startswith(FULL[:3]):
            self.notice = ""
        self._refresh()

    def rewrite(self) -> None:
        """重写: an empty pad for the same character."""
        self.pad.clear()
        self._refresh()

    def choose(self, word: str, consumed: int) -> None:
        """A candidate: appended (as much as the limit allows), the pad cleared."""
        room = int(self.max_chars) - len(self.text)
        if room <= 0:
            self._say_full()
            return
        self.text += word[:room]
        self.letters = self.letters[consumed:]
        self.pad.clear()
        if len(self.text) >= self.max_chars:
            self.notice = FULL.format(most=int(self.max_chars))
        self._refresh()

    def _say_full(self) -> None:
        self.notice = FULL.format(most=int(self.max_chars))
        App.get_running_app().speak_screen(self.notice)
        self._refresh()

    def _letter(self, letter: str) -> None:
        if len(self.letters) < MOST_LETTERS:
            self.letters += letter
        self._refresh()

    def next_page(self) -> None:
        self._page_start = self._page_end if self._page_end < len(self._candidates) else 0
        self._fill_candidates()

    # ---- candidates ----

    def _refresh(self) -> None:
        """Candidates for what is on the pad or typed; else the likely next characters."""
        tools = self.tools
        found: list[tuple[str, int]] = []
        if not tools.ready.is_set():
            if not self.notice:
                self.notice = PREPARING
        elif self.mode == HAND and tools.recogniser is not None and self.pad.stroke_count:
            found = [(c, 0) for c in tools.recogniser.candidates(
                self.pad.strokes(), self.pad.width, self.pad.height, limit=self._hand_cells())]
        elif self.mode == PINYIN and self.letters and tools.index is not None:
            found = [(c.word, c.consumed) for c in tools.index.pinyin(self.letters,
                                                                      MOST_CANDIDATES)]
        elif self.text and tools.index is not None:
            found = [(c, 0) for c in tools.index.next_chars(self.text, MOST_CANDIDATES)]
        if found and self.notice == PREPARING:
            self.notice = ""
        self._candidates = found
        self._page_start = 0
        self._fill_candidates()

    def _hand_cells(self) -> int:
        """How many candidates the grid shows (one cell is 重写's)."""
        grid = self._cells
        return max(1, grid.cols * grid.rows - 1) if grid is not None else 9
