"""The reference central server: receives submissions, hands status changes back."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import datetime
from typing import Annotated

from fastapi import Depends, FastAPI, HTTPException, Query, Request
from sqlalchemy import Engine, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session, sessionmaker

from sync.protocol import (
    API_PREFIX,
    ItemResult,
    PushRequest,
    PushResponse,
    SetStatusRequest,
    StatusPage,
    StatusUpdate,
    Step,
    SubmissionIn,
    TicketStatus,
)
from sync.server.db import CentralSubmission, StatusChange, open_server_engine

MAX_PAGE = 500


def _now() -> str:
    return datetime.now().astimezone().isoformat(timespec="seconds")


def _session(request: Request) -> Iterator[Session]:
    with request.app.state.sessions.begin() as session:
        yield session


Db = Annotated[Session, Depends(_session)]


def create_app(db_url: str) -> FastAPI:
    engine: Engine = open_server_engine(db_url)
    app = FastAPI(title="说事厅 central server", version="1")
    app.state.sessions = sessionmaker(engine, expire_on_commit=False)

    @app.get("/healthz")
    def healthz() -> dict[str, str]:
        return {"status": "ok"}

    @app.post(f"{API_PREFIX}/submissions", response_model=PushResponse)
    def push(batch: PushRequest, db: Db) -> PushResponse:
        return PushResponse(results=[_accept(db, item) for item in batch.items])

    @app.get(f"{API_PREFIX}/status-updates", response_model=StatusPage)
    def status_updates(
        db: Db,
        kiosk: Annotated[str, Query(pattern=r"^[0-9]{4}$")],
        since: Annotated[int, Query(ge=0)] = 0,
        limit: Annotated[int, Query(ge=1, le=MAX_PAGE)] = 100,
    ) -> StatusPage:
        rows = db.execute(
            select(StatusChange, CentralSubmission)
            .join(CentralSubmission, CentralSubmission.id == StatusChange.submission_id)
            .where(StatusChange.kiosk_code == kiosk, StatusChange.seq > since)
            .order_by(StatusChange.seq)
            .limit(limit)
        ).all()
        updates = [
            StatusUpdate(
                seq=change.seq,
                ticket=sub.ticket,
                uuid=sub.uuid,  # type: ignore[arg-type]
                step=Step(change.step),
                note=change.note,
                changed_at=datetime.fromisoformat(change.changed_at),
            )
            for change, sub in rows
        ]
        return StatusPage(updates=updates, cursor=updates[-1].seq if updates else since)

    @app.get(f"{API_PREFIX}/tickets/{{ticket}}", response_model=TicketStatus)
    def ticket_status(ticket: str, db: Db) -> TicketStatus:
        return _status_of(_by_ticket(db, ticket))

    @app.post(f"{API_PREFIX}/tickets/{{ticket}}/status", response_model=TicketStatus)
    def set_status(ticket: str, change: SetStatusRequest, db: Db) -> TicketStatus:
        sub = _by_ticket(db, ticket)
        stamp = _now()
        sub.step, sub.step_note, sub.step_changed_at = change.step.value, change.note, stamp
        db.add(
            StatusChange(
                submission_id=sub.id,
                kiosk_code=sub.kiosk_code,
                step=change.step.value,
                note=change.note,
                changed_at=stamp,
            )
        )
        return _status_of(sub)

    return app


def _by_ticket(db: Session, ticket: str) -> CentralSubmission:
    sub = db.scalar(select(CentralSubmission).where(CentralSubmission.ticket == ticket))
    if sub is None:
        raise HTTPException(status_code=404, detail=f"no submission with ticket {ticket}")
    return sub


def _status_of(sub: CentralSubmission) -> TicketStatus:
    return TicketStatus(
        ticket=sub.ticket,
        category=sub.category,
        step=Step(sub.step),
        note=sub.step_note,
        changed_at=datetime.fromisoformat(sub.step_changed_at),
    )


def _accept(db: Session, item: SubmissionIn) -> ItemResult:
    """Store one submission unless its UUID is already here (idempotent push)."""
    existing = db.scalar(select(CentralSubmission).where(CentralSubmission.uuid == str(item.uuid)))
    if existing is not None:
        return ItemResult(uuid=item.uuid, outcome="duplicate", server_id=existing.id)
    row = CentralSubmission(
        uuid=str(item.uuid),
        ticket=item.ticket,
        kiosk_code=item.kiosk_code,
        category=item.category,
        description=item.description,
        place=item.place,
        urgent=item.urgent,
        contact_name=item.contact_name,
        contact_phone=item.contact_phone,
        channel=item.channel,
        created_at=item.created_at.isoformat(timespec="seconds"),
        received_at=_now(),
        step_changed_at=item.created_at.isoformat(timespec="seconds"),
    )
    try:
        with db.begin_nested():
            db.add(row)
    except IntegrityError:
        return ItemResult(
            uuid=item.uuid, outcome="rejected", reason=f"ticket {item.ticket} is already taken"
        )
    return ItemResult(uuid=item.uuid, outcome="accepted", server_id=row.id)
