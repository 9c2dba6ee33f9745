"""The resident's own words, where it is, how to reach them and whether neighbours may see
it: the steps between the chosen phrase and 请核对, each one question on a screen of its own.

Every step can be left out (不用了, 不填, 匿名, 不公开) and 返回 goes one step back with what
was entered kept. Mixed into the Kivy app (kiosk.app), whose ``go`` and ``speak_screen`` it
uses.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from kiosk.session import (
    ANONYMOUS,
    GIVE_PHONE,
    HANDWRITE,
    MESSAGES,
    NO_MORE,
    NO_NAME,
    NO_PLACE,
    PINYIN,
    PRIVATE,
    PUBLIC,
    SCREEN_PROMPTS,
    VOICE,
    WHOLE_BUILDING,
    WRITE_NAME,
    WRITE_PLACE,
    page_prompt,
)

if TYPE_CHECKING:
    from kiosk.config import PlacesConfig
    from kiosk.session import ResidentSession

ASK_SCREENS = ("more", "place", "unit", "contact", "name", "public")
MOST_WORDS = 500
MOST_PLACE_CHARS = 60
MOST_NAME_CHARS = 20


@dataclass(frozen=True)
class Question:
    """What an ask screen shows: its prompt key, title, a line under it, the choices."""

    prompt: str
    title: str
    explain: str
    choices: list[str]
    on_choice: Callable[[str], None]


class DetailsFlow:
    """The steps after the phrase. ``self`` is the KioskApp."""

    session: ResidentSession
    root: Any
    confirm_support: Callable[[], None]
    """附议 (kiosk.me_too): asks only for a phone, then confirms the support."""

    def _details_init(self, places: PlacesConfig, voice_offered: Callable[[], bool]) -> None:
        self._places = places
        self._voice_offered = voice_offered
        self._questions: dict[str, Question] = {}
        self._trail: list[str] = []

    # ---- going forward and back ----

    def begin_details(self) -> None:
        """After the phrase (or 其他): the first step, the resident's own words."""
        self._trail = []
        self._ask_more()

    def step_back(self) -> None:
        """返回: the step before this one, as it was left."""
        if self._trail:
            self._trail.pop()
        if not self._trail:
            self.back_to_choices()
            return
        self._show(self._trail[-1], again=True)

    def _show(self, name: str, *, again: bool = False) -> None:
        if not again:
            self._trail.append(name)
        question = self._questions.get(name)
        if question is not None:
            screen = self.root.get_screen(name)
            screen.title, screen.explain = question.title, question.explain
            screen.choices.show(question.choices, question.on_choice, self._page_turned)
        self.go(name)

    def _ask(self, name: str, question: Question) -> None:
        self._questions[name] = question
        self._show(name)

    def ask_prompt(self, name: str) -> list[str]:
        """What an ask screen says: its question, the line under it, the choices shown."""
        question = self._questions[name]
        pages = self.root.get_screen(name).choices
        said = [SCREEN_PROMPTS[question.prompt]]
        if question.explain:  # a fixed sentence where there is one, else the line itself
            said.append(MESSAGES.get(f"{question.prompt}_explain", question.explain))
        said.append(page_prompt("", pages.shown(), int(pages.page), int(pages.pages)))
        return said

    # ---- 1. in one's own words ----

    def _ask_more(self) -> None:
        other = not self.session.phrase
        choices = [HANDWRITE, PINYIN]
        if self._voice_offered():
            choices.append(VOICE)
        choices.append(NO_MORE)
        written = f"已写：{self.session.own_words}" if self.session.own_words else ""
        self._ask("more", Question("more_other" if other else "more",
                                   "请说说是什么问题" if other else "还想自己说几句吗？",
                                   written, choices, self._more_chosen))

    def _more_chosen(self, choice: str) -> None:
        if choice in (HANDWRITE, PINYIN):
            self.write("请写下您要说的事", self.session.own_words,
                       self._own_words_written, mode="hand" if choice == HANDWRITE else "pinyin",
                       max_chars=MOST_WORDS)
        elif choice == VOICE:
            self.root.get_screen("voice").begin(self.session.voice)
            self._show("voice")
        else:
            self._ask_place()

    def _own_words_written(self, text: str) -> None:
        self.session.own_words = text.strip()
        self._ask_place()

    def voice_done(self, note: Any) -> None:
        """The voice screen's 好了 (``note`` None when deleted)."""
        self.session.set_voice(note)
        self._ask_place()

    def write(self, title: str, text: str, on_done: Callable[[str], None], *, mode: str,
              max_chars: int) -> None:
        """The write screen (手写 or 拼音) for the own words, a place or a name."""
        self.root.get_screen("write").begin(title, text, on_done, mode=mode,
                                            max_chars=max_chars)
        self._show("write")

    # ---- 2. where ----

    def _ask_place(self) -> None:
        places = self._places
        choices = [*places.buildings, *places.public_areas, WRITE_PLACE, NO_PLACE]
        shown = f"已选：{self.session.place}" if self.session.place else ""
        self._ask("place", Question("place", "问题在哪里？", shown, choices,
                                    self._place_chosen))

    def _place_chosen(self, choice: str) -> None:
        if choice == NO_PLACE:
            self.session.place = ""
            self.ask_contact()
        elif choice == WRITE_PLACE:
            self.write("请写下地点", self.session.place, self._place_written,
                       mode="hand", max_chars=MOST_PLACE_CHARS)
        elif choice in self._places.buildings and self._places.units:
            self._ask("unit", Question("unit", f"{choice}的哪个单元？", "",
                                       [*self._places.units, WHOLE_BUILDING],
                                       lambda unit: self._unit_chosen(choice, unit)))
        else:
            self.session.place = choice
            self.ask_contact()

    def _unit_chosen(self, building: str, unit: str) -> None:
        self.session.place = building if unit == WHOLE_BUILDING else f"{building}{unit}"
        self.ask_contact()

    def _place_written(self, text: str) -> None:
        self.session.place = text.strip()
        self.ask_contact()

    # ---- 3. how to reach you ----

    def ask_contact(self) -> None:
        self._ask("contact", Question("contact", "留个电话，方便工作人员回访您",
                                      "电话只用于回访；回执上隐去中间四位；送到街道后本机即删除",
                                      [GIVE_PHONE, ANONYMOUS], self._contact_chosen))

    def _contact_chosen(self, choice: str) -> None:
        if choice == ANONYMOUS:
            self.session.contact_phone = self.session.contact_name = ""
            if self.session.supporting is not None:
                self.confirm_support()
            else:
                self._ask_public()
            return
        self.root.get_screen("phone").begin(self.session.contact_phone)
        self._show("phone")

    def phone_given(self, digits: str) -> None:
        self.session.contact_phone = digits
        if self.session.supporting is not None:
            self.confirm_support()
            return
        self._ask("name", Question("name", "留下您的姓名吗？", "姓名只给工作人员回访时用",
                                   [WRITE_NAME, NO_NAME], self._name_chosen))

    def _name_chosen(self, choice: str) -> None:
        if choice == NO_NAME:
            self.session.contact_name = ""
            self._ask_public()
            return
        self.write("请写下您的姓名", self.session.contact_name, self._name_written,
                   mode="hand", max_chars=MOST_NAME_CHARS)

    def _name_written(self, text: str) -> None:
        self.session.contact_name = text.strip()
        self._ask_public()

    # ---- 4. 公开 or not ----

    def _ask_public(self) -> None:
        self._ask("public", Question("public", "愿意让邻居看到这件事吗？",
                                     "公开后邻居可以看到并附议；姓名和电话不会公开",
                                     [PRIVATE, PUBLIC], self._public_chosen))

    def _public_chosen(self, choice: str) -> None:
        self.session.public = choice == PUBLIC
        self._trail.append("confirm")
        self.show_confirm()

    # ---- provided by the app ----

    def go(self, name: str) -> None:
        raise NotImplementedError

    def back_to_choices(self) -> None:
        raise NotImplementedError

    def show_confirm(self) -> None:
        raise NotImplementedError

    def _page_turned(self) -> None:
        raise NotImplementedError

