"""代录说事 in staff mode: who is entering (录入人, one tap to the next name) and how the
resident raised it (当面说 / 电话说 / 书面说). Silent, as every staff screen."""

from __future__ import annotations

from kivy.app import App
from kivy.properties import ListProperty, NumericProperty, StringProperty
from kivy.uix.screenmanager import Screen

from kiosk.screens import load_kv

load_kv("assisted")


class StaffAssistedScreen(Screen):
    members = ListProperty([])
    chosen = NumericProperty(0)
    member = StringProperty("")

    def prompt(self) -> list[str]:
        return []

    def reset(self, members: list[str]) -> None:
        self.members, self.chosen = members, 0
        self.member = members[0]

    def next_member(self) -> None:
        self.chosen = (int(self.chosen) + 1) % len(self.members)
        self.member = self.members[int(self.chosen)]

    def start(self, channel: str) -> None:
        App.get_running_app().staff_assisted_start(channel, self.member)
