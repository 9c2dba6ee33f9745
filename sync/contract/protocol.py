"""The wire protocol between kiosk and central server: typed models shared by both sides."""

from __future__ import annotations

import re
import uuid
from datetime import datetime
from enum import StrEnum
from typing import Any, Literal

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


class _Wire(BaseModel):
    model_config = ConfigDict(extra="ignore", frozen=True)


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


class StatusUpdate(_Wire):
    seq: int
    ticket: str
    uuid: uuid.UUID
    step: Step
    note: str = ""
    changed_at: datetime


ChangeKind = Literal["status", "notice", "category", "schedule", "directory"]


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


class TicketStatus(_Wire):
    ticket: str
    category: str
    step: Step
    note: str
    changed_at: datetime


RatingScore = Literal["satisfied", "fair", "unsatisfied"]
"""满意, 基本满意, 不满意."""


class RatingIn(_Wire):
    """A resident's rating of how an issue was handled (评事), sent by a kiosk to
    ``POST /api/v1/ratings``; sending the same ``uuid`` again changes nothing."""

    uuid: uuid.UUID
    ticket: str
    score: RatingScore
    created_at: datetime

    @field_validator("ticket")
    @classmethod
    def _ticket_checks(cls, value: str) -> str:
        if not is_valid_ticket(value) or not value.isdigit():
            raise ValueError("not a valid 10-digit ticket number")
        return value
