"""The story of a ticket (查事), told in one place: to a kiosk looking it up, to the kiosk that
took it through the feed whenever it changes, and as a public issue offered for 附议.

What a story holds is sync.contract.protocol.TicketStory: what the issue was, the date each
step was first reached, how it was classed and decided, who handles it, staff's reply in full,
the count of 附议 and the latest rating. Never the resident's contact details.
"""

from __future__ import annotations

from datetime import datetime
from typing import get_args

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from server.db import CentralSubmission, Kiosk, Rating, StepNote, Support
from server.feed import append_change
from sync.contract.protocol import (
    AFFAIR_LABELS,
    OUTCOME_LABELS,
    PublicIssue,
    RatingScore,
    StatusUpdate,
    Step,
    StepReached,
    TicketStatus,
)

CLOSED_STEPS = frozenset({Step.EVALUATE, Step.FOLLOW_UP})
"""From 评事 on, the result is published: the issue counts as 办结 and is no longer offered
for 附议."""
LATEST_RATING_FIRST = (Rating.created_at.desc(), Rating.uuid.desc())
"""A later rating replaces an earlier one: the resident's time decides (a rating made offline
may arrive after a newer one); the uuid only breaks a tie, the same way everywhere."""
_SCORES: frozenset[str] = frozenset(get_args(RatingScore))


def community_of(db: Session, sub: CentralSubmission) -> str | None:
    """The issue's community: recorded when received, else its taking kiosk's."""
    if sub.community_code is not None:
        return sub.community_code
    return db.scalar(select(Kiosk.community_code).where(Kiosk.code == sub.kiosk_code))


def steps_reached(db: Session, sub: CentralSubmission) -> list[StepReached]:
    """The date each step up to the current one was first reached, in step order: 说事 when
    raised, the others from the step history (a step reached and then gone back from is left
    out)."""
    current = Step(sub.step)
    first: dict[Step, str] = {Step.SAY: sub.created_at}
    for step, at in db.execute(select(StepNote.step, StepNote.at)
                               .where(StepNote.ticket == sub.ticket).order_by(StepNote.id)):
        try:
            first.setdefault(Step(step), at)
        except ValueError:
            continue
    return [StepReached(step=s, at=datetime.fromisoformat(first[s])) for s in Step
            if s in first and s.number <= current.number]


def latest_rating(db: Session, ticket: str) -> Rating | None:
    return db.scalars(select(Rating).where(Rating.ticket == ticket)
                      .order_by(*LATEST_RATING_FIRST).limit(1)).first()


def supporters(db: Session, ticket: str) -> int:
    return db.scalar(select(func.count()).select_from(Support)
                     .where(Support.ticket == ticket)) or 0


def reply_of(db: Session, sub: CentralSubmission) -> str:
    """Staff's latest reply to the resident: the note of the current step, or when that step
    was set without one, the latest note written before it."""
    if sub.step_note:
        return sub.step_note
    return db.scalar(select(StepNote.note).where(StepNote.ticket == sub.ticket,
                                                 StepNote.note != "")
                     .order_by(StepNote.id.desc()).limit(1)) or ""


def story_of(db: Session, sub: CentralSubmission) -> TicketStatus:
    rating = latest_rating(db, sub.ticket)
    # Validated, not trusted: a class or score the contract does not know reads as unset.
    return TicketStatus.model_validate({
        "ticket": sub.ticket, "category": sub.category, "step": sub.step,
        "note": reply_of(db, sub), "changed_at": sub.step_changed_at,
        "description": sub.description, "place": sub.place, "steps": steps_reached(db, sub),
        "affair_class": sub.affair_class if sub.affair_class in AFFAIR_LABELS else None,
        "outcome_class": sub.outcome_class if sub.outcome_class in OUTCOME_LABELS else None,
        "promised_date": sub.promised_date or None, "responsible": sub.responsible or "",
        "public": sub.public, "supporters": supporters(db, sub.ticket),
        "rating": rating.score if rating is not None and rating.score in _SCORES else None})


def tell_taking_kiosk(db: Session, sub: CentralSubmission) -> None:
    """A status change with the whole story for the kiosk that took the ticket, so it can
    tell the story while offline."""
    status = story_of(db, sub)
    update = StatusUpdate(seq=0, uuid=sub.uuid,  # type: ignore[arg-type]
                          **status.model_dump(exclude={"category", "support_ticket"}))
    append_change(db, kind="status", key=sub.ticket, body=update.model_dump_json(),
                  kiosk_code=sub.kiosk_code)


def offer_public_issue(db: Session, sub: CentralSubmission) -> None:
    """Keep the kiosks of the issue's community up to date about a public issue: offered for
    附议 while open, withdrawn (a deleted change) from 评事 on. A kiosk without a community
    hears only about its own issues. Nothing for a private issue."""
    if not sub.public:
        return
    community = community_of(db, sub)
    kiosk = None if community else sub.kiosk_code
    if Step(sub.step) in CLOSED_STEPS:
        append_change(db, kind="public_issue", key=sub.ticket, body="{}", deleted=True,
                      kiosk_code=kiosk, community_code=community)
        return
    issue = PublicIssue(ticket=sub.ticket, category=sub.category, description=sub.description,
                        place=sub.place, step=Step(sub.step),
                        supporters=supporters(db, sub.ticket),
                        created_at=datetime.fromisoformat(sub.created_at))
    append_change(db, kind="public_issue", key=sub.ticket, body=issue.model_dump_json(),
                  kiosk_code=kiosk, community_code=community)


def story_changed(db: Session, sub: CentralSubmission) -> None:
    """Everything that follows a change of the story: the taking kiosk's status change, and
    the public issue's change for its community."""
    tell_taking_kiosk(db, sub)
    offer_public_issue(db, sub)
