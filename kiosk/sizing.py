"""Sizes in millimetres on the real panel, so text and buttons are as big on a 7-inch
800×480 screen as on a 21-inch 1920×1080 one, and 大字 makes all of them bigger.

Every size the screens use comes from here (``app.sizing`` in the .kv files); nothing is
given in pixels. A size is asked for as *ink*: how tall a Han character is actually drawn,
which is what a resident sees and what the tests measure on screenshots.
"""

from __future__ import annotations

import math

from kivy.event import EventDispatcher
from kivy.properties import NumericProperty

MM_PER_INCH = 25.4
HAN_INK = 0.87
"""Ink height of a Han character as a share of the font size (WenQuanYi, Noto SC, Droid)."""
DIGIT_INK = 0.72
"""Ink height of a digit as a share of the font size: digits are drawn shorter than Han."""

LARGE_TEXT_ZOOM = 1.25
"""How much 大字 enlarges the text (and so the buttons that hold it)."""

TITLE_INK_MM = 8.5
BIG_INK_MM = 9.8
"""The two big choices on the home screen."""
MAIN_INK_MM = 7.6
"""Button labels and main text: at least 7 mm, with room for a shrink to fit (see MIN_…)."""
SMALL_INK_MM = 5.6
"""Secondary lines (hotline, notes): at least 5 mm."""
NUMBER_INK_MM = 9.5
"""The ticket number and keypad digits."""
MIN_MAIN_INK_MM = 7.3
MIN_SMALL_INK_MM = 5.3
"""A long label shrinks to fit its box, never below these."""
TARGET_MM = 18.0
"""The smaller side of a touch target: at least 15 mm, so a finger that shakes still hits."""
GAP_MM = 2.5


def px_per_mm(width_px: int, height_px: int, diagonal_inches: float) -> float:
    """Pixels per millimetre of a panel with square pixels, from its diagonal."""
    return math.hypot(width_px, height_px) / (diagonal_inches * MM_PER_INCH)


class Sizing(EventDispatcher):
    """Font sizes and lengths in pixels for the current panel and zoom; kv rules bind to them,
    so a new window size or 大字 re-lays every screen."""

    px_per_mm = NumericProperty(5.25)
    zoom = NumericProperty(1.0)

    title_font = NumericProperty(0.0)
    big_font = NumericProperty(0.0)
    main_font = NumericProperty(0.0)
    small_font = NumericProperty(0.0)
    number_font = NumericProperty(0.0)
    """Font sizes (px) for Han text, except number_font, which is for digits."""
    min_main_font = NumericProperty(0.0)
    min_small_font = NumericProperty(0.0)
    min_number_font = NumericProperty(0.0)
    target = NumericProperty(0.0)
    """Height of a bar of buttons (and the least side of any button), px; not zoomed."""
    gap = NumericProperty(0.0)

    def __init__(self, **kwargs: float) -> None:
        super().__init__(**kwargs)
        self.bind(px_per_mm=self._update, zoom=self._update)
        self._update()

    def fonts_for(self, kind: str) -> tuple[float, float]:
        """The font size wanted for text of ``kind``, and the least it may shrink to."""
        least = {"small": self.min_small_font, "number": self.min_number_font}
        wanted: float = getattr(self, f"{kind}_font")
        return wanted, float(least.get(kind, self.min_main_font))

    def mm(self, millimetres: float) -> float:
        """``millimetres`` on this panel, in pixels, at the current zoom."""
        return float(millimetres * self.px_per_mm * self.zoom)

    def font_for_ink(self, ink_mm: float, ink_share: float = HAN_INK) -> float:
        return self.mm(ink_mm) / ink_share

    def _update(self, *_args: object) -> None:
        self.title_font = self.font_for_ink(TITLE_INK_MM)
        self.big_font = self.font_for_ink(BIG_INK_MM)
        self.main_font = self.font_for_ink(MAIN_INK_MM)
        self.small_font = self.font_for_ink(SMALL_INK_MM)
        self.number_font = self.font_for_ink(NUMBER_INK_MM, DIGIT_INK)
        # the floors are physical: 大字 never lets text shrink below the plain minimum
        self.min_main_font = self.px_per_mm * MIN_MAIN_INK_MM / HAN_INK
        self.min_small_font = self.px_per_mm * MIN_SMALL_INK_MM / HAN_INK
        self.min_number_font = self.px_per_mm * MIN_MAIN_INK_MM / DIGIT_INK
        # targets and gaps stay as they are: 大字 is for the eyes, and a bigger bar would
        # leave no room for the bigger text on a small panel
        self.target = self.px_per_mm * TARGET_MM
        self.gap = self.px_per_mm * GAP_MM
