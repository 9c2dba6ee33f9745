"""The handwriting pad (手写): a square where a finger writes one character.

Strokes are drawn as thick lines while the finger moves; when it lifts, ``on_stroke`` is
dispatched and the screen asks the recogniser. Strokes are kept in Kivy's coordinates (y up)
and handed out in the recogniser's (y down, from the pad's top left).
"""

from __future__ import annotations

from kivy.app import App
from kivy.graphics import Color, Line, Rectangle
from kivy.input.motionevent import MotionEvent
from kivy.properties import NumericProperty
from kivy.uix.widget import Widget

from kiosk.widgets import KEY, STEP_AHEAD, TEXT

INK_MM = 1.6
"""Width of a drawn stroke: thick enough to see at arm's length."""

Point = tuple[float, float]


class HandwritingPad(Widget):
    """One character's strokes; ``clear()`` empties it."""

    report_as = "pad"
    """kiosk.ui_report lists the pad's box under this name (the tests draw in it)."""
    stroke_count = NumericProperty(0)

    def __init__(self, **kwargs: object) -> None:
        self.register_event_type("on_stroke")
        super().__init__(**kwargs)
        self._strokes: list[list[Point]] = []
        self._lines: list[Line] = []
        with self.canvas.before:
            Color(*KEY)
            self._paper = Rectangle()
            Color(*STEP_AHEAD)
            self._frame = Line(width=1)
            self._cross_h = Line(width=1, dash_length=8, dash_offset=8)
            self._cross_v = Line(width=1, dash_length=8, dash_offset=8)
        self.bind(pos=self._redraw, size=self._redraw)

    def _ink_width(self) -> float:
        app = App.get_running_app()
        return float(app.sizing.px_per_mm * INK_MM) if app is not None else 4.0

    def _redraw(self, *_args: object) -> None:
        x, y, w, h = self.x, self.y, self.width, self.height
        self._paper.pos, self._paper.size = (x, y), (w, h)
        self._frame.rectangle = (x, y, w, h)
        # a dashed cross, as on squared writing paper: where the middle of the character is
        self._cross_h.points = [x, y + h / 2, x + w, y + h / 2]
        self._cross_v.points = [x + w / 2, y, x + w / 2, y + h]

    def on_touch_down(self, touch: MotionEvent) -> bool:
        if not self.collide_point(*touch.pos) or self.disabled:
            return False
        touch.grab(self)
        stroke = [(float(touch.x), float(touch.y))]
        self._strokes.append(stroke)
        with self.canvas:
            Color(*TEXT)
            line = Line(points=list(stroke[0]), width=self._ink_width(), cap="round",
                        joint="round")
        self._lines.append(line)
        return True

    def on_touch_move(self, touch: MotionEvent) -> bool:
        if touch.grab_current is not self:
            return False
        self._follow(touch)
        return True

    def _follow(self, touch: MotionEvent) -> None:
        x = min(max(float(touch.x), self.x), self.right)
        y = min(max(float(touch.y), self.y), self.top)
        if self._strokes[-1][-1] != (x, y):
            self._strokes[-1].append((x, y))
            self._lines[-1].points = [*self._lines[-1].points, x, y]

    def on_touch_up(self, touch: MotionEvent) -> bool:
        if touch.grab_current is not self:
            return False
        touch.ungrab(self)
        self._follow(touch)  # where the finger lifted, if it moved since
        self.stroke_count = len(self._strokes)
        self.dispatch("on_stroke")
        return True

    def on_stroke(self) -> None:
        """A stroke was finished (the finger lifted)."""

    def strokes(self) -> list[list[Point]]:
        """The strokes in pad coordinates: from the top left, y pointing down."""
        return [[(x - self.x, self.top - y) for x, y in stroke] for stroke in self._strokes]

    def clear(self) -> None:
        self.canvas.clear()  # the lines and their colours; the paper is in canvas.before
        self._strokes, self._lines = [], []
        self.stroke_count = 0
