from kivy.app import App
from kivy.clock import Clock, ClockEvent
from kivy.input.motionevent import MotionEvent
from kivy.properties import StringProperty
from kivy.uix.screenmanager import Screen
from kivy.uix.widget import Widget

from kiosk.screens import load_kv
from kiosk.staff_mode import LONG_PRESS_SECONDS

load_kv("home")


class HomeScreen(Screen):
    hall_name = StringProperty("")
    hotline = StringProperty("")


class StaffCorner(Widget):
    """An invisible square in the top-right corner: held for LONG_PRESS_SECONDS it opens the
    staff PIN; a brief touch there does nothing."""

    _held: ClockEvent | None = None

    def on_touch_down(self, touch: MotionEvent) -> bool:
        if not self.collide_point(*touch.pos):
            return False
        touch.grab(self)
        self._held = Clock.schedule_once(lambda _dt: App.get_running_app().open_staff(),
                                         LONG_PRESS_SECONDS)
        return True

    def on_touch_up(self, touch: MotionEvent) -> bool:
        if touch.grab_current is not self:
            return False
        touch.ungrab(self)
        if self._held is not None:
            self._held.cancel()
            self._held = None
        return True
