"""便民服务 (私事): first the kinds of service present as big buttons, then the entries of
the chosen kind one a page, each with 打印小票 (kiosk.board_flow)."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from kivy.app import App
from kivy.clock import Clock
from kivy.properties import NumericProperty, StringProperty
from kivy.uix.boxlayout import BoxLayout
from kivy.uix.screenmanager import Screen

from kiosk.board import Service, service_said, text_pages
from kiosk.choices import ChoicePages
from kiosk.screens import load_kv
from kiosk.screens.notices import LINE_HEIGHT, TurnButtons
from kiosk.session import MESSAGES, page_prompt


class ServiceKindsView(BoxLayout):
    note = StringProperty("")
    age = StringProperty("")


class ServiceEntryView(BoxLayout):
    age = StringProperty("")
    meta = StringProperty("")
    name = StringProperty("")
    phone = StringProperty("")
    hours = StringProperty("")
    helps = StringProperty("")


class ServicesScreen(Screen):
    kind = StringProperty("")
    """The kind whose entries are shown; "" while the kinds are."""
    index = NumericProperty(0)
    age = StringProperty("")

    def __init__(self, **kwargs: Any) -> None:
        super().__init__(**kwargs)
        self.kinds_view = ServiceKindsView()
        self.entry_view = ServiceEntryView()
        self.by_kind: dict[str, list[Service]] = {}
        self._turned: Callable[[], None] = lambda: None
        turns: TurnButtons = self.entry_view.ids.turns
        turns.turn = self.turn
        self._fit_soon = Clock.create_trigger(lambda _dt: self._fit_helps(), -1)
        self.entry_view.ids.helps_box.fbind("size", self._fit_soon)
        self.ids.box.add_widget(self.kinds_view)

    @property
    def choices(self) -> ChoicePages:
        pages: ChoicePages = self.kinds_view.ids.choices
        return pages

    def show_kinds(self, by_kind: dict[str, list[Service]], age: str, *,
                   on_choice: Callable[[str], None], on_page: Callable[[], None]) -> None:
        self.by_kind = by_kind
        self.age = self.kinds_view.age = self.entry_view.age = age
        self.kind = ""
        self.kinds_view.note = "请选择服务类别" if by_kind else "暂时没有便民服务信息"
        self.choices.show(list(by_kind), on_choice, on_page)
        self._swap(self.kinds_view)

    def back_to_kinds(self) -> None:
        self.kind = ""
        self._swap(self.kinds_view)

    def show_entries(self, kind: str, on_turn: Callable[[], None]) -> None:
        self.kind = kind
        self.index = 0
        self._turned = on_turn
        self._show_entry()
        self._swap(self.entry_view)

    def current(self) -> Service | None:
        entries = self.by_kind.get(self.kind, [])
        return entries[int(self.index)] if entries else None

    def turn(self, step: int) -> None:
        entries = self.by_kind.get(self.kind, [])
        index = min(max(0, int(self.index) + step), len(entries) - 1)
        if entries and index != self.index:
            self.index = index
            self._show_entry()
            self._turned()

    def prompt(self) -> list[str]:
        said = [_age_said(self.age)] if self.age else []
        service = self.current()
        if not self.kind or service is None:
            if not self.by_kind:
                return [*said, MESSAGES["board_no_services"]]
            pages = self.choices
            return [*said, page_prompt(MESSAGES["board_services"], pages.shown(),
                                       int(pages.page), int(pages.pages))]
        count = len(self.by_kind[self.kind])
        which = f"{self.kind}，第{int(self.index) + 1}个，共{count}个。" if count > 1 \
            else f"{self.kind}。"
        return [which, service_said(service), MESSAGES["board_service_choices"]]

    def _swap(self, view: BoxLayout) -> None:
        box = self.ids.box
        if view.parent is not box:
            box.clear_widgets()
            box.add_widget(view)

    def _show_entry(self) -> None:
        service = self.current()
        entries = self.by_kind.get(self.kind, [])
        view = self.entry_view
        view.ids.turns.can_back = self.index > 0
        view.ids.turns.can_on = self.index < len(entries) - 1
        if service is None:
            return
        view.meta = self.kind + (f"　第{int(self.index) + 1}个/共{len(entries)}个"
                                 if len(entries) > 1 else "")
        view.name = service.name
        view.phone = f"电话 {service.phone}"
        view.hours = f"服务时间：{service.hours}" if service.hours else ""
        self._fit_helps()

    def _fit_helps(self) -> None:
        """What the service helps with, cut to what its box holds (all of it is said)."""
        service = self.current()
        label, box = self.entry_view.ids.helps, self.entry_view.ids.helps_box
        if service is None or not service.helps_with:
            label.text = ""
            return
        text = f"能帮您：{service.helps_with}"
        font = App.get_running_app().sizing.small_font
        per_line = max(1, int((box.width - 2 * label.pad) // font))
        lines = max(1, int((box.height - label.pad) // (font * LINE_HEIGHT)))
        pages = text_pages(text, max(1, per_line * lines - 2))
        label.text = pages[0] + ("……" if len(pages) > 1 else "")


def _age_said(age: str) -> str:
    never = MESSAGES["board_never_pulled"]
    return never if age + "。" == never else f"{age}。"


load_kv("services")
