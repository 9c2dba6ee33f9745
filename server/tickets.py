"""A kiosk asks where a ticket stands (查进度)."""

from __future__ import annotations

from datetime import datetime

from fastapi import APIRouter, HTTPException
from sqlalchemy import select
from sqlalchemy.orm import Session

from server.auth import KioskCode
from server.db import CentralSubmission
from server.deps import Db
from sync.contract.protocol import API_PREFIX, Step, TicketStatus

router = APIRouter(prefix=API_PREFIX)


@router.get("/tickets/{ticket}", response_model=TicketStatus)
def ticket_status(ticket: str, db: Db, kiosk: KioskCode) -> TicketStatus:
    return status_of(by_ticket(db, ticket))


def by_ticket(db: Session, ticket: str) -> CentralSubmission:
    sub = db.scalar(select(CentralSubmission).where(CentralSubmission.ticket == ticket))
    if sub is None:
        raise HTTPException(status_code=404, detail=f"no submission with ticket {ticket}")
    return sub


def status_of(sub: CentralSubmission) -> TicketStatus:
    return TicketStatus(ticket=sub.ticket, category=sub.category, step=Step(sub.step),
                        note=sub.step_note, changed_at=datetime.fromisoformat(sub.step_changed_at))
