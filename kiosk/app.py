"""The Kivy application: screens, navigation, what is said, and hand-offs from worker threads."""

from __future__ import annotations

import logging
import threading
from collections import deque
from collections.abc import Callable
from typing import TYPE_CHECKING, Any

from kivy.app import App
from kivy.clock import Clock
from kivy.core.window import Window
from kivy.properties import BooleanProperty, ObjectProperty
from kivy.uix.screenmanager import NoTransition, ScreenManager

from kiosk.assisted import AssistedFlow, staff_note
from kiosk.board_flow import BoardFlow
from kiosk.come_back import ComeBackFlow
from kiosk.details import ASK_SCREENS, DetailsFlow
from kiosk.idle import IdleGuard
from kiosk.intake import SubmissionNotSaved
from kiosk.kivy_setup import fill_the_screen
from kiosk.me_too import MeTooFlow
from kiosk.queue_flow import QueueFlow
from kiosk.receipt_code import receipt_code
from kiosk.root import KioskRoot
from kiosk.services import KioskServices
from kiosk.session import (
    MESSAGES,
    OTHER,
    SCREEN_PROMPTS,
    ResidentSession,
    kiosk_prompts,
    page_prompt,
)
from kiosk.sizing import LARGE_TEXT_ZOOM, Sizing, px_per_mm
from kiosk.staff_mode import StaffFlow
from kiosk.widgets import SCREEN_BACKGROUND

if TYPE_CHECKING:
    from kiosk.screens.warning import IdleWarning

log = logging.getLogger(__name__)

RESULT_SCREENS = ("done", "status", "notices", "services", "schedule")
"""Screens that are read rather than answered: left alone longer before the idle reset."""
RENDERED_APART_WAIT_S = 8.0
"""On a first start a prompt not yet rendered by the other process is waited for this long
(the home greeting, the first it renders, comes a second or two late) before the speech
worker renders it itself."""


def resident_note(receipt_coming: bool) -> str:
    """The done screen's line for the resident, as said aloud."""
    return ("请取走回执，凭号码或扫码查询进度" if receipt_coming
            else "打印机暂时不能出回执，请记下上面的号码，或找工作人员补打")


