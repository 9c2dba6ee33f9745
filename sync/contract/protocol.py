"""The wire protocol between kiosk and central server: typed models shared by both sides."""

from __future__ import annotations

import re
import uuid
from datetime import date, datetime
from enum import StrEnum
from typing import Annotated, Any, Literal

from pydantic import BaseModel, ConfigDict, Field, field_validator

from sync.contract.ticket import is_valid_ticket

API_PREFIX = "/api/v1"


class Step(StrEnum):
    """The six steps of the 六步工作法, in order."""

    SAY = "say"  # 说事: raised, received
    SORT = "sort"  # 理事: registered and classified
    DELIBERATE = "deliberate"  # 议事: under discussion
    ACT = "act"  # 办事: being done
    EVALUATE = "evaluate"  # 评事: result published, residents rate it
    FOLLOW_UP = "follow_up"  # 查事: followed up and reported back

    @property
    def label(self) -> str:
        return STEP_LABELS[self]

    @property
    def number(self) -> int:
        return list(Step).index(self) + 1


STEP_LABELS: dict[Step, str] = {
    Step.SAY: "说事",
    Step.SORT: "理事",
    Step.DELIBERATE: "议事",
    Step.ACT: "办事",
    Step.EVALUATE: "评事",
    Step.FOLLOW_UP: "查事",
}

Channel = Literal["kiosk", "staff_in_person", "staff_phone", "staff_written"]
CHANNEL_LABELS: dict[str, str] = {"kiosk": "自助机", "staff_in_person": "当面说",
                                  "staff_phone": "电话说", "staff_written": "书面说"}
"""How an issue was raised: at the kiosk's screens, or entered by staff (代录) for a resident
who came to the desk, phoned or wrote."""

AffairClass = Literal["major", "minor", "private"]
AFFAIR_LABELS: dict[str, str] = {"major": "大事", "minor": "小事", "private": "私事"}
"""三事分流: what 理事 classed the issue as."""
OutcomeClass = Literal["immediate", "promised", "shelved", "suggestion"]
OUTCOME_LABELS: dict[str, str] = {"immediate": "即办件", "promised": "承诺件", "shelved": "搁置件",
                                  "suggestion": "建议件"}
"""How 议事 decided to handle it; a 承诺件 has a promised date."""


class _Wire(BaseModel):
    model_config = ConfigDict(extra="ignore", frozen=True, defer_build=True)


MOBILE_PHONE = re.compile(r"1[3-9][0-9]{9}")
"""A mainland mobile number: 11 digits starting with 1."""
LANDLINE_PHONE = re.compile(r"0[0-9]{9,11}|[2-9][0-9]{6,7}")
"""A landline: with its area code (0 and 10 to 12 digits) or local (7 or 8 digits, not 0 or 1)."""


def is_valid_phone(phone: str) -> bool:
    """Digits only, as the kiosk's keypad enters them: a mobile or a landline number."""
    return bool(MOBILE_PHONE.fullmatch(phone) or LANDLINE_PHONE.fullmatch(phone))


class SubmissionIn(_Wire):
    """One submission as the kiosk sends it and the server stores it (see ``entered_fields``)."""

    uuid: uuid.UUID
    ticket: str
    kiosk_code: str = Field(pattern=r"^[0-9]{4}$")
    category: str = Field(min_length=1, max_length=40)
    description: str = Field(max_length=2000)
    place: str = Field(default="", max_length=200)
    urgent: bool = False
    contact_name: str | None = Field(default=None, max_length=50)
    contact_phone: str | None = Field(default=None, max_length=20)
    channel: Channel = "kiosk"
    entered_by: str | None = Field(default=None, max_length=40)
    """代录: the staff member who entered it on the resident's behalf; None when the resident
    used the kiosk's screens."""
    public: bool = False
    """公开: the resident lets others see the issue (附议, the notice board); private if not."""
    created_at: datetime
    voice_sha256: str | None = Field(default=None, pattern=r"^[0-9a-f]{64}$")
    """A voice note, uploaded to /attachments before the submission is sent."""

    @field_validator("contact_phone")
    @classmethod
    def _phone_checks(cls, value: str | None) -> str | None:
        if value is not None and not is_valid_phone(value):
            raise ValueError("not a mobile (11 digits from 1) or landline (7 to 12 digits) number")
        return value

    @field_validator("ticket")
    @classmethod
    def _ticket_checks(cls, value: str) -> str:
        if not is_valid_ticket(value) or not value.isdigit():
            raise ValueError("not a valid 10-digit ticket number")
        return value


