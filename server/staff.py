"""Staff calls: move a ticket through the six steps, publish content, see the kiosks."""

from __future__ import annotations

import json
from typing import Annotated, Any

from fastapi import APIRouter, HTTPException, Path
from sqlalchemy import select

from server import content
from server.auth import Caller, StaffCaller, StaffOnly
from server.content import MAX_KEY_LENGTH, ContentKind
from server.db import Community, Kiosk, QuarantineRecord
from server.deps import Db
from server.steps import set_step
from server.story import story_of
from server.tickets import by_ticket
from sync.contract.protocol import API_PREFIX, SetStatusRequest, TicketStatus

router = APIRouter(prefix=f"{API_PREFIX}/staff", dependencies=[StaffOnly])


@router.post("/tickets/{ticket}/status", response_model=TicketStatus)
def set_status(ticket: str, change: SetStatusRequest, db: Db, caller: Caller) -> TicketStatus:
    sub = by_ticket(db, ticket)
    if not caller.may_handle(sub.community_code):
        raise HTTPException(status_code=403, detail="ticket of another community")
    set_step(db, sub, change.step, change.note, staff=caller.username)
    return story_of(db, sub)


def _own_scope(caller: StaffCaller, community: str | None) -> None:
    """Community staff publish and withdraw only for their own community."""
    if caller.role == "community" and (community is None or not caller.may_handle(community)):
        raise HTTPException(status_code=403,
                            detail="community staff may only use ?community= of their own")


@router.put("/content/{kind}/{key}")
def publish(kind: ContentKind, key: Annotated[str, Path(max_length=MAX_KEY_LENGTH)],
            body: dict[str, Any], db: Db, caller: Caller,
            community: str | None = None) -> dict[str, str]:
    """Publish to every kiosk, or with ``?community=CODE`` to that community's kiosks."""
    _own_scope(caller, community)
    if community is not None and db.get(Community, community) is None:
        raise HTTPException(status_code=404, detail=f"no community {community!r}")
    content.publish(db, kind=kind, key=key, body=body, community_code=community,
                    staff=caller.username)
    return {"status": "published"}


@router.delete("/content/{kind}/{key}")
def withdraw(kind: ContentKind, key: Annotated[str, Path(max_length=MAX_KEY_LENGTH)], db: Db,
             caller: Caller, community: str | None = None) -> dict[str, str]:
    _own_scope(caller, community)
    content.withdraw(db, kind=kind, key=key, community_code=community)
    return {"status": "withdrawn"}


@router.get("/kiosks")
def kiosks(db: Db, caller: Caller) -> list[dict[str, Any]]:
    return [{"code": k.code, "name": k.name, "community": k.community_code,
             "heartbeat_at": k.heartbeat_at,
             "heartbeat": json.loads(k.heartbeat) if k.heartbeat else None}
            for k in db.scalars(select(Kiosk).order_by(Kiosk.code))
            if caller.may_handle(k.community_code)]


@router.get("/quarantine")
def quarantined(db: Db, caller: Caller) -> list[dict[str, str]]:
    community_of = {code: community for code, community
                    in db.execute(select(Kiosk.code, Kiosk.community_code))}
    return [{"uuid": q.uuid, "kiosk": q.kiosk_code, "ticket": q.ticket, "reason": q.reason,
             "reported_at": q.reported_at} for q in db.scalars(select(QuarantineRecord))
            if caller.may_handle(community_of.get(q.kiosk_code))]
