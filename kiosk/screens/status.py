from kivy.properties import StringProperty
from kivy.uix.screenmanager import Screen

from kiosk.screens import load_kv
from kiosk.widgets import STEP_AHEAD, STEP_CURRENT, STEP_PASSED, FitLabel, StepLabel
from sync.contract.protocol import STEP_LABELS, Step
from sync.contract.ticket import group

load_kv("status")


class StatusScreen(Screen):
    ticket = StringProperty("")
    category = StringProperty("")
    note = StringProperty("")

    def show_status(self, ticket: str, category: str, step: Step, note: str) -> None:
        """The six steps in a row: those passed in green, the current one filled in amber."""
        self.ticket = group(ticket)
        self.category = category
        self.note = note or "暂无说明"
        row = self.ids.steps
        row.clear_widgets()
        for each, label in STEP_LABELS.items():
            if each is step:
                row.add_widget(StepLabel(text=label, fill=STEP_CURRENT, color=(0, 0, 0, 1),
                                         bold=True))
            else:
                passed = each.number < step.number
                row.add_widget(FitLabel(text=label, color=STEP_PASSED if passed else STEP_AHEAD))

    def clear(self) -> None:
        """Forget the ticket shown, so the next resident never sees it."""
        self.ticket = self.category = self.note = ""
        self.ids.steps.clear_widgets()
