"""The screen manager: every touch goes past the idle guard first, and the screens after the
phrase are made the first time they are needed."""

from __future__ import annotations

from kivy.app import App
from kivy.input.motionevent import MotionEvent
from kivy.uix.screenmanager import Screen, ScreenManager

from kiosk.details import ASK_SCREENS


class KioskRoot(ScreenManager):
    """The screens; every touch goes past the idle guard, which may drop it. The screens
    after the phrase are made the first time they are needed (the kiosk starts smaller)."""

    def on_touch_down(self, touch: MotionEvent) -> bool:
        if not App.get_running_app().idle.touched():
            return True
        return bool(super().on_touch_down(touch))

    def get_screen(self, name: str) -> Screen:
        if not self.has_screen(name) and name in MADE_ON_FIRST_USE:
            self.add_widget(_make_screen(name))
        return super().get_screen(name)


MADE_ON_FIRST_USE = ("phone", "write", "voice", *ASK_SCREENS)


def _make_screen(name: str) -> Screen:
    if name == "phone":
        from kiosk.screens.phone import PhoneScreen

        return PhoneScreen(name=name)
    if name == "write":
        from kiosk.screens.write import WriteScreen

        return WriteScreen(name=name)
    if name == "voice":
        from kiosk.screens.voice import VoiceScreen

        return VoiceScreen(name=name)
    from kiosk.screens.ask import AskScreen

    return AskScreen(name=name)
