"""A keyboard scanner that is not grabbed (no permission on its event node, or configured as
kind = "keyboard") types into the kiosk's window: a burst of characters much faster than a
person types, ended by Enter, is a scan. The kiosk has on-screen keys only, so nothing else
on the screen reads the keyboard; slow typing and a lone Enter are left alone."""

from __future__ import annotations

import logging
import time
from collections.abc import Callable
from typing import Any

from device.scanner import MAX_CODE_CHARS, describe_code

log = logging.getLogger(__name__)

MIN_SCAN_CHARS = 4
"""Fewer characters than this before Enter is no code a scanner sends (a ticket has 10)."""
MAX_SECONDS_PER_CHAR = 0.05
"""A scanner types a character every few milliseconds, a fast typist one every 100 ms or
more: a burst slower than this on average is a person."""
BURST_BREAK_SECONDS = 0.5
"""A pause this long between characters starts a new burst."""
ENTER_KEYS = (13, 271)
"""Kivy's key codes of Enter and keypad Enter."""


class BurstDetector:
    """Typed characters and Enter, with the time each came → the codes that were scanned."""

    def __init__(self) -> None:
        self._chars: list[str] = []
        self._first = 0.0
        self._last = 0.0

    def typed(self, text: str, at: float) -> None:
        if self._chars and at - self._last > BURST_BREAK_SECONDS:
            self._chars = []
        if not self._chars:
            self._first = at
        if len(self._chars) + len(text) > MAX_CODE_CHARS:
            self._chars = []  # garbage, or a book on the keys: no code
            return
        self._chars.extend(text)
        self._last = at

    def enter(self, at: float) -> str | None:
        """Enter came at ``at``: the code, if what came before it was a scanner's burst."""
        chars, self._chars = self._chars, []
        if len(chars) < MIN_SCAN_CHARS or at - self._last > BURST_BREAK_SECONDS:
            return None
        if (self._last - self._first) / (len(chars) - 1) > MAX_SECONDS_PER_CHAR:
            return None
        return "".join(chars)


class WindowWedge:
    """Watches the window's key events for scans and hands each code to ``on_scan`` (on the
    UI thread, where Kivy delivers key events)."""

    def __init__(self, on_scan: Callable[[str], None],
                 clock: Callable[[], float] = time.monotonic) -> None:
        self._on_scan = on_scan
        self._clock = clock
        self._burst = BurstDetector()

    def attach(self) -> None:
        from kivy.core.window import Window

        Window.bind(on_textinput=self._textinput, on_key_down=self._key_down)

    def detach(self) -> None:
        from kivy.core.window import Window

        Window.unbind(on_textinput=self._textinput, on_key_down=self._key_down)

    def _textinput(self, _window: Any, text: str) -> None:
        self._burst.typed(text, self._clock())

    def _key_down(self, _window: Any, key: int, *_args: Any) -> bool | None:
        if key not in ENTER_KEYS:
            return None
        code = self._burst.enter(self._clock())
        if code is None:
            return None
        log.info("scanner in the window: a code of %s", describe_code(code))
        self._on_scan(code)
        return True  # the scan's Enter goes no further
