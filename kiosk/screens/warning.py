"""The idle warning: "您还在吗？" with a countdown; a touch anywhere on it keeps the work."""

from kivy.app import App
from kivy.input.motionevent import MotionEvent
from kivy.properties import NumericProperty
from kivy.uix.modalview import ModalView

from kiosk.screens import load_kv

load_kv("warning")


class IdleWarning(ModalView):
    seconds_left = NumericProperty(0)

    def on_touch_down(self, touch: MotionEvent) -> bool:
        App.get_running_app().keep_going()
        return True

    def on_touch_up(self, touch: MotionEvent) -> bool:
        return True
