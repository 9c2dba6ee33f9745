"""附议 ("me too"): a resident supports an open public issue of their community instead of
raising it again, at a kiosk; the support has a receipt (``support_ticket``) of its own.

Sent like a rating (kiosk-signed, idempotent by uuid). The issue's story changes (its count of
supporters): the kiosk that took it and the kiosks offering it hear of it through the feed.
"""

from __future__ import annotations

from fastapi import APIRouter, HTTPException
from sqlalchemy import select
from sqlalchemy.orm import Session

from server.auth import KioskCode
from server.db import CentralSubmission, Support, insert_or_nothing
from server.deps import Db, now_iso
from server.story import CLOSED_STEPS, offer_public_issue, tell_taking_kiosk
from server.tickets import readable_by
from sync.contract.protocol import API_PREFIX, Step, SupportIn

router = APIRouter(prefix=API_PREFIX)


@router.post("/supports")
def support(given: SupportIn, db: Db, kiosk: KioskCode) -> dict[str, str]:
    """Store one 附议; the same uuid again answers "duplicate" and changes nothing.

    Refused: 403 from a kiosk other than the one named, or for an issue of another community
    (a kiosk without one: other kiosks' issues); 404 an unknown issue; 409 an issue that is
    not public, or a receipt number already used. An issue closed since the resident saw it
    still takes the support.
    """
    if given.kiosk_code != kiosk or not given.support_ticket.startswith(kiosk):
        raise HTTPException(status_code=403, detail="support names another kiosk")
    if db.get(Support, str(given.uuid)) is not None:
        return _duplicate(db, given)
    sub = db.scalar(select(CentralSubmission).where(CentralSubmission.ticket == given.ticket))
    if sub is None:
        raise HTTPException(status_code=404, detail=f"no submission with ticket {given.ticket}")
    if not readable_by(db, sub, kiosk):
        raise HTTPException(status_code=403, detail="ticket belongs to another community")
    if not sub.public:
        raise HTTPException(status_code=409, detail="ticket is not public: it takes no support")
    if db.scalar(select(CentralSubmission.id)
                 .where(CentralSubmission.ticket == given.support_ticket)) is not None:
        raise HTTPException(status_code=409, detail="support ticket already used")
    inserted = db.scalar(insert_or_nothing(db, Support).values(
        uuid=str(given.uuid), ticket=given.ticket, support_ticket=given.support_ticket,
        kiosk_code=kiosk, contact_name=given.contact_name, contact_phone=given.contact_phone,
        created_at=given.created_at.isoformat(timespec="seconds"), received_at=now_iso()
    ).returning(Support.uuid))
    if inserted is None:  # already there (RETURNING: the rowcount is -1 on PostgreSQL)
        return _duplicate(db, given)
    tell_taking_kiosk(db, sub)
    if Step(sub.step) not in CLOSED_STEPS:  # a closed one was withdrawn from the kiosks
        offer_public_issue(db, sub)
    return {"status": "accepted"}


def _duplicate(db: Session, given: SupportIn) -> dict[str, str]:
    earlier = db.get(Support, str(given.uuid), populate_existing=True)
    if earlier is None:  # another support holds this receipt number
        raise HTTPException(status_code=409, detail="support ticket already used")
    if (earlier.ticket, earlier.support_ticket, earlier.kiosk_code) != (
            given.ticket, given.support_ticket, given.kiosk_code):
        raise HTTPException(status_code=409, detail="support uuid already used")
    return {"status": "duplicate"}
