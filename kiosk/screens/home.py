from kivy.app import App
from kivy.clock import Clock, ClockEvent
from kivy.input.motionevent import MotionEvent
from kivy.properties import BooleanProperty, StringProperty
from kivy.uix.screenmanager import Screen
from kivy.uix.widget import Widget

from kiosk.screens import load_kv
from kiosk.staff_mode import LONG_PRESS_SECONDS

load_kv("home")


class HomeScreen(Screen):
    hall_name = StringProperty("")
    hotline = StringProperty("")
    queue_open = BooleanProperty(False)
    """叫号 today (说事日, or every day where the hall says so): the 取号 button shows."""
    called = StringProperty("")
    """"请A003号到说事桌" while that number is called and not served, in the title's place."""
    _take_number: Widget | None = None

    def on_kv_post(self, base_widget: Widget) -> None:
        self._take_number = self.ids.take_number.__self__  # kept while out of the row
        self.on_queue_open()

    def on_queue_open(self, *_args: object) -> None:
        """取号 is in the first row only on a day numbers are taken."""
        row, button = self.ids.first_row, self._take_number
        if button is None:
            return
        if self.queue_open and button.parent is None:
            row.add_widget(button)
        elif not self.queue_open and button.parent is not None:
            row.remove_widget(button)


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
