"""The big pinyin keyboard (拼音): 26 letter keys, QWERTY where ten keys fit a row at full
size, else in alphabetical order, nine to a row.

QWERTY is what residents know from their phones' 26-key pinyin. A 7-inch 800×480 panel is
152 × 91 mm, though: QWERTY's top row needs 10 keys, and 10 keys of 15 mm with gaps between
them do not fit in 152 mm less the screen's margins; three rows of nine (A–I, J–R, S–Z) do
(9 × 15.6 mm + 8 × 1.2 mm) and leave the height for the candidates above and the bar below.
Alphabetical order is also how pinyin is taught.
"""

from __future__ import annotations

from collections.abc import Callable
from functools import partial

from kivy.uix.gridlayout import GridLayout
from kivy.uix.widget import Widget

from kiosk.widgets import KEY, BigButton

QWERTY = ("QWERTYUIOP", "ASDFGHJKL", "ZXCVBNM")
ALPHABETICAL = ("ABCDEFGHI", "JKLMNOPQR", "STUVWXYZ")
ROWS = 3
MIN_KEY_MM = 15.5
"""The least side of a key: over the 15 mm floor by what rounding to pixels can take."""
MAX_KEY_MM = 26.0
KEY_GAP_MM = 1.2


class PinyinKeyboard(GridLayout):
    """Letter keys; ``on_letter(letter)`` gets the lower-case letter pressed."""

    def __init__(self, on_letter: Callable[[str], None], **kwargs: object) -> None:
        super().__init__(**kwargs)
        self._on_letter = on_letter
        self.keys: dict[str, BigButton] = {}
        self.letter_rows: tuple[str, ...] = ()
        self._lay_keys(ALPHABETICAL)

    def _lay_keys(self, rows: tuple[str, ...]) -> None:
        if rows == self.letter_rows:
            return
        self.letter_rows = rows
        self.cols = max(len(row) for row in rows)
        self.clear_widgets()
        self.keys.clear()
        for row in rows:
            for letter in row:
                key = BigButton(text=letter, kind="number")
                key.background_color = KEY
                key.bind(on_release=partial(_pressed, self._on_letter, letter.lower()))
                self.keys[letter] = key
                self.add_widget(key)
            for _ in range(self.cols - len(row)):
                self.add_widget(Widget())

    def fit(self, width: float, height: float, px_per_mm: float) -> tuple[float, float]:
        """Lay the keys out for a ``width`` × ``height`` area (QWERTY if its ten keys a row fit
        at full size; each side within MIN…MAX_KEY_MM); returns the keyboard's own size."""
        gap = KEY_GAP_MM * px_per_mm
        least, most = MIN_KEY_MM * px_per_mm, MAX_KEY_MM * px_per_mm
        qwerty_fits = (width - gap * (len(QWERTY[0]) - 1)) / len(QWERTY[0]) >= least
        self._lay_keys(QWERTY if qwerty_fits else ALPHABETICAL)
        columns = int(self.cols)
        key_w = min(most, max(least, (width - gap * (columns - 1)) / columns))
        key_h = min(most, max(least, (height - gap * (ROWS - 1)) / ROWS))
        self.spacing = gap
        self.col_force_default = self.row_force_default = True
        self.col_default_width, self.row_default_height = key_w, key_h
        for cell in self.children:
            cell.size_hint, cell.size = (None, None), (key_w, key_h)
        self.size_hint = (None, None)
        self.size = (key_w * columns + gap * (columns - 1), key_h * ROWS + gap * (ROWS - 1))
        return float(self.width), float(self.height)


def keyboard_height_needed(px_per_mm: float) -> float:
    """The least height three rows of keys take."""
    return float((MIN_KEY_MM * ROWS + KEY_GAP_MM * (ROWS - 1)) * px_per_mm)


def _pressed(on_letter: Callable[[str], None], letter: str, _key: BigButton) -> None:
    on_letter(letter)
