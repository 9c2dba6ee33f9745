"""叫号 on 说事日: the kiosk's queue of face-to-face 说事, as the kiosk reports it and the
central console asks it to call the next number.

The kiosk is the owner of its queue (numbers are taken and called there even when the network
is down); the server keeps the last report of each kiosk for the console, and the console's
"叫下一位" requests, which the kiosk carries out the next time it reports.
"""

from __future__ import annotations

from datetime import date, datetime

from pydantic import BaseModel, ConfigDict, Field

QUEUE_PATH = "/queue"
"""POST a QueueReport under API_PREFIX (signed by the kiosk); the reply is QueueCalls."""
QUEUE_LETTER = "A"
MOST_NUMBERS = 999
"""A001 … A999 a day; numbering starts again at A001 each day."""


def queue_label(number: int) -> str:
    """A queue number as printed, shown and called: 3 → "A003"."""
    return f"{QUEUE_LETTER}{number:03d}"


class _Wire(BaseModel):
    model_config = ConfigDict(extra="ignore", frozen=True, defer_build=True)


class QueueEntry(_Wire):
    """One number taken today, and what became of it."""

    number: int = Field(ge=1, le=MOST_NUMBERS)
    taken_at: datetime
    called_at: datetime | None = None
    """When it was (last) called to the 说事桌; None while waiting."""
    served_at: datetime | None = None
    """When staff finished with it (or called the next number); None until then."""


class QueueReport(_Wire):
    """The kiosk's whole queue for ``day``, sent after each change and while people wait."""

    kiosk_code: str = Field(pattern=r"^[0-9]{4}$")
    day: date
    entries: list[QueueEntry] = Field(default_factory=list, max_length=MOST_NUMBERS)
    handled_calls: list[int] = Field(default_factory=list, max_length=100)
    """The ids of the console's QueueCalls the kiosk has carried out (or found nobody for)."""
    reported_at: datetime


class QueueCall(_Wire):
    """叫下一位, asked at the central console for one kiosk's queue of one day."""

    id: int
    day: date
    requested_by: str
    requested_at: datetime


class QueueCalls(_Wire):
    """The console's calls not yet handled, oldest first (the reply to a QueueReport)."""

    calls: list[QueueCall] = Field(default_factory=list)
