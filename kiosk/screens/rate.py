"""评事: 满意 / 基本满意 / 不满意, then a few reasons to choose (or 跳过), then thanks."""

from __future__ import annotations

from collections.abc import Callable
from functools import partial
from typing import Any

from kivy.app import App
from kivy.properties import StringProperty
from kivy.uix.boxlayout import BoxLayout
from kivy.uix.screenmanager import Screen
from kivy.uix.widget import Widget

from kiosk.rate_choices import REASONS, SCORES, SKIP
from kiosk.screens import load_kv
from kiosk.session import MESSAGES, naming
from kiosk.widgets import GO, GOOD_TEXT, PRIMARY, QUIET, REPLAY, SUBMIT, BigButton, FitLabel
from sync.contract.protocol import SCORE_LABELS, RatingScore, TicketStatus

load_kv("rate")

SCORE_COLOURS = {"satisfied": GO, "fair": PRIMARY, "unsatisfied": SUBMIT}
SUBMIT_LABEL = "提交"


class RateScreen(Screen):
    stage = StringProperty("score")

    def __init__(self, **kwargs: Any) -> None:
        super().__init__(**kwargs)
        self.view: TicketStatus | None = None
        self.score: RatingScore | None = None
        self._chosen: list[str] = []
        self._said: list[str] = []

    def begin(self, view: TicketStatus) -> None:
        self.view = view
        self.ask_score()

    def ask_score(self) -> None:
        self.score, self._chosen = None, []
        self.stage = "score"
        self._said = [MESSAGES["rate_ask"]]
        self._lay_out("您对办理结果满意吗？", self._score_buttons(),
                      [("返回", QUIET, lambda: _app().back_from_rating())])

    def ask_reasons(self, score: RatingScore) -> None:
        self.score, self._chosen = score, []
        self.stage = "reasons"
        self._said = [MESSAGES["rate_reasons"], naming(REASONS[score])]
        self._show_reasons()

    def toggle(self, reason: str) -> bool:
        """Choose ``reason`` or drop it again; True when it is chosen now."""
        if reason in self._chosen:
            self._chosen.remove(reason)
        else:
            self._chosen.append(reason)
        self._show_reasons()
        return reason in self._chosen

    def chosen_reasons(self) -> list[str]:
        return list(self._chosen)

    def thanked(self, reasons: list[str], *, replaced: bool) -> None:
        assert self.score is not None
        self.stage = "done"
        lines = [FitLabel(text=f"您的评价：{SCORE_LABELS[self.score]}")]
        if reasons:
            lines.append(FitLabel(text="原因：" + "、".join(reasons), kind="small"))
        self._said = [MESSAGES["rate_thanks"]]
        if replaced:
            lines.append(FitLabel(text="您之前的评价已经更新"))
            self._said.append(MESSAGES["rate_replaced"])
        self._lay_out("谢谢您的评价", lines, [], title_colour=GOOD_TEXT)

    def refused(self, message: str) -> None:
        self.stage = "done"
        self._said = [message]
        self._lay_out("没能评价", [FitLabel(text=message, kind="small")], [])

    def prompt(self) -> list[str]:
        return list(self._said)

    def clear(self) -> None:
        """Forget the ticket and the rating under way."""
        self.view, self.score, self._chosen, self._said = None, None, [], []
        self.stage = "score"
        self.ids.title.text = ""
        self.ids.body.clear_widgets()
        self.ids.bar.clear_widgets()

    def _score_buttons(self) -> list[Widget]:
        row = BoxLayout(spacing=_app().sizing.gap)
        for score in SCORES:
            row.add_widget(_button(SCORE_LABELS[score], SCORE_COLOURS[score],
                                   partial(_choose_score, score)))
        return [row]

    def _show_reasons(self) -> None:
        assert self.score is not None
        row = BoxLayout(spacing=_app().sizing.gap)
        for reason in REASONS[self.score]:
            chosen = reason in self._chosen
            row.add_widget(_button(reason, GO if chosen else PRIMARY,
                                   partial(_toggle_reason, reason)))
        shown = "已选：" + "、".join(self._chosen) if self._chosen else "可以选几个，也可以跳过"
        line = FitLabel(text=shown, kind="small", size_hint_y=None,
                        height=_app().sizing.small_font * 1.6)
        self._lay_out(f"{SCORE_LABELS[self.score]}：为什么？", [row, line], [
            ("返回", QUIET, lambda: _app().back_from_rating()),
            (SKIP, QUIET, lambda: _app().send_rating(with_reasons=False)),
            (SUBMIT_LABEL, SUBMIT, lambda: _app().send_rating(with_reasons=True))])

    def _lay_out(self, title: str, body: list[Widget],
                 buttons: list[tuple[str, tuple[float, ...], Callable[[], None]]], *,
                 title_colour: tuple[float, ...] = (1, 1, 1, 1)) -> None:
        self.ids.title.text = title
        self.ids.title.color = title_colour
        self.ids.body.clear_widgets()
        for widget in body:
            self.ids.body.add_widget(widget)
        if self.stage == "done":
            self.ids.body.add_widget(Widget())
        bar = self.ids.bar
        bar.clear_widgets()
        if self.stage == "done":
            buttons = [("返回首页", QUIET, lambda: _app().go("home"))]
        for text, colour, action in buttons:
            bar.add_widget(_button(text, colour, action))
        replay = _button("再听一遍", REPLAY, lambda: _app().replay(), spoken="")
        replay.color = replay.disabled_color = (0, 0, 0, 1)
        bar.add_widget(replay)


def _app() -> Any:
    return App.get_running_app()


def _choose_score(score: RatingScore) -> None:
    _app().choose_score(score)


def _toggle_reason(reason: str) -> None:
    _app().toggle_reason(reason)


def _button(text: str, colour: tuple[float, ...], action: Callable[[], None], *,
            spoken: str | None = None) -> BigButton:
    # as wide as its label needs, so 再听一遍 fits beside three others on 800 px
    button = BigButton(text=text, spoken=spoken, size_hint_x=len(text) + 1)
    button.background_color = colour
    button.bind(on_release=lambda _b: action())
    return button
