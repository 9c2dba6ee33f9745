"""How the write screen lays itself out in millimetres: the pad or the keyboard, the
candidates, the text written so far and the bar, chosen by what fits the panel."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import TYPE_CHECKING, Any

from kivy.app import App
from kivy.uix.boxlayout import BoxLayout
from kivy.uix.gridlayout import GridLayout
from kivy.uix.widget import Widget
from kivy.utils import escape_markup

from kiosk.pinyin_keyboard import KEY_GAP_MM, MIN_KEY_MM, keyboard_height_needed
from kiosk.widgets import GO, PRIMARY, QUIET, REPLAY, STEP_AHEAD, BigButton, FitLabel

if TYPE_CHECKING:
    from kiosk.handwriting_pad import HandwritingPad
    from kiosk.pinyin_keyboard import PinyinKeyboard

HAND, PINYIN = "hand", "pinyin"
MODE_LABEL = {HAND: "手写", PINYIN: "拼音"}
REWRITE, MORE, DELETE = "重写", "更多", "删除"
PAD_MM = (45.0, 110.0)
"""The handwriting pad's side: at least this, at most that (a bigger pad only tires the arm)."""
HEADER_MM = 14.0
"""The row with the title and the text written so far."""
CELL_MM = (MIN_KEY_MM, 30.0)
"""A candidate's side."""
COMPACT_DISPLAY_SHARE = 0.5
"""The text written so far, beside the candidates when there is no room for a row of its own
(while no letters are typed: the letters take its place)."""
TYPED_SHARE = 0.5
"""Of the candidates' row, at most, for the letters typed (the last ones shown)."""
CAPITAL_WIDTH = 0.72
"""A capital letter's width as a share of the font size (a Han character's is about 1)."""


def tail(text: str, room: int) -> str:
    """The end of ``text`` in ``room`` characters, "…" in front when cut."""
    if len(text) <= room:
        return text
    return "…" + text[len(text) - max(1, room - 1):]


