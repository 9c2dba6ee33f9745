from kivy.properties import StringProperty
from kivy.uix.screenmanager import Screen

from kiosk.screens import load_kv
from kiosk.session import OTHER
from kiosk.widgets import BigButton

load_kv("phrase")


class PhraseScreen(Screen):
    category = StringProperty("")

    def show_phrases(self, category: str, phrases: list[str]) -> None:
        self.category = category
        box = self.ids.phrases
        box.clear_widgets()
        for text in [*phrases, OTHER]:
            button = BigButton(text=text)
            button.bind(on_release=lambda b: self._chosen(b.text))
            box.add_widget(button)

    def _chosen(self, phrase: str) -> None:
        from kivy.app import App

        App.get_running_app().choose_phrase(phrase)
