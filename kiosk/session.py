"""The resident's path through the screens, kept apart from any widget; what is said on it."""

from __future__ import annotations

import tomllib
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING

from assets import ASSETS_DIR
from kiosk.rate_choices import RATING_WORDS
from sync.contract.protocol import SERVICE_KINDS, STEP_LABELS, PublicIssue, Step
from sync.privacy import mask_phone

if TYPE_CHECKING:  # sync.store brings SQLAlchemy, which the first frame does not need
    from kiosk.voice_note import VoiceNote
    from sync.store import SubmissionDraft

OTHER = "其他"
OTHER_DESCRIPTION = "其他问题（请工作人员回访了解详情）"
VOICE_ONLY_DESCRIPTION = "居民留了语音，请工作人员收听"
PROMPTS_TOML = ASSETS_DIR / "prompts.toml"
MOST_CHOICES_NAMED = 8
"""A screen with more choices than this says how many there are instead of naming them."""


@dataclass
class ResidentSession:
    """What one resident has entered so far; ``reset`` forgets all of it (personal data and
    an unsent voice note too)."""

    category: str = ""
    phrase: str = ""
    """The quick phrase chosen ("" for 其他 or a category without phrases)."""
    own_words: str = ""
    """What the resident wrote in their own words (手写 or 拼音)."""
    place: str = ""
    contact_name: str = ""
    contact_phone: str = ""
    public: bool = False
    """公开: neighbours may see it (and 附议); private unless the resident says so."""
    voice: VoiceNote | None = None
    supporting: PublicIssue | None = None
    """附议: the open public issue this resident supports instead of raising it again."""
    channel: str = "kiosk"
    """How it was raised: "kiosk", or staff entering it (代录) for a resident who came to the
    desk, phoned or wrote (sync.contract.protocol.CHANNEL_LABELS)."""
    entered_by: str | None = None
    """代录: the staff member entering it; None at the resident's own screens."""

    def reset(self) -> None:
        if self.voice is not None:
            self.voice.discard()
        self.category = self.phrase = self.own_words = self.place = ""
        self.contact_name = self.contact_phone = ""
        self.public = False
        self.voice = None
        self.supporting = None
        self.channel, self.entered_by = "kiosk", None

    @property
    def is_empty(self) -> bool:
        return not (self.category or self.own_words or self.place or self.contact_phone
                    or self.contact_name or self.voice)

    @property
    def description(self) -> str:
        """The phrase, the resident's own words after it; 其他 with nothing written says staff
        will call back (or listen to the voice note)."""
        if self.phrase and self.own_words:
            return f"{self.phrase}：{self.own_words}"
        if self.phrase or self.own_words:
            return self.phrase or self.own_words
        return VOICE_ONLY_DESCRIPTION if self.voice else OTHER_DESCRIPTION

    def choose_category(self, name: str, phrases: Sequence[str]) -> None:
        """A new category drops a phrase chosen under another one."""
        if name != self.category:
            self.phrase = ""
        self.category = name

    def choose_phrase(self, category: str, phrase: str) -> None:
        self.category = category  # the phrase screen's own category, never a stale one
        self.phrase = "" if phrase == OTHER else phrase

    def set_voice(self, note: VoiceNote | None) -> None:
        """A new recording replaces (and deletes) the one before."""
        if self.voice is not None and self.voice is not note:
            self.voice.discard()
        self.voice = note

    def draft(self) -> SubmissionDraft:
        from sync.store import SubmissionDraft

        voice = self.voice
        return SubmissionDraft(category=self.category, description=self.description,
                               place=self.place, contact_name=self.contact_name or None,
                               contact_phone=self.contact_phone or None, public=self.public,
                               channel=self.channel, entered_by=self.entered_by,
                               voice_path=voice.path if voice else None,
                               voice_sha256=voice.sha256 if voice else None)

    def read_back(self) -> str:
        """The whole submission as the confirm screen says it: the phone masked, the name
        not said aloud (others may be standing near)."""
        parts = [f"类别：{self.category}。", f"内容：{self.description}。"]
        if self.voice:
            parts.append(f"录音：{round(self.voice.seconds)}秒。")
        if self.place:
            parts.append(f"地点：{self.place}。")
        if self.contact_name:
            parts.append("已留姓名。")
        parts.append(f"联系电话：{mask_phone(self.contact_phone)}。" if self.contact_phone
                     else "匿名。")
        parts.append("公开，邻居可以看到和附议。" if self.public else "不公开。")
        return "".join(parts)


