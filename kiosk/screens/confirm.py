from __future__ import annotations

from typing import TYPE_CHECKING

from kivy.properties import BooleanProperty, StringProperty
from kivy.uix.screenmanager import Screen

from kiosk.screens import load_kv
from sync.privacy import mask_phone

if TYPE_CHECKING:
    from kiosk.session import ResidentSession

load_kv("confirm")


class ConfirmScreen(Screen):
    category = StringProperty("")
    description = StringProperty("")
    details = StringProperty("")
    """Place, voice note, contact (the phone masked) and 公开 or not, one line."""
    message = StringProperty("")
    """Why 提交 did not go through (a full disk …); empty otherwise."""
    busy = BooleanProperty(False)
    """True from the tap on 提交 until the submission is stored, so it cannot be sent twice."""

    def show(self, session: ResidentSession) -> None:
        self.category, self.description = session.category, session.description
        parts = [f"地点：{session.place}" if session.place else "地点：未填"]
        if session.voice is not None:
            parts.append(f"录音{round(session.voice.seconds)}秒")
        contact = mask_phone(session.contact_phone)
        if session.contact_name:
            contact = f"{session.contact_name} {contact}"
        parts += [f"联系：{contact}", "公开" if session.public else "不公开"]
        self.details = "；".join(parts)
        self.message = ""
        self.busy = False

    def clear(self) -> None:
        self.category = self.description = self.details = self.message = ""
