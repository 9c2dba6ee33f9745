from __future__ import annotations

from typing import TYPE_CHECKING

from kivy.properties import BooleanProperty, StringProperty
from kivy.uix.screenmanager import Screen

from kiosk.screens import load_kv
from sync.contract.protocol import CHANNEL_LABELS
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
        self.details = details_line(session)
        self.message = ""
        self.busy = False

    def clear(self) -> None:
        self.category = self.description = self.details = self.message = ""


def details_line(session: ResidentSession) -> str:
    """Place, voice note, contact (the phone masked) and 公开 on one line; only what the
    resident gave, so a screen with nothing more to show keeps its room for the content."""
    parts = [f"地点：{session.place}"] if session.place else []
    if session.voice is not None:
        parts.append(f"录音{round(session.voice.seconds)}秒")
    if session.contact_phone or session.contact_name:
        contact = mask_phone(session.contact_phone) if session.contact_phone else ""
        parts.append("联系：" + " ".join(p for p in (session.contact_name, contact) if p))
    if session.public:
        parts.append("公开")
    if session.entered_by is not None:
        parts.append(f"{CHANNEL_LABELS[session.channel]}，{session.entered_by}代录")
    return "；".join(parts)
