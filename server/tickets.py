"""A kiosk asks where a ticket stands (查进度).

A kiosk reads only the tickets of its own community: those taken by a kiosk there (the
community recorded on the submission when it was received, else the taking kiosk's), or, for a
kiosk without a community, only its own. Any other ticket is answered exactly like a missing
one, so a kiosk's key cannot tell which numbers exist elsewhere.

The answer is the ticket's whole story (server.story). The ticket of a 附议 receipt is
answered with the story of the issue supported, under the same rules.
"""

from __future__ import annotations

import math
import threading
import time
from dataclasses import dataclass

from fastapi import APIRouter, HTTPException
from sqlalchemy import select
from sqlalchemy.orm import Session

from server.auth import KioskCode
from server.db import CentralSubmission, Kiosk, Support
from server.deps import ReadDb
from server.story import story_of
from sync.contract.protocol import API_PREFIX, TicketStatus

router = APIRouter(prefix=API_PREFIX)

LOOKUPS_PER_MINUTE = 30
LOOKUP_BURST = 10
"""Residents look up one ticket at a time, typed on the kiosk's keypad: a few a minute at the
busiest hall. A stolen kiosk key must not be able to walk the ticket number space (kiosk code,
sequence, check digit) to harvest staff notes, so each kiosk gets a token bucket of
LOOKUP_BURST lookups refilled at LOOKUPS_PER_MINUTE. The buckets live in the server process:
with several worker processes each keeps its own, so the bound is per worker (N workers allow
N times as many). At 30 a minute, walking the 99,999 sequence numbers of one kiosk code takes
a worker over two days."""


@dataclass
class _Bucket:
    tokens: float
    at: float


class LookupLimit:
    """Token buckets per kiosk code, in this process."""

    def __init__(self, per_minute: float, burst: int) -> None:
        self.rate = per_minute / 60.0
        self.burst = burst
        self._buckets: dict[str, _Bucket] = {}
        self._lock = threading.Lock()

    def take(self, kiosk: str) -> float:
        """0 when ``kiosk`` may look up now (one token taken), else the seconds to wait."""
        now = time.monotonic()
        with self._lock:
            bucket = self._buckets.setdefault(kiosk, _Bucket(float(self.burst), now))
            bucket.tokens = min(float(self.burst), bucket.tokens + (now - bucket.at) * self.rate)
            bucket.at = now
            if bucket.tokens >= 1.0:
                bucket.tokens -= 1.0
                return 0.0
            return (1.0 - bucket.tokens) / self.rate


lookup_limit = LookupLimit(LOOKUPS_PER_MINUTE, LOOKUP_BURST)


@router.get("/tickets/{ticket}", response_model=TicketStatus)
def ticket_status(ticket: str, db: ReadDb, kiosk: KioskCode) -> TicketStatus:
    wait = lookup_limit.take(kiosk)
    if wait > 0:
        raise HTTPException(status_code=429, detail="too many ticket lookups from this kiosk",
                            headers={"Retry-After": str(math.ceil(wait))})
    sub = _issue_or_supported(db, ticket)
    if sub is None or not readable_by(db, sub, kiosk):
        raise _not_found(ticket)
    story = story_of(db, sub)
    return story if sub.ticket == ticket else story.model_copy(update={"support_ticket": ticket})


def _issue_or_supported(db: Session, ticket: str) -> CentralSubmission | None:
    """The issue of ``ticket``, or for a 附议 receipt's ticket the issue it supports."""
    sub = db.scalar(select(CentralSubmission).where(CentralSubmission.ticket == ticket))
    if sub is not None:
        return sub
    supported = db.scalar(select(Support.ticket).where(Support.support_ticket == ticket))
    if supported is None:
        return None
    return db.scalar(select(CentralSubmission).where(CentralSubmission.ticket == supported))


def readable_by(db: Session, sub: CentralSubmission, kiosk: str) -> bool:
    """Whether kiosk ``kiosk`` may read ``sub``: its own, or one of its community's."""
    if sub.kiosk_code == kiosk:
        return True
    asking = db.scalar(select(Kiosk.community_code).where(Kiosk.code == kiosk))
    if asking is None:
        return False
    taken_in = sub.community_code or db.scalar(
        select(Kiosk.community_code).where(Kiosk.code == sub.kiosk_code))
    return taken_in == asking


def by_ticket(db: Session, ticket: str) -> CentralSubmission:
    sub = db.scalar(select(CentralSubmission).where(CentralSubmission.ticket == ticket))
    if sub is None:
        raise _not_found(ticket)
    return sub


def _not_found(ticket: str) -> HTTPException:
    return HTTPException(status_code=404, detail=f"no submission with ticket {ticket}")
