"""叫号 on the kiosk's screens: 取号 on the home screen on 说事日, the called number shown big
there until served, staff mode's 叫号 page, and the call announced with a chime and speech
(from staff mode or from the central console, through sync.queue_link).

Changes made on the screen commit on the UI thread (milliseconds, like 提交); the link's
thread reports them, carries out the console's calls and hands what changed to the UI
thread with Clock.
"""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Callable
from datetime import date, datetime
from pathlib import Path
from typing import TYPE_CHECKING, Any

from kiosk.session import MESSAGES

if TYPE_CHECKING:  # the store, the link and the printer load after the first frame
    from kiosk.config import AppConfig, QueueConfig
    from kiosk.queue import QueueBook, QueueNow
    from sync.http import ServerLink
    from sync.queue_link import QueueLink
    from sync.store import Store

log = logging.getLogger(__name__)

OPEN_RECHECK_S = 60.0
"""Whether today is 说事日 is read from the catalog again after this long."""


class QueueDesk:
    """The kiosk's 叫号 parts: the book over the store, the call's chime and the link with
    the central console, started after the first frame and stopped with the kiosk."""

    def __init__(self, cfg: AppConfig, store: Callable[[], Store]) -> None:
        from kiosk.wiring import speech_paths

        self.chime_path = speech_paths(cfg.speech)[1] / \
            f"chime-queue-{round(cfg.speech.volume * 100)}.wav"  # kept by the cache's prune
        self.chime: Path | None = None
        self.book: QueueBook | None = None
        self.link: QueueLink | None = None
        self._cfg = cfg
        self._store = store
        self._open: tuple[date, float, bool] | None = None
        self._stopped = threading.Event()
        self._thread: threading.Thread | None = None

    @property
    def settings(self) -> QueueConfig:
        return self._cfg.queue

    def start(self, app: Any) -> None:
        """On the UI thread after the first frame: the rest waits for the store on a thread
        of its own."""
        app.queue_desk = self
        if not self.settings.enabled:
            return
        self._thread = threading.Thread(target=self._start, args=(app,), name="queue-start",
                                        daemon=True)
        self._thread.start()

    def _start(self, app: Any) -> None:
        from kivy.clock import Clock

        from kiosk.queue import write_call_chime
        from sync.queue_link import QueueLink

        try:
            book = self.book_now()
            self.chime = write_call_chime(self.chime_path, self._cfg.speech.volume)
        except Exception as exc:  # no queue rather than no kiosk
            log.error("叫号 is off: %s", type(exc).__name__)
            return

        def called(number: int) -> None:  # on the link's thread
            Clock.schedule_once(lambda _dt: app.queue_called(number))

        def round_done() -> None:
            is_open, now = self.is_open(), book.now()
            Clock.schedule_once(lambda _dt: app.queue_refresh(is_open, now))

        def server() -> ServerLink:  # with the signing key: loaded once there is a report
            from kiosk.cli_sync import server_link

            return server_link(self._cfg)

        link = QueueLink(book, server,
                         poll_seconds=self.settings.poll_seconds,
                         on_called=called, on_round=round_done)
        if not self._stopped.is_set():
            self.link = link
            link.start()

    def stop(self) -> None:
        self._stopped.set()
        if self._thread is not None:
            self._thread.join(10)
        if self.link is not None:
            self.link.stop()

    def book_now(self) -> QueueBook:
        """The book, waiting for the store if the kiosk has only just started."""
        if self.book is None:
            from kiosk.queue import QueueBook

            self.book = QueueBook(self._store(), self._cfg.hall.kiosk_code)
        return self.book

    def is_open(self) -> bool:
        """Whether numbers are taken today (read again each minute and each new day)."""
        from kiosk.queue import is_queue_day

        today, clock = date.today(), time.monotonic()
        cached = self._open
        if cached is not None and cached[0] == today and clock - cached[1] < OPEN_RECHECK_S:
            return cached[2]
        schedule: list[dict[str, object]] = []
        if self.settings.enabled and not self.settings.every_day:
            from kiosk.board import catalog

            schedule = catalog(self.book_now().store, "schedule")
        is_open = is_queue_day(self.settings, schedule, today)
        self._open = (today, clock, is_open)
        return is_open

    def changed(self) -> None:
        if self.link is not None:
            self.link.changed()


