from kivy.uix.screenmanager import Screen

from kiosk.screens import load_kv
from kiosk.widgets import BigButton

load_kv("category")


class CategoryScreen(Screen):
    def show_categories(self, names: list[str]) -> None:
        grid = self.ids.grid
        grid.clear_widgets()
        for name in names:
            button = BigButton(text=name)
            button.bind(on_release=lambda b: self._chosen(b.text))
            grid.add_widget(button)

    def _chosen(self, name: str) -> None:
        from kivy.app import App

        App.get_running_app().choose_category(name)
