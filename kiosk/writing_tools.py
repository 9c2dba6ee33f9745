"""The handwriting recogniser and the word index behind the write screen, opened once in a
thread of their own the first time it is shown (never on the first frame)."""

from __future__ import annotations

import logging
import threading
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from kivy.app import App
from kivy.clock import Clock

if TYPE_CHECKING:
    from kiosk.writing.handwriting import Recogniser
    from kiosk.writing.words import WordIndex

log = logging.getLogger(__name__)


@dataclass
class WritingTools:
    """The recogniser and the word index, opened once in a thread; None where unavailable."""

    recogniser: Recogniser | None = None
    index: WordIndex | None = None
    ready: threading.Event = field(default_factory=threading.Event)
    started: bool = False

    def open(self, on_ready: Callable[[], None]) -> None:
        if self.started:
            return
        self.started = True
        threading.Thread(target=self._open, args=(on_ready,), name="writing-tools",
                         daemon=True).start()

    def _open(self, on_ready: Callable[[], None]) -> None:
        from kiosk.writing.handwriting import open_recogniser
        from kiosk.writing.words import WordIndex

        services = App.get_running_app().services
        settings = services.writing
        try:
            self.recogniser = open_recogniser(settings.handwriting_model)
        except Exception:  # an engine that fails must not take the keyboard with it
            log.exception("handwriting not offered")
        try:
            words = hall_words(settings.hall_words, services.categories)
            self.index = WordIndex(settings.word_index, words)
        except (OSError, ValueError) as error:
            log.error("pinyin keyboard has no words: %s", error)
        self.ready.set()
        Clock.schedule_once(lambda _dt: on_ready(), 0)


def hall_words(configured: Sequence[str], categories: Sequence[Any]) -> list[str]:
    """The hall's words offered first: configured ones, then category names and phrases."""
    words = list(configured)
    for category in categories:
        words += [category.name, *category.phrases]
    return list(dict.fromkeys(w for w in words if w))

