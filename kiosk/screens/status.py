from kivy.properties import StringProperty
from kivy.uix.label import Label
from kivy.uix.screenmanager import Screen

from kiosk.screens import load_kv
from sync.protocol import STEP_LABELS, Step
from sync.ticket import group

load_kv("status")

CURRENT = (0.95, 0.75, 0.1, 1)
PASSED = (0.6, 0.85, 0.6, 1)
AHEAD = (0.55, 0.55, 0.55, 1)


class StatusScreen(Screen):
    ticket = StringProperty("")
    category = StringProperty("")
    step_label = StringProperty("")
    note = StringProperty("")

    def show_status(self, ticket: str, category: str, step: Step, note: str) -> None:
        self.ticket = group(ticket)
        self.category = category
        self.step_label = step.label
        self.note = note or "暂无说明"
        row = self.ids.steps
        row.clear_widgets()
        for number, (each, label) in enumerate(STEP_LABELS.items(), start=1):
            color = CURRENT if each is step else PASSED if number < step.number else AHEAD
            row.add_widget(Label(text=f"{number}\n{label}", font_size="28sp", color=color,
                                 bold=each is step, halign="center"))
