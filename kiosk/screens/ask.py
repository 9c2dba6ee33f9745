"""One question with big choices (where is it, may we call you, may neighbours see it …);
the resident's path through them is in kiosk.details."""

from typing import Any

from kivy.properties import StringProperty
from kivy.uix.screenmanager import Screen

from kiosk.choices import ChoicePages
from kiosk.screens import load_kv
from kiosk.widgets import GrowingLabel

load_kv("ask")


class AskScreen(Screen):
    title = StringProperty("")
    explain = StringProperty("")
    """A line under the question, e.g. what a phone number is used for (consent)."""

    @property
    def choices(self) -> ChoicePages:
        pages: ChoicePages = self.ids.choices
        return pages

    def __init__(self, **kwargs: Any) -> None:
        super().__init__(**kwargs)
        self._explain = GrowingLabel()
        self.fbind("explain", self._show_explain)

    def _show_explain(self, *_args: object) -> None:
        """The line under the question takes a place (and a gap) only when there is one."""
        label, box = self._explain, self.ids.title.parent
        label.text = self.explain
        if self.explain and label.parent is None:
            box.add_widget(label, index=len(box.children) - 1)  # right under the title
        elif not self.explain and label.parent is not None:
            box.remove_widget(label)
