"""The reference central server: receives submissions, hands status and content back."""

from __future__ import annotations

import hashlib
import json
import time
from pathlib import Path
from typing import Annotated

from fastapi import FastAPI, Header, HTTPException, Query
from sqlalchemy import or_, select
from sqlalchemy.orm import Session, sessionmaker

from server import attachments, console, open311, operations, ratings, staff, tickets
from server.auth import KioskCode
from server.db import (
    CentralSubmission,
    FeedChange,
    IdempotentReply,
    Kiosk,
    QuarantineRecord,
    open_server_engine,
)
from server.deps import Db, now_iso
from server.limits import BodyLimit
from sync.contract.protocol import (
    API_PREFIX,
    Change,
    ChangePage,
    Heartbeat,
    ItemResult,
    PushRequest,
    PushResponse,
    QuarantineReport,
    SubmissionIn,
)

MAX_PAGE = 500
MAX_REQUEST_BYTES = 2**20
"""Any request body but an attachment piece (a kiosk's push batch is at most 256,000 bytes)."""
DEFAULT_MAX_ATTACHMENT_BYTES = 10 * 2**20
"""An attachment's whole size, and so also the most one uploaded piece of it can carry."""


def create_app(db_url: str, *, staff_token: str | None = None,
               attachments_dir: Path = Path("var/attachments"),
               max_attachment_bytes: int = DEFAULT_MAX_ATTACHMENT_BYTES) -> FastAPI:
    app = FastAPI(title="说事厅 central server", version="1",  # API docs: /console/api
                  docs_url=None, redoc_url=None, openapi_url=None)
    app.state.sessions = sessionmaker(open_server_engine(db_url), expire_on_commit=False)
    app.state.staff_token = staff_token
    app.state.attachments_dir = attachments_dir
    app.state.max_attachment_bytes = max_attachment_bytes

    attachment_routes = f"{API_PREFIX}/attachments/"
    app.add_middleware(BodyLimit, limit_for=lambda path: max_attachment_bytes
                       if path.startswith(attachment_routes) else MAX_REQUEST_BYTES)

    @app.get("/healthz")
    def healthz() -> dict[str, str]:
        return {"status": "ok", "time": now_iso()}

    @app.post(f"{API_PREFIX}/submissions", response_model=PushResponse)
    def push(batch: PushRequest, db: Db, kiosk: KioskCode,
             idempotency_key: Annotated[str | None, Header(max_length=100)] = None
             ) -> PushResponse:
        if batch.kiosk_code != kiosk:
            raise HTTPException(status_code=403, detail="batch names another kiosk")
        digest = hashlib.sha256(batch.model_dump_json().encode()).hexdigest()
        if idempotency_key:
            earlier = db.get(IdempotentReply, (kiosk, idempotency_key))
            if earlier is not None:
                if earlier.request_sha256 != digest:
                    raise HTTPException(status_code=422,
                                        detail="Idempotency-Key reused with a different body")
                return PushResponse.model_validate_json(earlier.body)
        reply = PushResponse(results=_accept_batch(db, batch.items, kiosk))
        if idempotency_key:
            db.add(IdempotentReply(kiosk_code=kiosk, key=idempotency_key, request_sha256=digest,
                                   body=reply.model_dump_json(), created_at=time.time()))
        return reply

    @app.get(f"{API_PREFIX}/changes", response_model=ChangePage)
    def changes(db: Db, kiosk: KioskCode, since: Annotated[int, Query(ge=0)] = 0,
                limit: Annotated[int, Query(ge=1, le=MAX_PAGE)] = 200) -> ChangePage:
        rows = db.scalars(
            select(FeedChange)
            .where(FeedChange.seq > since,
                   or_(FeedChange.kiosk_code == kiosk, FeedChange.kiosk_code.is_(None)))
            .order_by(FeedChange.seq).limit(limit)
        ).all()
        page = [Change(seq=r.seq, kind=r.kind, key=r.key, body=json.loads(r.body),  # type: ignore[arg-type]
                       deleted=r.deleted) for r in rows]
        return ChangePage(changes=page, cursor=page[-1].seq if page else since)

    @app.post(f"{API_PREFIX}/heartbeat")
    def heartbeat(beat: Heartbeat, db: Db, kiosk: KioskCode) -> dict[str, str]:
        row = db.get(Kiosk, kiosk)
        if row is not None:
            row.heartbeat, row.heartbeat_at = beat.model_dump_json(), now_iso()
        return {"status": "ok"}

    @app.post(f"{API_PREFIX}/quarantine")
    def quarantine(report: QuarantineReport, db: Db, kiosk: KioskCode) -> dict[str, str]:
        db.merge(QuarantineRecord(uuid=str(report.uuid), kiosk_code=kiosk, ticket=report.ticket,
                                  reason=report.reason, reported_at=now_iso()))
        return {"status": "ok"}

    app.include_router(staff.router)
    app.include_router(tickets.router)
    app.include_router(ratings.router)
    app.include_router(attachments.router)
    app.include_router(console.router)
    app.include_router(open311.router)
    operations.install(app)
    return app


def _accept_batch(db: Session, items: list[SubmissionIn], kiosk: str) -> list[ItemResult]:
    """Store each submission unless its UUID is already here (idempotent push).

    The request holds SQLite's write lock from its first statement (BEGIN IMMEDIATE), so
    what the two look-ups find cannot change before the inserts.
    """
    known = dict(db.execute(select(CentralSubmission.uuid, CentralSubmission.id).where(
        CentralSubmission.uuid.in_([str(i.uuid) for i in items]))).tuples().all())
    taken = set(db.scalars(select(CentralSubmission.ticket).where(
        CentralSubmission.ticket.in_([i.ticket for i in items]))))
    outcomes: list[tuple[str, str | None]] = []  # (outcome, reason) per item
    fresh: dict[str, CentralSubmission] = {}
    for item in items:
        sub_uuid = str(item.uuid)
        if sub_uuid in known or sub_uuid in fresh:
            outcomes.append(("duplicate", None))
        elif item.kiosk_code != kiosk or not item.ticket.startswith(kiosk):
            outcomes.append(("rejected", "submission does not belong to the kiosk that sent it"))
        elif item.ticket in taken:
            outcomes.append(("rejected", f"ticket {item.ticket} is already taken"))
        else:
            fresh[sub_uuid] = _row_of(item)
            taken.add(item.ticket)
            outcomes.append(("accepted", None))
    db.add_all(fresh.values())
    db.flush()
    known.update({u: row.id for u, row in fresh.items()})
    return [
        ItemResult(uuid=item.uuid, outcome=outcome, reason=reason,  # type: ignore[arg-type]
                   server_id=None if outcome == "rejected" else known[str(item.uuid)])
        for item, (outcome, reason) in zip(items, outcomes, strict=True)
    ]


def _row_of(item: SubmissionIn) -> CentralSubmission:
    created = item.created_at.isoformat(timespec="seconds")
    return CentralSubmission(
        uuid=str(item.uuid), ticket=item.ticket, kiosk_code=item.kiosk_code,
        category=item.category, description=item.description, place=item.place,
        urgent=item.urgent, contact_name=item.contact_name, contact_phone=item.contact_phone,
        channel=item.channel, created_at=created, received_at=now_iso(),
        step_changed_at=created,
    )


__all__ = ["create_app"]
