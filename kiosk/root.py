"""The screen manager: every touch goes past the idle guard first, and the screens after the
first frame's are made the first time they are needed."""

from __future__ import annotations

from importlib import import_module

from kivy.app import App
from kivy.input.motionevent import MotionEvent
from kivy.uix.screenmanager import Screen, ScreenManager

from kiosk.details import ASK_SCREENS


class KioskRoot(ScreenManager):
    """The screens; every touch goes past the idle guard, which may drop it. Screens named in
    ``MADE_ON_FIRST_USE`` are made the first time they are needed (the kiosk starts smaller)."""

    def on_touch_down(self, touch: MotionEvent) -> bool:
        if not App.get_running_app().idle.touched():
            return True
        return bool(super().on_touch_down(touch))

    def get_screen(self, name: str) -> Screen:
        if not self.has_screen(name) and name in MADE_ON_FIRST_USE:
            module, cls = MADE_ON_FIRST_USE[name]
            self.add_widget(getattr(import_module(module), cls)(name=name))
        return super().get_screen(name)


MADE_ON_FIRST_USE: dict[str, tuple[str, str]] = {
    "phone": ("kiosk.screens.phone", "PhoneScreen"),
    "write": ("kiosk.screens.write", "WriteScreen"),
    "voice": ("kiosk.screens.voice", "VoiceScreen"),
    **{name: ("kiosk.screens.ask", "AskScreen") for name in ASK_SCREENS},
    # coming back (查事, 评事, 附议) and the hall's information (公示栏, 便民服务, 说事日程)
    "rate": ("kiosk.screens.rate", "RateScreen"),
    "support": ("kiosk.screens.support", "SupportScreen"),
    "support_confirm": ("kiosk.screens.support", "SupportConfirmScreen"),
    "notices": ("kiosk.screens.notices", "NoticesScreen"),
    "services": ("kiosk.screens.services", "ServicesScreen"),
    "schedule": ("kiosk.screens.schedule", "ScheduleScreen"),
    # staff mode (long press in the home screen's corner, then the PIN)
    "staff_pin": ("kiosk.screens.staff", "StaffPinScreen"),
    "staff_menu": ("kiosk.screens.staff", "StaffMenuScreen"),
    "staff_reprint": ("kiosk.screens.staff", "StaffReprintScreen"),
    "staff_info": ("kiosk.screens.staff", "StaffInfoScreen"),
    "staff_assisted": ("kiosk.screens.assisted", "StaffAssistedScreen"),
    # 叫号 (kiosk/queue_flow.py)
    "queue_taken": ("kiosk.screens.queue_taken", "QueueTakenScreen"),
    "staff_queue": ("kiosk.screens.staff_queue", "StaffQueueScreen"),
}
"""Screen name → (module, class)."""
