"""Kivy reads its settings at import time, so they are set here before anything imports it."""

from __future__ import annotations

import os
from collections.abc import Callable
from pathlib import Path


def prepare_kivy(kivy_home: Path, *, width: int, height: int, fullscreen: bool) -> None:
    kivy_home.mkdir(parents=True, exist_ok=True)
    os.environ["KIVY_HOME"] = str(kivy_home)
    os.environ.setdefault("KIVY_NO_ARGS", "1")
    os.environ.setdefault("KIVY_NO_FILELOG", "1")
    os.environ.setdefault("KIVY_LOG_MODE", "PYTHON")  # one log format: the program's own
    # read when kivy is first imported; Config.set below comes too late for the log level
    os.environ.setdefault("KCFG_KIVY_LOG_LEVEL", "warning")
    from kivy.config import Config

    Config.set("kivy", "log_level", "warning")
    Config.set("kivy", "exit_on_escape", "0")
    Config.set("graphics", "width", str(width))
    Config.set("graphics", "height", str(height))
    Config.set("graphics", "resizable", "0")
    Config.set("graphics", "position", "custom")  # the top left corner: a kiosk has no desktop
    Config.set("graphics", "left", "0")
    Config.set("graphics", "top", "0")
    Config.set("graphics", "fullscreen", "auto" if fullscreen else "0")
    Config.set("input", "mouse", "mouse,disable_multitouch")


def register_font(font_path: Path) -> None:
    """Make the CJK font the default for every label, so no glyph falls back to boxes."""
    from kivy.core.text import DEFAULT_FONT, LabelBase

    LabelBase.register(DEFAULT_FONT, str(font_path))


FIRST_FRAME_MARKER = "FIRST FRAME"
"""What ``shuoshi kiosk`` prints on stdout (a line of its own) once its first frame is shown."""


def after_first_frame(callback: Callable[[], None]) -> None:
    """Call ``callback`` once, on the UI thread, right after the window has shown a frame:
    the first one, when called before the app runs (or from ``App.on_start``).

    The start-up hook: work the first frame does not need waits for it (the printer
    worker, the screens not shown first, the prompt cache), ``shuoshi kiosk`` prints
    FIRST_FRAME_MARKER there (``make bench`` times it), and it is where systemd's READY=1
    belongs. Call it after ``prepare_kivy``: it opens the window if nothing has yet. The
    callback runs on the clock tick after the buffer swap.
    """
    from kivy.clock import Clock
    from kivy.core.window import Window

    def flipped(*_args: object) -> None:
        # bound handlers run before Window's own on_flip, which swaps the buffers: so the
        # callback waits for the next tick, when the frame is on the screen
        Window.unbind(on_flip=flipped)
        Clock.schedule_once(lambda _dt: callback(), 0)

    Window.bind(on_flip=flipped)


def fill_the_screen() -> None:
    """Fullscreen as a borderless window the size of the screen: with no window manager
    (Xvfb, a bare X server) SDL's fullscreen keeps the window at the configured size while
    reporting the screen's, and the layout is cut off."""
    from kivy.core.window import Window

    if Window.fullscreen not in ("auto", True, "1", 1):
        return
    screen = tuple(Window.system_size)  # SDL's fullscreen mode knows the screen's size
    Window.fullscreen = False
    Window.borderless = True
    Window.left, Window.top = 0, 0

    def insist(*_args: object) -> None:
        # leaving fullscreen shrinks the window back to the configured size, later
        if tuple(Window.system_size) != screen:
            Window.size = screen

    Window.bind(on_resize=insist)
    Window.size = screen
