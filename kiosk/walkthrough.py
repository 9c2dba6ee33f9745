"""A scripted resident, for the headless demo and the UI tests.

Taps go through Kivy's input pipeline (the same entry the touch and mouse providers use),
so the buttons, screens and services below them all run for real.
"""

from __future__ import annotations

import os
import sys
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

from kivy.app import App
from kivy.base import EventLoop
from kivy.clock import Clock
from kivy.core.window import Window
from kivy.input.motionevent import MotionEvent
from kivy.uix.button import Button

STEP_TIMEOUT_S = 30.0
TICK_S = 0.1


class _Tap(MotionEvent):
    def __init__(self, x: float, y: float) -> None:
        super().__init__("walkthrough", 1, {"x": x / Window.width, "y": y / Window.height},
                         is_touch=True, type_id="touch")
        self.profile = ["pos"]

    def depack(self, args: dict[str, float]) -> None:
        self.sx, self.sy = args["x"], args["y"]
        super().depack(args)


@dataclass
class Step:
    describe: str
    attempt: Callable[[App], bool]
    """Returns True once the step is done; called again on later frames until then."""


def tap(text: str) -> Step:
    def attempt(app: App) -> bool:
        if not app.idle.settled():
            return False  # a tap right after a screen change would be dropped
        for widget in app.root.current_screen.walk():
            if isinstance(widget, Button) and widget.text == text and not widget.disabled:
                x, y = widget.to_window(*widget.center)
                touch = _Tap(x, y)
                EventLoop.post_dispatch_input("begin", touch)
                EventLoop.post_dispatch_input("end", touch)
                return True
        return False

    return Step(f"tap {text!r}", attempt)


def choose(text: str) -> Step:
    """Tap the choice ``text``, turning pages (下一页) until it shows."""
    press, next_page = tap(text).attempt, tap("下一页").attempt

    def attempt(app: App) -> bool:
        if press(app):
            return True
        next_page(app)
        return False

    return Step(f"choose {text!r}", attempt)


def expect_screen(name: str) -> Step:
    return Step(f"screen {name!r}", lambda app: app.root.current == name)


def type_digits(digits: str) -> list[Step]:
    return [tap(d) for d in digits]


def shot(out_dir: Path, name: str) -> list[Step]:
    """Let a few frames draw, then save what the window shows as ``out_dir/name.png``."""

    def attempt(_app: App) -> bool:
        out_dir.mkdir(parents=True, exist_ok=True)
        target = out_dir / f"{name}.png"
        Path(Window.screenshot(name=str(target))).replace(target)
        print(f"SCREENSHOT {target}", flush=True)
        return True

    return [Step("let the frame draw", _frames_passed(3)), Step(f"screenshot {name}", attempt)]


def wait_until(describe: str, ready: Callable[[], bool]) -> Step:
    return Step(describe, lambda _app: ready())


class Walkthrough:
    """Runs steps one after another on the UI clock; a step that never completes fails the run."""

    def __init__(self, steps: list[Step]) -> None:
        self.steps = steps
        self._index = 0
        self._waited = 0.0

    def start(self, app: App) -> None:
        Clock.schedule_interval(lambda dt: self._tick(app, dt), TICK_S)

    def _tick(self, app: App, dt: float) -> bool:
        if self._index >= len(self.steps):
            print("WALKTHROUGH DONE", flush=True)
            app.stop()
            return False
        step = self.steps[self._index]
        if step.attempt(app):
            self._index, self._waited = self._index + 1, 0.0
        else:
            self._waited += dt
            if self._waited > STEP_TIMEOUT_S:
                print(f"WALKTHROUGH FAILED at {step.describe}", file=sys.stderr, flush=True)
                os._exit(3)
        return True


def _frames_passed(count: int) -> Callable[[App], bool]:
    seen = [0]

    def attempt(_app: App) -> bool:
        seen[0] += 1
        return seen[0] > count

    return attempt