def _load_prompts() -> tuple[dict[str, str], dict[str, str]]:
    with PROMPTS_TOML.open("rb") as f:
        data = tomllib.load(f)
    return dict(data["screens"]), dict(data["messages"])


SCREEN_PROMPTS, MESSAGES = _load_prompts()
"""What the kiosk says when a screen opens, and its other fixed sentences."""


def naming(choices: Sequence[str]) -> str:
    """"有：环境卫生，停车出行，其他。" for up to 8 choices; "共有12项。" for more."""
    if not choices:
        return ""
    if len(choices) > MOST_CHOICES_NAMED:
        return f"共有{len(choices)}项。"
    return "有：" + "，".join(choices) + "。"


def page_prompt(intro: str, choices: Sequence[str], page: int, pages: int) -> str:
    """What a screen of choices says: its intro, which page, and the choices shown."""
    where = MESSAGES["page"].format(page=page + 1, pages=pages) if pages > 1 else ""
    return f"{intro}{where}{naming(choices)}"


def status_prompt(step: Step) -> str:
    """The fixed sentence naming the step an issue is at, e.g. "…在理事阶段。"."""
    return MESSAGES["status"].format(step=step.label)


def fixed_prompts(*extra: str) -> list[str]:
    """Every fixed sentence the kiosk says (plus ``extra``), for the prompt cache."""
    statuses = [MESSAGES["status"].format(step=label) for label in STEP_LABELS.values()]
    messages = [text for key, text in MESSAGES.items() if key not in ("status", "page")]
    return list(dict.fromkeys([*SCREEN_PROMPTS.values(), *messages, *statuses, *extra]))


def kiosk_prompts(categories: Iterable[tuple[str, Sequence[str]]],
                  places: Iterable[str]) -> list[str]:
    """Everything the kiosk says that can be rendered ahead: fixed sentences, button labels,
    categories and phrases, and the hall's place names (for the prompt cache)."""
    return fixed_prompts(*button_words(categories), *places)


def button_words(categories: Iterable[tuple[str, Sequence[str]]]) -> list[str]:
    """The labels said when buttons are pressed: fixed ones, categories and phrases."""
    words = [*BUTTON_LABELS, *RATING_WORDS, *"0123456789"]
    for name, phrases in categories:
        words += [name, *phrases]
    return list(dict.fromkeys(words))


HANDWRITE, PINYIN, VOICE, NO_MORE = "手写", "拼音打字", "说给我听", "不用了"
WRITE_PLACE, NO_PLACE, WHOLE_BUILDING = "写地点", "不填", "整栋楼"
GIVE_PHONE, ANONYMOUS = "留电话", "匿名"
WRITE_NAME, NO_NAME = "写姓名", "不留姓名"
PRIVATE, PUBLIC = "不公开", "公开"

BUTTON_LABELS = (HANDWRITE, PINYIN, VOICE, NO_MORE, WRITE_PLACE, NO_PLACE, WHOLE_BUILDING,
                 GIVE_PHONE, ANONYMOUS, WRITE_NAME, NO_NAME, PRIVATE, PUBLIC, "确定", "好了",
                 "我要说事", "查进度", "返回", "返回修改", "提交", "完成", "查询", "删除",
                 "上一页", "下一页", "大字", "正常字", "慢一点", "正常语速", "继续使用",
                 "返回首页", OTHER,
                 # the hall's information (公示栏, 便民服务, 说事日程) and 附议
                 "公示栏", "便民服务", "说事日程", "上一条", "下一条", "打印这条", "上一个",
                 "下一个", "打印小票", *SERVICE_KINDS, "我也遇到了", "我要说别的", "下一件",
                 "提交附议")
