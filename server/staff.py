"""Staff calls: move a ticket through the six steps, publish content, see the kiosks."""

from __future__ import annotations

import json
from typing import Any, Literal

from fastapi import APIRouter
from sqlalchemy import select

from server.auth import StaffOnly
from server.db import FeedChange, Kiosk, QuarantineRecord
from server.deps import Db, now_iso
from sync.contract.protocol import API_PREFIX, SetStatusRequest, StatusUpdate, TicketStatus

router = APIRouter(prefix=f"{API_PREFIX}/staff", dependencies=[StaffOnly])
ContentKind = Literal["notice", "category", "schedule", "directory"]


@router.post("/tickets/{ticket}/status", response_model=TicketStatus)
def set_status(ticket: str, change: SetStatusRequest, db: Db) -> TicketStatus:
    from server.app import by_ticket, status_of

    sub = by_ticket(db, ticket)
    stamp = now_iso()
    sub.step, sub.step_note, sub.step_changed_at = change.step.value, change.note, stamp
    update = StatusUpdate(seq=0, ticket=sub.ticket, uuid=sub.uuid,  # type: ignore[arg-type]
                          step=change.step, note=change.note, changed_at=stamp)  # type: ignore[arg-type]
    db.add(FeedChange(kiosk_code=sub.kiosk_code, kind="status", key=sub.ticket,
                      body=update.model_dump_json()))
    return status_of(sub)


@router.put("/content/{kind}/{key}")
def publish(kind: ContentKind, key: str, body: dict[str, Any], db: Db) -> dict[str, str]:
    db.add(FeedChange(kiosk_code=None, kind=kind, key=key,
                      body=json.dumps(body, ensure_ascii=False)))
    return {"status": "published"}


@router.delete("/content/{kind}/{key}")
def withdraw(kind: ContentKind, key: str, db: Db) -> dict[str, str]:
    db.add(FeedChange(kiosk_code=None, kind=kind, key=key, body="{}", deleted=True))
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
