from kivy.properties import BooleanProperty, StringProperty
from kivy.uix.screenmanager import Screen

from kiosk.screens import load_kv

load_kv("confirm")


class ConfirmScreen(Screen):
    category = StringProperty("")
    description = StringProperty("")
    busy = BooleanProperty(False)
    """True from the tap on 提交 until the submission is stored, so it cannot be sent twice."""