class WriteLayout:
    """The write screen's layout; mixed into WriteScreen, whose state it draws."""

    width: float
    height: float
    size: Any
    mode: str
    text: str
    title: str
    letters: str
    notice: str
    max_chars: int
    pad: HandwritingPad
    keyboard: PinyinKeyboard
    _body: BoxLayout
    _display: FitLabel
    _typed: FitLabel
    _title_label: FitLabel
    _laid_out_for: tuple[Any, ...]
    _compact: bool
    _cells: GridLayout | None
    _cells_box: BoxLayout | None
    _cell_size: tuple[float, float]
    _row: BoxLayout | None
    _row_size: tuple[float, float]
    _candidates: list[tuple[str, int]]
    _page_start: int
    _page_end: int

    # ---- what the buttons do: WriteScreen's ----

    def _refresh(self) -> None:
        raise NotImplementedError

    def switch_mode(self) -> None:
        raise NotImplementedError

    def delete(self) -> None:
        raise NotImplementedError

    def done(self) -> None:
        raise NotImplementedError

    def rewrite(self) -> None:
        raise NotImplementedError

    def next_page(self) -> None:
        raise NotImplementedError

    def choose(self, word: str, consumed: int) -> None:
        raise NotImplementedError

    # ---- layout ----

    def _relayout(self, *_args: object) -> None:
        app = App.get_running_app()
        key = (tuple(self.size), self.mode, app.sizing.px_per_mm, app.sizing.zoom)
        if key == self._laid_out_for or self.width <= 1:
            return
        self._laid_out_for = key
        self._layout(app.sizing.px_per_mm)
        self._refresh()

    def _layout(self, ppm: float) -> None:
        """Body: [header] + the mode's area + the bar. The header (title and the text so far)
        has a row of its own where the height allows; else the text sits beside the
        candidates (the keyboard on a 7-inch panel)."""
        app = App.get_running_app()
        gap = KEY_GAP_MM * ppm
        body = self._body
        body.clear_widgets()
        for widget in (self.pad, self.keyboard, self._display, self._title_label, self._typed):
            if widget.parent is not None:
                widget.parent.remove_widget(widget)
        body.padding, body.spacing = gap, gap
        width, height = self.width - 2 * gap, self.height - 2 * gap
        bar_h = app.sizing.target
        header_h = HEADER_MM * ppm
        left = height - bar_h - 2 * gap  # above the bar (and the spacer before it)
        if self.mode == HAND:
            need = PAD_MM[0] * ppm
        else:
            need = keyboard_height_needed(ppm) + gap + CELL_MM[0] * ppm
        roomy = left - header_h - gap >= need
        if roomy:
            header = BoxLayout(size_hint_y=None, height=header_h, spacing=gap)
            self._title_label.size_hint = (0.4, 1)
            self._display.size_hint = (0.6, 1)
            header.add_widget(self._title_label)
            header.add_widget(self._display)
            body.add_widget(header)
            left -= header_h + gap
        self._compact = not roomy
        area = BoxLayout(size_hint_y=None, height=left, spacing=gap)
        if self.mode == HAND:
            self._lay_hand(area, width, left, ppm, gap)
        else:
            self._lay_pinyin(area, width, left, ppm, gap)
        body.add_widget(area)
        body.add_widget(Widget())  # what the caps leave over
        body.add_widget(self._bar(bar_h, gap))
        self._show_text()

    def _lay_hand(self, area: BoxLayout, width: float, height: float, ppm: float,
                  gap: float) -> None:
        side = min(height, PAD_MM[1] * ppm, width * 0.55)
        self.pad.size_hint, self.pad.size = (None, None), (side, side)
        pad_box = BoxLayout(orientation="vertical", size_hint_x=None, width=side)
        pad_box.add_widget(self.pad)
        pad_box.add_widget(Widget())
        area.add_widget(pad_box)
        right = BoxLayout(orientation="vertical", spacing=gap)
        cells_w, cells_h = width - side - gap, height
        if self._compact:  # no header: the text above the candidates
            self._display.size_hint = (1, None)
            self._display.height = HEADER_MM * ppm
            right.add_widget(self._display)
            cells_h -= HEADER_MM * ppm + gap
        least, most = CELL_MM[0] * ppm, CELL_MM[1] * ppm
        sizing = App.get_running_app().sizing
        wide = max(least, 2.1 * sizing.main_font + sizing.gap)  # 重写 on one line
        cols = max(1, min(6, int((cells_w + gap) // (wide + gap))))
        rows = max(1, min(3, int((cells_h + gap) // (least + gap))))
        cell_w = min(most, (cells_w - gap * (cols - 1)) / cols)
        cell_h = min(most, (cells_h - gap * (rows - 1)) / rows)
        self._cells = GridLayout(cols=cols, rows=rows, spacing=gap, size_hint=(None, None),
                                 col_force_default=True, row_force_default=True,
                                 col_default_width=cell_w, row_default_height=cell_h)
        self._cells.size = (cols * cell_w + (cols - 1) * gap, rows * cell_h + (rows - 1) * gap)
        self._cell_size = (cell_w, cell_h)
        self._cells_box = BoxLayout(orientation="vertical", spacing=gap, size_hint=(None, None),
                                    size=self._cells.size)
        right.add_widget(self._cells_box)
        right.add_widget(Widget())
        area.add_widget(right)

    def _lay_pinyin(self, area: BoxLayout, width: float, height: float, ppm: float,
                    gap: float) -> None:
        area.orientation = "vertical"
        row_h = min(CELL_MM[1] * ppm, max(CELL_MM[0] * ppm, (height - 3 * gap) / 4))
        _keys_w, keys_h = self.keyboard.fit(width, height - row_h - gap, ppm)
        self._row = BoxLayout(size_hint_y=None, height=row_h, spacing=gap)
        self._row_size = (width, row_h)
        self._cells = None
        area.add_widget(self._row)
        keys = BoxLayout(size_hint_y=None, height=keys_h)
        keys.add_widget(Widget())
        keys.add_widget(self.keyboard)
        keys.add_widget(Widget())
        area.add_widget(keys)
        area.add_widget(Widget())

    def _bar(self, bar_h: float, gap: float) -> BoxLayout:
        """返回, 再听一遍, the other way of writing, 删除, 好了: widths by their labels."""
        bar = BoxLayout(size_hint_y=None, height=bar_h, spacing=gap)
        other = MODE_LABEL[PINYIN if self.mode == HAND else HAND]
        buttons: list[tuple[str, Callable[[], None], tuple[float, ...], tuple[float, ...]]] = [
            ("返回", App.get_running_app().step_back, QUIET, (1, 1, 1, 1)),
            ("再听一遍", App.get_running_app().replay, REPLAY, (0, 0, 0, 1)),
            (other, self.switch_mode, PRIMARY, (1, 1, 1, 1)),
            (DELETE, self.delete, PRIMARY, (1, 1, 1, 1)),
            ("好了", self.done, GO, (1, 1, 1, 1)),
        ]
        for label, action, colour, ink in buttons:
            button = BigButton(text=label, size_hint_x=len(label) + 1.2)
            button.size_hint_min = (0, 0)
            button.background_color = colour
            button.color = button.disabled_color = ink
            if label == "再听一遍":
                button.spoken = ""
            button.bind(on_release=lambda _b, act=action: act())
            bar.add_widget(button)
        return bar

    # ---- showing ----

    def _show_text(self, *_args: object) -> None:
        """The end of the text written ("…" in front when cut), or the title in grey where
        the text will come; the letters typed, in yellow, in a label of their own."""
        app = App.get_running_app()
        if app is None:
            return
        self._title_label.text = self.title
        typed = self._typed
        if self.letters and typed.width > 1:
            letters = self.letters.upper()
            typed.text = letters
            typed._fit()
            while len(letters) > 1 and not _fits(typed):  # the last ones typed stay in sight
                letters = letters[1:]
                typed.text = "…" + letters
                typed._fit()
        label = self._display
        if label.width <= 1:
            return
        if not self.text:
            label.kind = "small"
            label.text = f"[color={_hex(STEP_AHEAD)}]{self.title}[/color]" if self._compact \
                else ""
            return
        label.kind = "main"
        font = app.sizing.main_font
        label.text = escape_markup(
            tail(self.text, max(1, int((label.width - 2 * label.pad) // font) - 1)))

    def _fill_candidates(self) -> None:
        if self.mode == HAND:
            self._fill_cells()
        else:
            self._fill_row()

    def _fill_cells(self) -> None:
        grid, box = self._cells, self._cells_box
        if grid is None or box is None:
            return
        grid.clear_widgets()
        box.clear_widgets()
        slots = grid.cols * grid.rows - 1
        words = [w for w, _ in self._candidates[:slots]]
        cell = self._cell_size
        rewrite = _sized_button(REWRITE, cell, QUIET, self.rewrite)
        rewrite.disabled = not self.pad.stroke_count
        if not words and self.notice:  # the notice where the candidates will be
            box.add_widget(FitLabel(text=self.notice, kind="small"))
            last = BoxLayout(size_hint_y=None, height=cell[1])
            last.add_widget(Widget())
            last.add_widget(rewrite)
            box.add_widget(last)
            return
        box.add_widget(grid)
        for word in words:
            grid.add_widget(self._candidate_button(word, 0, cell))
        for _ in range(slots - len(words)):
            grid.add_widget(Widget(size_hint=(None, None), size=cell))
        grid.add_widget(rewrite)

    def _fill_row(self) -> None:
        """[the letters typed | (no header) the text so far] [candidates …] [更多]."""
        row = self._row
        if row is None:
            return
        row.clear_widgets()
        app = App.get_running_app()
        font, pad = app.sizing.main_font, app.sizing.gap
        gap = KEY_GAP_MM * app.sizing.px_per_mm
        least = CELL_MM[0] * app.sizing.px_per_mm
        more_w = max(least, 2 * font + pad)
        room, row_h = self._row_size
        slot: FitLabel | None = None
        if self.letters:
            slot = self._typed
            needed = (len(self.letters) + 1) * CAPITAL_WIDTH * app.sizing.number_font + pad
            slot.width = min(room * TYPED_SHARE, max(least, needed))
        elif self._compact:  # no header: the text so far has this place
            slot = self._display
            slot.width = room * COMPACT_DISPLAY_SHARE
        if slot is not None:
            slot.size_hint = (None, 1)
            row.add_widget(slot)
            room -= slot.width + gap
        self._show_text()
        if not self._candidates:
            if self.notice:
                row.add_widget(FitLabel(text=self.notice, kind="small"))
            self._page_end = 0
            return
        room -= more_w + gap
        used, end = 0.0, self._page_start
        while end < len(self._candidates):
            word = self._candidates[end][0]
            w = max(least, len(word) * font + pad)
            if used + w > room and end > self._page_start:
                break
            used += w + gap
            end += 1
        self._page_end = end
        for word, consumed in self._candidates[self._page_start:end]:
            w = max(least, len(word) * font + pad)
            row.add_widget(self._candidate_button(word, consumed, (w, row_h)))
        row.add_widget(Widget())
        if len(self._candidates) > end or self._page_start > 0:
            row.add_widget(_sized_button(MORE, (more_w, row_h), QUIET, self.next_page))

    def _candidate_button(self, word: str, consumed: int, size: tuple[float, float]
                          ) -> BigButton:
        return _sized_button(word, size, action=lambda: self.choose(word, consumed))



def _sized_button(text: str, size: tuple[float, float], colour: Sequence[float] = PRIMARY,
                  action: Callable[[], None] | None = None) -> BigButton:
    """A button of a fixed size (not the bar's 18 mm least), its label fitted to it."""
    button = BigButton(text=text, size_hint=(None, None), size=size)
    button.size_hint_min, button.background_color = (0, 0), colour
    if action is not None:
        button.bind(on_release=lambda _b: action())
    button._fit()  # the size came with the label: nothing changed that would fit it
    return button


def _fits(label: FitLabel) -> bool:
    width, height = label.texture_size
    return bool(width <= label.width - 2 * label.pad and height <= label.height - label.pad)


def _hex(colour: Sequence[float]) -> str:
    return "".join(f"{round(c * 255):02x}" for c in colour[:3])
