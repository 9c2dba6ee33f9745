from kivy.uix.screenmanager import Screen

from kiosk.choices import ChoicePages
from kiosk.screens import load_kv

load_kv("category")


class CategoryScreen(Screen):
    @property
    def choices(self) -> ChoicePages:
        pages: ChoicePages = self.ids.choices
        return pages