class QueueFlow:
    """KioskApp's part for 叫号. ``self`` is the KioskApp."""

    queue_desk: QueueDesk | None = None
    services: Any
    root: Any

    if TYPE_CHECKING:
        def go(self, name: str) -> None: ...
        def speak_screen(self, *texts: str) -> None: ...
        def _say(self, text: str) -> None: ...

    def queue_home_prompt(self) -> list[str]:
        """What the home screen's prompt adds on a day numbers are taken."""
        return [MESSAGES["home_queue"]] if self.root.get_screen("home").queue_open else []

    # ---- the resident: 取号 ----

    def take_queue_number(self) -> None:
        from sqlalchemy.exc import SQLAlchemyError

        from kiosk.queue import QueueFull, taken_speech, taken_text
        from kiosk.slips import queue_slip

        desk = self.queue_desk
        if desk is None or not self.root.get_screen("home").queue_open:
            return
        try:
            taken = desk.book_now().take()
        except QueueFull:
            self.speak_screen(MESSAGES["queue_full"])
            return
        except (SQLAlchemyError, OSError) as error:
            log.error("no queue number: %s", type(error).__name__)
            self.speak_screen(MESSAGES["queue_not_taken"])
            return
        desk.changed()
        intake = self.services.intake
        layout = queue_slip(taken.label, taken.ahead, intake.hall.text, taken_at=taken.taken_at,
                            columns=intake.printer.printer.profile.columns)
        name = f"queue-{taken.label}-{datetime.now():%Y%m%d-%H%M%S}"
        try:
            printing = intake.print_slip(name, layout, label=taken.label)
        except OSError as error:
            log.error("could not queue %s: %s", name, error)
            printing = False
        print(f"QUEUE TAKEN {taken.label}", flush=True)
        message, said = taken_text(taken), taken_speech(taken)
        if not printing:
            message, said = f"{message}\n{MESSAGES['queue_not_printed']}", \
                f"{said}。{MESSAGES['queue_not_printed']}"
        self.root.get_screen("queue_taken").show(taken.label, message, said)
        self.go("queue_taken")
        self._queue_show()

    # ---- what changed: the home screen and the staff page ----

    def queue_refresh(self, is_open: bool, now: QueueNow) -> None:
        from kiosk.queue import call_text
        from sync.contract.queue import queue_label

        home = self.root.get_screen("home")
        home.queue_open = is_open
        home.called = call_text(now.called) if now.called is not None else ""
        if self.root.has_screen("staff_queue"):
            self.root.get_screen("staff_queue").show(
                f"正在叫：{queue_label(now.called)}" if now.called is not None else "现在没有叫号",
                f"等候 {now.waiting} 人")

    def _queue_show(self) -> None:
        desk = self.queue_desk
        if desk is None or not desk.settings.enabled:
            if self.root.has_screen("staff_queue"):
                self.root.get_screen("staff_queue").show("本机未开启叫号",
                                                         "[queue] enabled = false")
            return
        try:
            now = desk.book_now().now()
        except Exception as error:  # the next round of the link shows it again
            log.error("could not read the queue: %s", type(error).__name__)
            return
        self.queue_refresh(self.root.get_screen("home").queue_open, now)

    def queue_called(self, number: int) -> None:
        """A number was called (here or at the console): announce it, show it."""
        from kiosk.queue import call_speech
        from sync.contract.queue import queue_label

        desk = self.queue_desk
        speech = self.services.speech
        if desk is not None and desk.chime is not None:
            speech.play_recording(desk.chime)  # silent while muted, like speech
        self._say(call_speech(number))
        print(f"QUEUE CALLED {queue_label(number)}", flush=True)
        self._queue_show()

    # ---- staff mode: 叫号 ----

    def staff_queue(self) -> None:
        self.root.get_screen("staff_queue")
        self._queue_show()
        self.go("staff_queue")

    def staff_queue_next(self) -> None:
        self._staff_queue_act(lambda book: book.call_next(), announce=True)

    def staff_queue_again(self) -> None:
        self._staff_queue_act(lambda book: book.call_again(), announce=True)

    def staff_queue_served(self) -> None:
        self._staff_queue_act(lambda book: book.served(), announce=False)

    def _staff_queue_act(self, act: Callable[[QueueBook], int | None], *, announce: bool
                         ) -> None:
        desk = self.queue_desk
        if desk is None or not desk.settings.enabled:
            return
        number = act(desk.book_now())
        desk.changed()
        if number is not None and announce:
            self.queue_called(number)
        else:
            self._queue_show()