SUBMISSION_IDENTITY = frozenset({"uuid", "ticket", "kiosk_code", "created_at"})
"""The fields the kiosk gives a submission when it stores it; the rest were entered."""


def submission_fields() -> frozenset[str]:
    """Every field of a submission on the wire: the kiosk's store and the server's
    ``central_submissions`` have a column of the same name for each, and copy them by name."""
    return frozenset(SubmissionIn.model_fields)


def entered_fields() -> frozenset[str]:
    """The fields a draft carries (what was entered at the kiosk or by staff)."""
    return submission_fields() - SUBMISSION_IDENTITY


class PushRequest(_Wire):
    kiosk_code: str = Field(pattern=r"^[0-9]{4}$")
    items: list[SubmissionIn] = Field(max_length=500)


class ItemResult(_Wire):
    uuid: uuid.UUID
    outcome: Literal["accepted", "duplicate", "rejected"]
    server_id: int | None = None
    reason: str | None = None


class PushResponse(_Wire):
    results: list[ItemResult]


RatingScore = Literal["satisfied", "fair", "unsatisfied"]
"""满意, 基本满意, 不满意."""
SCORE_LABELS: dict[str, str] = {"satisfied": "满意", "fair": "基本满意", "unsatisfied": "不满意"}
RATABLE_FROM = Step.ACT
"""评事: an issue may be rated once it has reached 办事."""


class StepReached(_Wire):
    step: Step
    at: datetime


class TicketStory(_Wire):
    """Everything a resident may learn about their issue at the kiosk (查事): what it was,
    the date each step was reached, how it was classed and decided, who handles it, staff's
    reply (``note``, in full), how many neighbours support it (附议), and its latest rating.
    Never the contact details. Every field has a default, so an older peer's reply reads."""

    description: str = ""
    place: str = ""
    steps: list[StepReached] = Field(default_factory=list)
    """The date each step was first reached, in step order (说事 at least)."""
    affair_class: AffairClass | None = None
    outcome_class: OutcomeClass | None = None
    promised_date: date | None = None
    """Set for a 承诺件: the date the centre promised it done."""
    responsible: str = ""
    """Who handles it (a department or a staff member's title, never a phone number)."""
    public: bool = False
    supporters: int = 0
    """Residents who said 附议 ("me too") on it."""
    rating: RatingScore | None = None
    """The latest rating (评事) of this ticket; a later rating replaces an earlier one."""


class StatusUpdate(TicketStory):
    """A ``status`` change of the feed: sent to the kiosk that took the ticket whenever its
    story changes (a step, 附议, a rating), so that kiosk can tell it while offline."""

    seq: int
    ticket: str
    uuid: uuid.UUID
    step: Step
    note: str = ""
    changed_at: datetime


SERVICE_KINDS: tuple[str, ...] = ("维修", "家政", "医疗", "法律", "养老", "其他")
"""The kinds of a ``directory`` (便民服务) entry, in the order a kiosk shows them; an entry
without one reads as the last, 其他."""

ChangeKind = Literal["status", "notice", "category", "schedule", "directory", "public_issue"]
"""``public_issue``: an open issue of the kiosk's community its resident made 公开, offered for
附议 (key = its ticket, body = PublicIssue); deleted once it reaches 评事."""


