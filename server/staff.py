"""Staff calls: move a ticket through the six steps, publish content, see the kiosks."""

from __future__ import annotations

import json
from typing import Annotated, Any

from fastapi import APIRouter, HTTPException, Path
from sqlalchemy import select

from server import content
from server.auth import StaffOnly
from server.content import MAX_KEY_LENGTH, ContentKind
from server.db import Community, Kiosk, QuarantineRecord
from server.deps import Db
from server.steps import set_step
from server.tickets import by_ticket, status_of
from sync.contract.protocol import API_PREFIX, SetStatusRequest, TicketStatus

router = APIRouter(prefix=f"{API_PREFIX}/staff", dependencies=[StaffOnly])


@router.post("/tickets/{ticket}/status", response_model=TicketStatus)
def set_status(ticket: str, change: SetStatusRequest, db: Db) -> TicketStatus:
    sub = by_ticket(db, ticket)
    set_step(db, sub, change.step, change.note, staff=None)
    return status_of(sub)


@router.put("/content/{kind}/{key}")
def publish(kind: ContentKind, key: Annotated[str, Path(max_length=MAX_KEY_LENGTH)],
            body: dict[str, Any], db: Db, community: str | None = None) -> dict[str, str]:
    """Publish to every kiosk, or with ``?community=CODE`` to that community's kiosks."""
    if community is not None and db.get(Community, community) is None:
        raise HTTPException(status_code=404, detail=f"no community {community!r}")
    content.publish(db, kind=kind, key=key, body=body, community_code=community, staff=None)
    return {"status": "published"}


@router.delete("/content/{kind}/{key}")
def withdraw(kind: ContentKind, key: Annotated[str, Path(max_length=MAX_KEY_LENGTH)], db: Db,
             community: str | None = None) -> dict[str, str]:
    content.withdraw(db, kind=kind, key=key, community_code=community)
    return {"status": "withdrawn"}


@router.get("/kiosks")
def kiosks(db: Db) -> list[dict[str, Any]]:
    return [{"code": k.code, "name": k.name, "heartbeat_at": k.heartbeat_at,
             "heartbeat": json.loads(k.heartbeat) if k.heartbeat else None}
            for k in db.scalars(select(Kiosk).order_by(Kiosk.code))]


@router.get("/quarantine")
def quarantined(db: Db) -> list[dict[str, str]]:
    return [{"uuid": q.uuid, "kiosk": q.kiosk_code, "ticket": q.ticket, "reason": q.reason,
             "reported_at": q.reported_at} for q in db.scalars(select(QuarantineRecord))]
