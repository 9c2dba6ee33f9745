"""Writing in one's own words: a handwriting pad (手写) or a big pinyin keyboard (拼音)."""

from __future__ import annotations

from collections.abc import Callable

from kivy.properties import NumericProperty, StringProperty
from kivy.uix.screenmanager import Screen

from kiosk.screens import load_kv

load_kv("write")

HAND, PINYIN = "hand", "pinyin"


class WriteScreen(Screen):
    title = StringProperty("")
    text = StringProperty("")
    mode = StringProperty(HAND)
    max_chars = NumericProperty(200)

    def begin(self, title: str, text: str, on_done: Callable[[str], None], *,
              mode: str = HAND, max_chars: int = 200) -> None:
        """Start writing ``text`` (what was written before, kept); ``on_done(text)`` on 好了."""
        self.title, self.text, self.mode, self.max_chars = title, text, mode, max_chars
        self._on_done = on_done

    def done(self) -> None:
        self._on_done(self.text)