class Change(_Wire):
    """One row of the server's change feed; ``body`` is a StatusUpdate for kind "status"."""

    seq: int
    kind: ChangeKind
    key: str = Field(max_length=100)
    body: dict[str, Any]
    deleted: bool = False


class ChangePage(_Wire):
    changes: list[Change]
    cursor: int
    """Pass this back as ``since`` to get the next page; never lower than the ``since`` sent."""


class QuarantineReport(_Wire):
    uuid: uuid.UUID
    ticket: str
    reason: str = Field(max_length=500)


class Heartbeat(_Wire):
    queue_depth: int
    oldest_unsent_seconds: float
    quarantined: int
    printer_state: str = Field(max_length=40)
    software_version: str = Field(max_length=40)
    free_disk_bytes: int
    last_error: str = Field(default="", max_length=500)


class AttachmentState(_Wire):
    sha256: str
    size: int
    received: int
    complete: bool


class SetStatusRequest(_Wire):
    step: Step
    note: str = Field(default="", max_length=500)


class TicketStatus(TicketStory):
    """``GET /api/v1/tickets/{ticket}``: the story of a ticket. Asked with the ticket of a
    附议 receipt, it answers about the issue supported (``ticket`` is that issue's)."""

    ticket: str
    category: str
    step: Step
    note: str
    changed_at: datetime
    support_ticket: str | None = None
    """Set when the number asked was this 附议 receipt's (then ``ticket`` is the issue's)."""


RatingChannel = Literal["kiosk", "phone"]
"""Where the rating was given: at the kiosk's screen, or to staff in a 回访 call."""


class RatingIn(_Wire):
    """A resident's rating of how an issue was handled (评事), sent by a kiosk to
    ``POST /api/v1/ratings``; sending the same ``uuid`` again changes nothing. A later rating
    of the same ticket replaces the earlier one (the 满意率 counts each ticket's latest).
    Refused (409) for a ticket not yet at 办事."""

    uuid: uuid.UUID
    ticket: str
    score: RatingScore
    reasons: list[Annotated[str, Field(min_length=1, max_length=40)]] = Field(
        default_factory=list, max_length=6)
    """Reason phrases chosen or said (e.g. 办得快, 没人回复); may be empty."""
    channel: RatingChannel = "kiosk"
    created_at: datetime

    @field_validator("ticket")
    @classmethod
    def _ticket_checks(cls, value: str) -> str:
        if not is_valid_ticket(value) or not value.isdigit():
            raise ValueError("not a valid 10-digit ticket number")
        return value


class PublicIssue(_Wire):
    """Body of a ``public_issue`` change: what a kiosk shows when offering 附议. No contact."""

    ticket: str
    category: str
    description: str
    place: str = ""
    step: Step
    supporters: int = 0
    created_at: datetime


class SupportIn(_Wire):
    """附议 ("me too"): a resident supports an open public issue instead of raising it again,
    sent to ``POST /api/v1/supports``; the same ``uuid`` again changes nothing. It has a
    receipt of its own (``support_ticket``, numbered like a submission's); contact details
    are optional and purged from the kiosk once acknowledged."""

    uuid: uuid.UUID
    ticket: str
    """The issue supported."""
    support_ticket: str
    kiosk_code: str = Field(pattern=r"^[0-9]{4}$")
    contact_name: str | None = Field(default=None, max_length=50)
    contact_phone: str | None = Field(default=None, max_length=20)
    created_at: datetime

    @field_validator("contact_phone")
    @classmethod
    def _phone_checks(cls, value: str | None) -> str | None:
        if value is not None and not is_valid_phone(value):
            raise ValueError("not a mobile (11 digits from 1) or landline (7 to 12 digits) number")
        return value

    @field_validator("ticket", "support_ticket")
    @classmethod
    def _ticket_checks(cls, value: str) -> str:
        if not is_valid_ticket(value) or not value.isdigit():
            raise ValueError("not a valid 10-digit ticket number")
        return value
