"""The phone number on the big keypad: 11 digits, checked, read back digit by digit, and
taken only on a second 确定 after the resident has heard it."""

from __future__ import annotations

from kivy.app import App
from kivy.properties import BooleanProperty, StringProperty
from kivy.uix.screenmanager import Screen

from kiosk.screens import load_kv
from kiosk.session import MESSAGES

load_kv("phone")

PHONE_DIGITS = 11
PROMPT = "号码只用于回访"
DELETE = "删除"


def is_mobile(digits: str) -> bool:
    """A mainland mobile number: 11 digits, starting 13–19."""
    return len(digits) == PHONE_DIGITS and digits.isdigit() and digits[:2] >= "13"


def grouped(digits: str) -> str:
    """138 1234 5678, as written and read back."""
    return " ".join(p for p in (digits[:3], digits[3:7], digits[7:]) if p)


class PhoneScreen(Screen):
    digits = StringProperty("")
    message = StringProperty(PROMPT)
    read_back = BooleanProperty(False)
    """The number was read back; the next 确定 takes it."""

    def begin(self, digits: str) -> None:
        self.digits = digits
        self.message = PROMPT
        self.read_back = False

    def press(self, key: str) -> None:
        self.read_back = False
        self.message = PROMPT
        if key == DELETE:
            self.digits = self.digits[:-1]
        elif len(self.digits) < PHONE_DIGITS:
            self.digits += key

    def shown(self) -> str:
        return grouped(self.digits)

    def confirm(self) -> None:
        from device.speech import speech_text_for_ticket

        app = App.get_running_app()
        if not is_mobile(self.digits):
            self.message = "手机号是1开头的11位数字"
            app.speak_screen(MESSAGES["phone_incomplete"])
        elif not self.read_back:
            self.read_back = True
            self.message = "对的请再点确定，不对请点删除改"
            app.speak_screen(MESSAGES["phone_read_back"],
                             f"{speech_text_for_ticket(grouped(self.digits))}。",
                             MESSAGES["phone_read_back_end"])
        else:
            app.phone_given(self.digits)
