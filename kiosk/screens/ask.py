"""One question with big choices (where is it, may we call you, may neighbours see it …);
the resident's path through them is in kiosk.details."""

from kivy.properties import StringProperty
from kivy.uix.screenmanager import Screen

from kiosk.choices import ChoicePages
from kiosk.screens import load_kv

load_kv("ask")


class AskScreen(Screen):
    title = StringProperty("")
    explain = StringProperty("")
    """A line under the question, e.g. what a phone number is used for (consent)."""

    @property
    def choices(self) -> ChoicePages:
        pages: ChoicePages = self.ids.choices
        return pages
