"""Large, high-contrast widgets for elderly residents."""

from __future__ import annotations

from kivy.lang import Builder
from kivy.uix.button import Button

Builder.load_string(
    """
<BigButton>:
    font_size: "30sp"
    bold: True
    halign: "center"
    valign: "middle"
    text_size: self.width - dp(16), None
    background_normal: ""
    background_color: 0.09, 0.36, 0.69, 1
    color: 1, 1, 1, 1

<QuietButton@BigButton>:
    font_size: "24sp"
    background_color: 0.35, 0.35, 0.38, 1

<ReplayButton@BigButton>:
    text: "再听一遍"
    font_size: "28sp"
    background_color: 0.8, 0.45, 0.05, 1
    on_release: app.replay()

<KeyButton@BigButton>:
    font_size: "36sp"
    background_color: 0.2, 0.2, 0.24, 1
"""
)


class BigButton(Button):
    pass
