from io import BytesIO

import qrcode
from kivy.core.image import Image as CoreImage
from kivy.properties import ObjectProperty, StringProperty
from kivy.uix.screenmanager import Screen

from kiosk.screens import load_kv
from sync.contract.ticket import group

load_kv("done")


class DoneScreen(Screen):
    ticket = StringProperty("")
    note = StringProperty("")
    qr_texture = ObjectProperty(None, allownone=True)

    def show_ticket(self, ticket: str, note: str, code: str = "") -> None:
        """``code``: what the QR holds (the receipt's, see kiosk.receipt_code); the ticket if
        not given."""
        self.ticket = group(ticket)
        self.note = note
        png = BytesIO()
        qrcode.make(code or ticket, box_size=8, border=2).save(png, format="PNG")
        png.seek(0)
        self.qr_texture = CoreImage(png, ext="png").texture

    def clear(self) -> None:
        """Forget the ticket, so the next resident never sees it."""
        self.ticket = ""
        self.note = ""
        self.qr_texture = None
