from kivy.properties import StringProperty
from kivy.uix.screenmanager import Screen

from kiosk.screens import load_kv

load_kv("home")


class HomeScreen(Screen):
    hall_name = StringProperty("")
    hotline = StringProperty("")
