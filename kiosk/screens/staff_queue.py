"""Staff mode's 叫号: the number at the 说事桌 and how many wait; 叫下一位, 重呼, 接待完.
Silent like every staff screen: only the call itself is announced (chime and number)."""

from __future__ import annotations

from kivy.properties import StringProperty
from kivy.uix.screenmanager import Screen

from kiosk.screens import load_kv

load_kv("staff_queue")


class StaffQueueScreen(Screen):
    calling = StringProperty("")
    waiting = StringProperty("")

    def show(self, calling: str, waiting: str) -> None:
        self.calling, self.waiting = calling, waiting

    def prompt(self) -> list[str]:
        return []
