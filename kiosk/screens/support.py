"""附议: an open public issue offered before raising one's own, and the check before 提交附议."""

from __future__ import annotations

from collections.abc import Sequence

from kivy.app import App
from kivy.properties import BooleanProperty, NumericProperty, StringProperty
from kivy.uix.screenmanager import Screen

from kiosk.screens import load_kv
from kiosk.session import MESSAGES, ResidentSession
from sync.contract.protocol import PublicIssue
from sync.privacy import mask_phone

load_kv("support")


def _what(issue: PublicIssue) -> str:
    return f"{issue.description}（{issue.place}）" if issue.place else issue.description


class SupportScreen(Screen):
    """这件事已经有人说了: one open public issue a page, 我也遇到了 or 我要说别的."""

    summary = StringProperty("")
    facts = StringProperty("")
    index = NumericProperty(0)
    count = NumericProperty(0)

    def __init__(self, **kwargs: object) -> None:
        super().__init__(**kwargs)
        self._issues: list[PublicIssue] = []

    @property
    def issue(self) -> PublicIssue | None:
        return self._issues[int(self.index)] if self._issues else None

    def show(self, issues: Sequence[PublicIssue]) -> None:
        self._issues = list(issues)
        self.count = len(self._issues)
        self.index = 0
        self._refresh()

    def turn_on(self) -> None:
        """下一件 (after the last, the first again): the issue shown is read aloud."""
        if self._issues:
            self.index = (int(self.index) + 1) % len(self._issues)
            self._refresh()
        App.get_running_app().speak_screen(*self.prompt()[1:])

    def _refresh(self) -> None:
        issue = self.issue
        if issue is None:
            self.summary = self.facts = ""
            return
        facts = [f"现在在{issue.step.label}阶段"]
        if issue.supporters:
            facts.append(f"已有{issue.supporters}位居民附议")
        if self.count > 1:
            facts.append(f"第{int(self.index) + 1}件，共{int(self.count)}件")
        self.summary = _what(issue)
        self.facts = "，".join(facts)

    def prompt(self) -> list[str]:
        issue = self.issue
        if issue is None:
            return []
        said = [MESSAGES["me_too_offer"], f"{_what(issue)}。{self.facts}。"]
        return [*said, MESSAGES["me_too_choices"]]

    def clear(self) -> None:
        self._issues = []
        self.count = self.index = 0
        self._refresh()


class SupportConfirmScreen(Screen):
    """请核对: the issue supported and the phone (masked), then 提交附议."""

    summary = StringProperty("")
    contact = StringProperty("")
    message = StringProperty("")
    busy = BooleanProperty(False)
    """True from the tap on 提交附议 until the support is stored, so it cannot be sent twice."""

    def show(self, session: ResidentSession) -> None:
        issue = session.supporting
        self.summary = f"{issue.category}：{_what(issue)}" if issue else ""
        phone = session.contact_phone
        self.contact = f"电话：{mask_phone(phone)}" if phone else "不留电话（匿名）"
        self.message = ""
        self.busy = False

    def prompt(self) -> list[str]:
        return [MESSAGES["support_confirm"], self.summary, MESSAGES["support_confirm_end"]]

    def clear(self) -> None:
        self.summary = self.contact = self.message = ""
        self.busy = False
