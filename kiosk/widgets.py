"""Large, high-contrast widgets for elderly residents, sized in millimetres (kiosk.sizing).

Colours are chosen for at least 7:1 contrast (WCAG 2.2 AAA) between every text and its
background; the UI tests measure it on screenshots. A label too long for its box wraps,
then shrinks, but never below the physical minimum for its kind of text.
"""

from __future__ import annotations

import math

from kivy.app import App
from kivy.lang import Builder
from kivy.properties import BooleanProperty, ListProperty, NumericProperty, StringProperty
from kivy.uix.button import Button
from kivy.uix.label import Label

SCREEN_BACKGROUND = (0.07, 0.07, 0.07, 1)  # #121212
TEXT = (1, 1, 1, 1)
GOOD_TEXT = (0.506, 0.78, 0.518, 1)  # #81C784 on the screen: 9.3:1
PRIMARY = (0.043, 0.239, 0.569, 1)  # #0B3D91 under white: 10:1
GO = (0.078, 0.325, 0.176, 1)  # #14532D: 9.1:1
SUBMIT = (0.557, 0.071, 0.071, 1)  # #8E1212: 9.3:1
QUIET = (0.259, 0.259, 0.259, 1)  # #424242: 10:1
KEY = (0.149, 0.196, 0.220, 1)  # #263238: 13:1
REPLAY = (1.0, 0.835, 0.31, 1)  # #FFD54F under black: 14.9:1
STEP_CURRENT = REPLAY  # on the screen: 13:1
STEP_PASSED = (0.647, 0.839, 0.655, 1)  # #A5D6A7: 11:1
STEP_AHEAD = (0.69, 0.69, 0.69, 1)  # #B0B0B0: 8.6:1

_FIT_STEP = 0.94
LINE_SPACING = 1.3
"""Height of a line of text as a share of the font size, with a little air."""


class _FitsText:
    """Text of a ``kind`` (see kiosk.sizing: "title", "big", "main", "small" or "number")
    at its size, shrunk until it fits the widget's box (less ``pad`` at the sides and half
    of it above and below), never below the least size for that kind."""

    kind = StringProperty("main")
    pad = NumericProperty(0.0)
    _fitting = False

    def _watch_sizes(self) -> None:
        for name in ("size", "text", "kind", "pad"):
            self.fbind(name, self._fit)  # type: ignore[attr-defined]
        App.get_running_app().sizing.fbind("zoom", self._fit)
        App.get_running_app().sizing.fbind("px_per_mm", self._fit)

    def _fit(self, *_args: object) -> None:
        label: Label = self
        app = App.get_running_app()
        if self._fitting or app is None or label.width <= 1 or label.height <= 1:
            return
        self._fitting = True
        try:
            size, least = app.sizing.fonts_for(self.kind)
            box_w, box_h = label.width - 2 * self.pad, label.height - self.pad
            label.text_size = (max(1.0, box_w), None)
            label.font_size = size
            label.texture_update()
            while (label.texture_size[1] > box_h or label.texture_size[0] > box_w) and \
                    size * _FIT_STEP >= least:
                size *= _FIT_STEP
                label.font_size = size
                label.texture_update()
        finally:
            self._fitting = False


class FitLabel(_FitsText, Label):
    """A label that wraps and shrinks to its box instead of spilling out of it."""

    def __init__(self, **kwargs: object) -> None:
        super().__init__(**kwargs)
        self._watch_sizes()


class StepLabel(FitLabel):
    """A label on a filled background (the current step of the six)."""

    fill = ListProperty([0, 0, 0, 1])


class GrowingLabel(FitLabel):
    """A label as tall as its text needs, up to ``max_lines`` lines (then it shrinks)."""

    max_lines = NumericProperty(2)

    def __init__(self, **kwargs: object) -> None:
        super().__init__(**kwargs)
        self.size_hint_y = None
        for name in ("text", "width", "max_lines", "kind"):
            self.fbind(name, self._grow)
        App.get_running_app().sizing.fbind("zoom", self._grow)
        self._grow()

    def _grow(self, *_args: object) -> None:
        if not self.text:  # nothing to say: no gap on the screen either
            self.height = 0
            return
        font, _least = App.get_running_app().sizing.fonts_for(self.kind)
        # Han characters are about one font size wide: lines needed at the wanted size
        needed = math.ceil(len(self.text) * font / max(1.0, self.width - 2 * self.pad))
        self.height = font * LINE_SPACING * min(max(1, needed), self.max_lines) + self.pad


class BigButton(_FitsText, Button):
    """A button whose label is said aloud when it is pressed (``spoken``, default its text)."""

    spoken = StringProperty(None, allownone=True)
    """What is said when pressed; None means the label, "" means nothing."""
    echo = BooleanProperty(True)

    def __init__(self, **kwargs: object) -> None:
        super().__init__(**kwargs)
        self._watch_sizes()

    def on_press(self) -> None:
        app = App.get_running_app()
        if app is not None and hasattr(app, "note_press"):
            app.note_press(self.text if self.spoken is None else self.spoken)

    def on_release(self) -> None:
        # runs after the handlers bound in .kv files: says the label if they did not
        app = App.get_running_app()
        if app is not None and hasattr(app, "flush_echo"):
            app.flush_echo()


Builder.load_string(
    """
#:import W kiosk.widgets

<Label>:
    color: W.TEXT

<FitLabel>:
    pad: app.sizing.gap * 0.5
    halign: "center"
    valign: "middle"

<StepLabel>:
    canvas.before:
        Color:
            rgba: self.fill
        Rectangle:
            pos: self.pos
            size: self.size

<BigButton>:
    pad: app.sizing.gap * 0.5
    bold: True
    halign: "center"
    valign: "middle"
    background_normal: ""
    background_down: ""
    background_disabled_normal: ""
    background_disabled_down: ""
    background_color: W.PRIMARY
    color: W.TEXT
    disabled_color: W.TEXT
    size_hint_min: app.sizing.target, app.sizing.target

<QuietButton@BigButton>:
    background_color: W.QUIET

<GoButton@BigButton>:
    background_color: W.GO

<ReplayButton@BigButton>:
    text: "再听一遍"
    spoken: ""
    background_color: W.REPLAY
    color: 0, 0, 0, 1
    disabled_color: 0, 0, 0, 1
    on_release: app.replay()

<KeyButton@BigButton>:
    background_color: W.KEY
    kind: "number"

<TitleLabel@GrowingLabel>:
    kind: "title"
    bold: True

<SmallLabel@FitLabel>:
    kind: "small"

<ButtonBar@BoxLayout>:
    size_hint_y: None
    height: app.sizing.target
    spacing: app.sizing.gap

<ScreenBox@BoxLayout>:
    orientation: "vertical"
    padding: app.sizing.gap
    spacing: app.sizing.gap
"""
)