class KioskApp(DetailsFlow, ComeBackFlow, MeTooFlow, BoardFlow, StaffFlow, AssistedFlow,
               QueueFlow, App):
    title = "说事厅"
    sizing = ObjectProperty(None)
    large_text = BooleanProperty(False)
    """大字: everything drawn bigger, for this visit."""
    slow_speech = BooleanProperty(False)
    """慢一点: slower speech, for this visit."""

    def __init__(self, services: KioskServices, on_started: Callable[[KioskApp], None] | None = None
                 ) -> None:
        self.sizing = Sizing()
        super().__init__()
        self.services = services
        self.session = ResidentSession()
        self.idle = IdleGuard(services.idle, limit_for=self._idle_limit, has_work=self._has_work,
                              on_warn=self._warn, on_keep=self._keep, on_reset=self.start_afresh)
        self._on_started = on_started
        self._echo: str | None = None
        self._last_said: list[str] = []
        self.spoken: deque[str] = deque(maxlen=40)
        """What this app asked to be said, newest last (for --ui-report; kept in memory only)."""
        self._lookup_token = 0
        self._warning: IdleWarning | None = None
        self._categories = {c.name: list(c.phrases) for c in services.categories}
        self._details_init(services.places, services.voice_offered)

    # ---- building and sizing ----

    def build(self) -> ScreenManager:
        from kiosk.screens.home import HomeScreen

        Window.clearcolor = SCREEN_BACKGROUND
        fill_the_screen()
        Window.bind(size=self._measure_panel)
        self._measure_panel()
        manager = KioskRoot(transition=NoTransition())
        home = HomeScreen(name="home")
        home.hall_name = self.services.hall_name
        home.hotline = self.services.hotline
        manager.add_widget(home)  # what the first frame shows; the other screens follow it
        manager.bind(current=lambda *_: self.idle.screen_changed())
        return manager

    def _measure_panel(self, *_args: object) -> None:
        width, height = Window.size
        self.sizing.px_per_mm = px_per_mm(width, height, self.services.diagonal_inches)

    def on_large_text(self, _app: object, large: bool) -> None:
        self.sizing.zoom = LARGE_TEXT_ZOOM if large else 1.0

    def on_slow_speech(self, _app: object, slow: bool) -> None:
        self.services.speech.set_slow(slow)

    def on_start(self) -> None:
        from kiosk.kivy_setup import after_first_frame

        Clock.schedule_interval(lambda _dt: self.idle.tick(), 0.25)

        def home_shown() -> None:
            from kiosk.screens.category import CategoryScreen
            from kiosk.screens.confirm import ConfirmScreen
            from kiosk.screens.done import DoneScreen
            from kiosk.screens.lookup import LookupScreen
            from kiosk.screens.phrase import PhraseScreen
            from kiosk.screens.status import StatusScreen

            for screen in (CategoryScreen(name="category"), PhraseScreen(name="phrase"),
                           ConfirmScreen(name="confirm"), DoneScreen(name="done"),
                           LookupScreen(name="lookup"), StatusScreen(name="status")):
                self.root.add_widget(screen)
            self._prepare_prompts()
            # asking for the microphone may run arecord: done here, not when 说给我听 is shown
            threading.Thread(target=self.services.voice_offered, name="microphone-check",
                             daemon=True).start()
            self.go("home")
            if self._on_started is not None:
                self._on_started(self)

        after_first_frame(home_shown)  # the first frame waits for none of this

    def _prepare_prompts(self) -> None:
        """Fixed prompts and button words go into the cache (only the first start, or after a
        settings change, has work to do); registered before the home prompt is said, so it is
        played from there. Rendered by a process of its own where one is given, else in the
        speech worker's idle time."""
        prompts = kiosk_prompts(self._categories.items(), self.services.places.names)
        render_apart = self.services.render_prompts_apart
        if render_apart is None:
            self.services.speech.prepare(prompts, prune=True)
        else:
            render_apart()
            self.services.speech.register(prompts, rendered_elsewhere_s=RENDERED_APART_WAIT_S)

    def on_stop(self) -> None:
        self.services.speech.stop()

    # ---- what is said ----

    def note_press(self, label: str) -> None:
        """A button went down: its label is said with whatever its action says."""
        self._echo = label or None

    def flush_echo(self) -> None:
        """A button's action said nothing: say its label alone."""
        if self._echo is not None:
            self.speak_screen()

    def speak_screen(self, *texts: str) -> None:
        """Cut off what was being said; say the pressed button's label, then ``texts``,
        which 再听一遍 repeats."""
        self.services.speech.stop()
        if self._echo:
            self._say(self._echo)
        self._echo = None
        if texts:
            self._last_said = list(texts)
        for text in texts:
            self._say(text)

    def _say(self, text: str) -> None:
        self.spoken.append(text)
        self.services.speech.say(text)

    def replay(self) -> None:
        """再听一遍: what this screen last said, again."""
        self._echo = None
        self.speak_screen(*self._last_said)

    def toggle_large_text(self) -> None:
        self.large_text = not self.large_text
        self.speak_screen(MESSAGES["large_on" if self.large_text else "large_off"])

    def toggle_slow_speech(self) -> None:
        self.slow_speech = not self.slow_speech
        self.speak_screen(MESSAGES["slow_on" if self.slow_speech else "slow_off"])

    # ---- navigation ----

    def go(self, name: str) -> None:
        self._lookup_token += 1  # a lookup still under way no longer moves the screen
        if name == "lookup":
            self.root.get_screen("lookup").clear()
        if name == "home":
            self.session.reset()
            self._forget_results()
        self.root.current = name
        self.speak_screen()  # the pressed button's label, at once
        # The prompt names the choices shown, known once the screen is laid out: after
        # this frame's layout pass.
        Clock.schedule_once(lambda _dt: self._say_prompt(name), 0)

    def _say_prompt(self, name: str) -> None:
        if self.root.current != name:
            return
        self._last_said = self._prompt_for(name)
        for text in self._last_said:
            self._say(text)

    def _prompt_for(self, name: str) -> list[str]:
        screen = self.root.get_screen(name)
        if name in ("category", "phrase"):
            pages = screen.choices
            return [page_prompt(SCREEN_PROMPTS[name], pages.shown(), int(pages.page),
                                int(pages.pages))]
        if name == "confirm":
            return [SCREEN_PROMPTS["confirm"], self.session.read_back(), MESSAGES["confirm_end"]]
        if name in ASK_SCREENS:
            return self.ask_prompt(name)
        if name == "home":
            return [SCREEN_PROMPTS["home"], *self.queue_home_prompt(), MESSAGES["home_more"]]
        if callable(getattr(screen, "prompt", None)):  # a screen that knows what to say
            said: list[str] = screen.prompt()
            return said
        prompt = SCREEN_PROMPTS.get(name)
        return [prompt] if prompt else []

    def _page_turned(self) -> None:
        self.idle.screen_changed()
        self.speak_screen(*self._prompt_for(self.root.current))

    def start_saying(self) -> None:
        self.session.reset()
        self._show_categories()
        self.go("category")

    def _show_categories(self) -> None:
        self.root.get_screen("category").choices.show(
            list(self._categories), self.choose_category, self._page_turned)

    def choose_category(self, name: str) -> None:
        phrases = self._categories.get(name, [])
        self.session.choose_category(name, phrases)
        if not self.offer_support(name):  # 附议 first where neighbours said it already
            self.continue_category(name)

    def continue_category(self, name: str) -> None:
        """The phrases of the category chosen, or the resident's own words."""
        phrases = self._categories.get(name, [])
        if name == OTHER or not phrases:
            self.begin_details()
            return
        screen = self.root.get_screen("phrase")
        screen.category = name
        screen.choices.show([*phrases, OTHER], lambda p: self.choose_phrase(name, p),
                            self._page_turned)
        self.go("phrase")

    def choose_phrase(self, category: str, phrase: str) -> None:
        self.session.choose_phrase(category, phrase)
        self.begin_details()

    def show_confirm(self) -> None:
        self.root.get_screen("confirm").show(self.session)
        self.go("confirm")

    def back_to_choices(self) -> None:
        """返回 from the first step after the phrase: to the phrases of the chosen category,
        or to the categories."""
        category = self.session.category
        if self.root.get_screen("phrase").category == category and self._categories.get(category):
            self.go("phrase")
        else:
            self.go("category")

    def submit(self) -> None:
        channel = self.session.channel  # the session is forgotten once stored
        self.store_and_hand_over(self.root.get_screen("confirm"),
                                 lambda: self.services.intake.submit(self.session.draft()).ticket,
                                 "SUBMITTED", handed_over=staff_note(channel) or resident_note)

    def store_and_hand_over(self, screen: Any, store: Callable[[], str], event: str, *,
                            handed_over: Callable[[bool], str] = resident_note) -> None:
        """提交 on ``screen`` (a submission, a 附议): ``store`` stores it durably, queues its
        receipt, says the number and returns the ticket; then the done screen shows it with
        ``handed_over(receipt coming)``. Refused (SubmissionNotSaved): nothing was stored,
        ``screen`` says why and keeps all."""
        if screen.busy:
            return
        screen.busy = True
        speech = self.services.speech
        speech.stop()
        self._echo = None
        speech.chime()  # intake then says the ticket number after it
        # Stored durably here, before the done screen or the receipt; a SQLite commit is
        # milliseconds, so it stays on the UI thread and the order is plain to see.
        try:
            ticket = store()
        except SubmissionNotSaved as refused:  # nothing stored; what was entered stays
            screen.busy = False
            screen.message = refused.message
            self.speak_screen(refused.message)
            print(f"NOT SAVED {refused.reason}", flush=True)
            return
        self._last_said = self.services.intake.last_announcement
        self.spoken.extend(self._last_said)
        print(f"{event} {ticket}", flush=True)
        self.session.voice = None  # the store holds the recording now: not deleted with the rest
        self.session.reset()
        intake = self.services.intake
        self.root.get_screen("done").show_ticket(
            ticket, handed_over(intake.receipt_coming),
            receipt_code(ticket, intake.hall.status_url))  # the same QR as on the receipt
        self._lookup_token += 1
        self.root.current = "done"

    # ---- left alone ----

    def _idle_limit(self) -> float:
        limits = self.services.idle
        return limits.result_seconds if self.root.current in RESULT_SCREENS \
            else limits.idle_seconds

    def _has_work(self) -> bool:
        return (self.root.current != "home" or not self.session.is_empty or self.large_text
                or self.slow_speech)

    def _warn(self, seconds_left: int) -> None:
        from kiosk.screens.warning import IdleWarning

        if self._warning is None:
            warning = IdleWarning()
            warning.seconds_left = seconds_left
            warning.open(animation=False)
            self._warning = warning
            screen_said = self._last_said
            self.speak_screen(MESSAGES["idle_warning"])
            self._last_said = screen_said  # 再听一遍 after the warning: the screen's words
        else:
            self._warning.seconds_left = seconds_left

    def _close_warning(self) -> None:
        if self._warning is not None:
            self._warning.dismiss(animation=False)
            self._warning = None

    def _keep(self) -> None:
        self._close_warning()
        self.replay()

    def keep_going(self) -> None:
        """A touch on the idle warning: the resident is still here."""
        self.idle.touched()

    def start_afresh(self) -> None:
        """Nobody is here any more: forget everything entered and go home, silently."""
        self._close_warning()
        if self.root.has_screen("voice"):
            self.root.get_screen("voice").leave()
        self.session.reset()
        self.large_text = False
        self.slow_speech = False
        self._forget_results()
        self._lookup_token += 1
        self.root.current = "home"
        self.services.speech.stop()
        self._echo, self._last_said = None, list(self._prompt_for("home"))
        print("IDLE RESET", flush=True)

    def _forget_results(self) -> None:
        """Every screen that showed something of this resident's forgets it."""
        for screen in self.root.screens:
            if callable(getattr(screen, "clear", None)):
                screen.clear()
