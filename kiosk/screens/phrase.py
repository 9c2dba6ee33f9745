from kivy.properties import StringProperty
from kivy.uix.screenmanager import Screen

from kiosk.choices import ChoicePages
from kiosk.screens import load_kv

load_kv("phrase")


class PhraseScreen(Screen):
    category = StringProperty("")
    """The category whose phrases are shown: a phrase tapped here is stored under it."""

    @property
    def choices(self) -> ChoicePages:
        pages: ChoicePages = self.ids.choices
        return pages
