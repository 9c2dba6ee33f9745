"""Residents' ratings (评事: 满意 / 基本满意 / 不满意), sent by a kiosk; they make the 满意率.

An issue may be rated once it has reached 办事 (RATABLE_FROM). A later rating of the same
ticket replaces the earlier one: all are kept, the 满意率 and the story count the latest
(server.story.LATEST_RATING_FIRST).

Staff record a rating a resident gave in a 回访 phone call through the staff API
(``POST /api/v1/staff/ratings``, what ``shuoshi rate`` may call): the same rules, stored with
channel "phone" and no kiosk ("").
"""

from __future__ import annotations

import json

from fastapi import APIRouter, HTTPException
from sqlalchemy import select
from sqlalchemy.orm import Session

from server.auth import Caller, KioskCode, StaffOnly
from server.db import CentralSubmission, Kiosk, Rating, insert_or_nothing
from server.deps import Db
from server.story import tell_taking_kiosk
from sync.contract.protocol import API_PREFIX, RATABLE_FROM, RatingIn, Step

router = APIRouter(prefix=API_PREFIX)
staff_router = APIRouter(prefix=f"{API_PREFIX}/staff", dependencies=[StaffOnly])
BY_STAFF = ""
"""``Rating.kiosk_code`` of a rating staff recorded (a phone call, not a kiosk)."""


@router.post("/ratings")
def rate(rating: RatingIn, db: Db, kiosk: KioskCode) -> dict[str, str]:
    """Store one rating; the same uuid again answers "duplicate" and changes nothing.

    A kiosk rates only issues of its own community (a kiosk without one: only its own
    tickets), so a kiosk cannot skew another community's 满意率.
    """
    if db.get(Rating, str(rating.uuid)) is not None:
        return _duplicate(db, rating, kiosk)
    sub = _rated(db, rating)
    if not _may_rate(db, kiosk, sub):
        raise HTTPException(status_code=403, detail="ticket belongs to another community")
    return _record(db, rating, sub, kiosk)


@staff_router.post("/ratings")
def rate_by_phone(rating: RatingIn, db: Db, caller: Caller) -> dict[str, str]:
    """A rating a resident gave staff in a 回访 call; community staff only for their own
    community's tickets. The same uuid again answers "duplicate"."""
    if db.get(Rating, str(rating.uuid)) is not None:
        return _duplicate(db, rating, BY_STAFF)
    sub = _rated(db, rating)
    if not caller.may_handle(sub.community_code):
        raise HTTPException(status_code=403, detail="ticket of another community")
    return _record(db, rating.model_copy(update={"channel": "phone"}), sub, BY_STAFF)


def _rated(db: Session, rating: RatingIn) -> CentralSubmission:
    sub = db.scalar(select(CentralSubmission).where(CentralSubmission.ticket == rating.ticket))
    if sub is None:
        raise HTTPException(status_code=404, detail=f"no submission with ticket {rating.ticket}")
    return sub


def _record(db: Session, rating: RatingIn, sub: CentralSubmission, kiosk: str
            ) -> dict[str, str]:
    if Step(sub.step).number < RATABLE_FROM.number:
        raise HTTPException(status_code=409, detail=(
            f"ticket {sub.ticket} is at {Step(sub.step).label}: it can be rated once it has "
            f"reached {RATABLE_FROM.label}"))
    # Two sends of one rating at once (PostgreSQL): the second inserts nothing, not an error.
    inserted = db.scalar(insert_or_nothing(db, Rating).values(
        uuid=str(rating.uuid), ticket=rating.ticket, kiosk_code=kiosk, score=rating.score,
        reasons=json.dumps(rating.reasons, ensure_ascii=False), channel=rating.channel,
        created_at=rating.created_at.isoformat(timespec="microseconds")).returning(Rating.uuid))
    if inserted is None:  # already there (RETURNING: the rowcount is -1 on PostgreSQL)
        return _duplicate(db, rating, kiosk)
    tell_taking_kiosk(db, sub)
    return {"status": "accepted"}


def _duplicate(db: Session, rating: RatingIn, kiosk: str) -> dict[str, str]:
    earlier = db.get(Rating, str(rating.uuid), populate_existing=True)
    if earlier is None or earlier.kiosk_code != kiosk or earlier.ticket != rating.ticket:
        raise HTTPException(status_code=409, detail="rating uuid already used")
    return {"status": "duplicate"}


def _may_rate(db: Session, kiosk: str, sub: CentralSubmission) -> bool:
    rater = db.get(Kiosk, kiosk)
    home = rater.community_code if rater is not None else None
    if home is None:
        return sub.kiosk_code == kiosk
    taken_in = sub.community_code
    if taken_in is None:  # received before the community was copied onto it
        taker = db.get(Kiosk, sub.kiosk_code)
        taken_in = taker.community_code if taker is not None else None
    return taken_in == home
