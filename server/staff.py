"""Staff calls: move a ticket through the six steps, publish content, see the kiosks."""

from __future__ import annotations

import json
from typing import Any, Literal

from fastapi import APIRouter
from sqlalchemy import select

from server.auth import StaffOnly
from server.db import Kiosk, QuarantineRecord
from server.deps import Db
from server.feed import append_change
from server.steps import set_step
from server.tickets import by_ticket, status_of
from sync.contract.protocol import API_PREFIX, SetStatusRequest, TicketStatus

router = APIRouter(prefix=f"{API_PREFIX}/staff", dependencies=[StaffOnly])
ContentKind = Literal["notice", "category", "schedule", "directory"]


@router.post("/tickets/{ticket}/status", response_model=TicketStatus)
def set_status(ticket: str, change: SetStatusRequest, db: Db) -> TicketStatus:
    sub = by_ticket(db, ticket)
    set_step(db, sub, change.step, change.note, staff=None)
    return status_of(sub)


@router.put("/content/{kind}/{key}")
def publish(kind: ContentKind, key: str, body: dict[str, Any], db: Db) -> dict[str, str]:
    append_change(db, kind=kind, key=key, body=json.dumps(body, ensure_ascii=False))
    return {"status": "published"}


@router.delete("/content/{kind}/{key}")
def withdraw(kind: ContentKind, key: str, db: Db) -> dict[str, str]:
    append_change(db, kind=kind, key=key, body="{}", deleted=True)
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
