"""The wire protocol between kiosk and central server: typed models shared by both sides."""

from __future__ import annotations

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


class SubmissionIn(_Wire):
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
    created_at: datetime
    voice_sha256: str | None = Field(default=None, pattern=r"^[0-9a-f]{64}$")
    """A voice note, uploaded to /attachments before the submission is sent."""

    @field_validator("ticket")
    @classmethod
    def _ticket_checks(cls, value: str) -> str:
        if not is_valid_ticket(value) or not value.isdigit():
            raise ValueError("not a valid 10-digit ticket number")
        return value


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
