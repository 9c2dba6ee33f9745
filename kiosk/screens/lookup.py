from kivy.properties import StringProperty
from kivy.uix.screenmanager import Screen

from kiosk.screens import load_kv
from kiosk.session import MESSAGES
from sync.contract.ticket import TICKET_DIGITS, group, is_valid_ticket

load_kv("lookup")

PROMPT = "请输入回执上的号码"
WAITING = "正在查询……"
DELETE = "删除"


class LookupScreen(Screen):
    digits = StringProperty("")
    message = StringProperty(PROMPT)

    def clear(self) -> None:
        self.digits = ""
        self.message = PROMPT

    def press(self, key: str) -> None:
        if key == DELETE:
            self.digits = self.digits[:-1]
        elif len(self.digits) < TICKET_DIGITS:
            self.digits += key

    def shown(self) -> str:
        return group(self.digits) if len(self.digits) == TICKET_DIGITS else self.digits

    def search(self) -> None:
        from kivy.app import App

        app = App.get_running_app()
        if len(self.digits) != TICKET_DIGITS:
            self.message = f"号码是{TICKET_DIGITS}位数字，请输完整"
            app.speak_screen(MESSAGES["incomplete"])
        elif not is_valid_ticket(self.digits):
            self.message = "号码有误，请对照回执再输"
            app.speak_screen(MESSAGES["mistyped"])
        else:
            self.message = WAITING
            app.look_up(self.digits)
