"""评事: a resident rates how an issue was handled, at the screen or to staff on the phone.

Only an issue that reached 办事 may be rated; a second rating of a ticket replaces the first
and says so. The rating is committed to the store's ratings table, which the sync worker
sends from exactly once, as it sends submissions.
"""

from __future__ import annotations

import logging
import uuid
from dataclasses import dataclass
from datetime import datetime
from typing import TYPE_CHECKING

from kiosk.session import MESSAGES
from sync.contract.protocol import RATABLE_FROM, RatingChannel, RatingScore, TicketStatus

if TYPE_CHECKING:  # the store and the lookup load after the first frame
    from kiosk.lookup import StatusLookup
    from sync.store import Store

log = logging.getLogger(__name__)
SQLITE_BUSY, SQLITE_LOCKED = 5, 6


@dataclass(frozen=True)
class RatingRecorded:
    ticket: str
    replaced: bool
    """This ticket had been rated before (here, or as the centre's story says): the new
    rating replaces that one."""


class RatingRefused(Exception):
    """Nothing was stored. ``message`` (Chinese) is for the resident or staff; ``reason``
    is for the log and names no personal data: "unknown", "unreachable", "not_yet",
    "invalid" or "not_saved"."""

    def __init__(self, message: str, reason: str) -> None:
        super().__init__(reason)
        self.message = message
        self.reason = reason


def may_be_rated(view: TicketStatus) -> bool:
    """评事 opens once the issue has reached 办事."""
    return view.step.number >= RATABLE_FROM.number


class Ratings:
    """Records ratings; ``lookup`` finds a ticket typed by staff (``rate_ticket``)."""

    def __init__(self, store: Store, lookup: StatusLookup) -> None:
        self.store = store
        self.lookup = lookup

    def rate(self, view: TicketStatus, score: RatingScore, reasons: list[str],
             channel: RatingChannel = "kiosk") -> RatingRecorded:
        """Rate the issue ``view`` tells; raises RatingRefused before 办事, for reasons the
        wire refuses, or when the store cannot take it."""
        from pydantic import ValidationError
        from sqlalchemy.exc import OperationalError

        from sync.contract.protocol import RatingIn

        if not may_be_rated(view):
            raise RatingRefused(MESSAGES["rate_not_yet"], "not_yet")
        reasons = [" ".join(r.split()) for r in reasons if r.strip()]
        try:
            RatingIn(uuid=uuid.UUID(int=0), ticket=view.ticket, score=score, reasons=reasons,
                     channel=channel, created_at=datetime.now().astimezone())
        except ValidationError as error:
            first = error.errors()[0]
            raise RatingRefused(MESSAGES["rate_invalid"],
                                f"invalid: {'.'.join(map(str, first['loc']))} {first['type']}"
                                ) from None
        try:
            _, held = self.store.record_rating(view.ticket, score, reasons, channel)
        except (OperationalError, OSError) as error:  # raised afresh: no statement text
            code = getattr(getattr(error, "orig", None), "sqlite_errorcode", None)
            busy = code is not None and code & 0xFF in (SQLITE_BUSY, SQLITE_LOCKED)
            reason = "not_saved: store locked" if busy else f"not_saved: {type(error).__name__}"
            log.error("rating not saved: %s", reason)
            raise RatingRefused(MESSAGES["rate_not_saved"], reason) from None
        return RatingRecorded(view.ticket, replaced=held or view.rating is not None)

    def rate_ticket(self, ticket: str, score: RatingScore, reasons: list[str],
                    channel: RatingChannel = "phone") -> RatingRecorded:
        """Look ``ticket`` up, then rate it (staff, from a 回访 call). A ticket nobody can
        confirm (the server out of reach and not made here) is refused, not queued."""
        from kiosk.lookup import LookupOutcome

        result = self.lookup.look_up(ticket)
        if result.view is not None and not may_be_rated(result.view):
            fresh = self.lookup.ask_server(result.view.ticket)  # the feed may lag behind
            if fresh.view is not None:
                result = fresh
        if result.outcome is LookupOutcome.NOT_FOUND:
            raise RatingRefused(MESSAGES["rate_unknown"], "unknown")
        if result.outcome is LookupOutcome.UNREACHABLE or result.view is None:
            raise RatingRefused(MESSAGES["rate_unreachable"], "unreachable")
        return self.rate(result.view, score, reasons, channel)
