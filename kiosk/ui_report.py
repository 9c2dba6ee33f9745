"""``shuoshi kiosk --ui-report FILE``: what the screen shows, where, and how big, as JSON.

For checking a new panel (are the sizes right in millimetres?) and for the UI tests, which
tap the buttons it lists with real X pointer events and measure them on screenshots.
The file is rewritten (atomically) whenever what is shown or said changes. It holds what the
screen shows and says, personal details included: use it on a test kiosk only.
"""

from __future__ import annotations

import json
import os
from pathlib import Path
from typing import Any

from kivy.app import App
from kivy.clock import Clock
from kivy.core.window import Window
from kivy.uix.button import Button
from kivy.uix.label import Label
from kivy.uix.widget import Widget

REPORT_INTERVAL_S = 0.2


def _box(widget: Widget) -> list[int]:
    """Left, top, width, height in window pixels, origin at the top left (as X has it)."""
    x, y = widget.to_window(widget.x, widget.y)
    return [round(x), round(Window.height - y - widget.height), round(widget.width),
            round(widget.height)]


def _visible(widget: Widget) -> bool:
    return widget.opacity > 0 and widget.width > 1 and widget.height > 1 and \
        widget.get_root_window() is not None


def describe(app: App) -> dict[str, Any]:
    """The current screen (and the idle warning, if shown) with its texts and buttons."""
    top = Window.children[0]
    overlay = top is not app.root
    items = []
    pads = []
    for widget in top.walk(restrict=True):
        if getattr(widget, "report_as", "") == "pad" and _visible(widget):
            pads.append(_box(widget))  # the handwriting pad: where the tests draw
        if not isinstance(widget, Label) or not _visible(widget) or not widget.text.strip():
            continue
        tex_w, tex_h = widget.texture_size
        items.append({"kind": "button" if isinstance(widget, Button) else "text",
                      "role": "small" if getattr(widget, "kind", "small") == "small" else "main",
                      "text": widget.text, "box": _box(widget),
                      "disabled": bool(widget.disabled),
                      "font_px": round(float(widget.font_size), 1),
                      "fits": tex_w <= widget.width + 1 and tex_h <= widget.height + 1})
    return {"screen": "idle-warning" if overlay else app.root.current,
            "window": list(Window.size), "px_per_mm": app.sizing.px_per_mm,
            "large_text": bool(app.large_text), "slow_speech": bool(app.slow_speech),
            "spoken": list(app.spoken), "items": items, "pads": pads}


class UiReport:
    def __init__(self, path: Path) -> None:
        self.path = path
        self._last = ""
        self._seq = 0

    def start(self, app: App) -> None:
        Clock.schedule_interval(lambda _dt: self._write(app), REPORT_INTERVAL_S)

    def _write(self, app: App) -> None:
        state = json.dumps(describe(app), ensure_ascii=False, sort_keys=True)
        if state == self._last:
            return
        self._last = state
        self._seq += 1
        data = json.loads(state)
        data["seq"] = self._seq
        partial = self.path.with_suffix(".tmp")
        partial.write_text(json.dumps(data, ensure_ascii=False), encoding="utf-8")
        os.replace(partial, self.path)
