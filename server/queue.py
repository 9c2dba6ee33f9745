"""叫号 on the server: each kiosk reports its queue of the day (it owns the queue, and calls
numbers even with the network down); staff ask a kiosk to call the next number, from the
console or the staff API, and the kiosk hears of it in the reply to its next report.

- ``POST /api/v1/queue`` (kiosk-signed): a QueueReport; the reply is QueueCalls, that kiosk's
  calls not yet handled for the report's day, oldest first. Calls of an earlier day are
  expired, never sent.
- ``POST /api/v1/staff/queue/{kiosk}/call``: ask for 叫下一位; ``GET /api/v1/staff/queue``:
  today's queue of every kiosk the caller may see.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, timedelta
from typing import Any

from fastapi import APIRouter, HTTPException
from sqlalchemy import delete, insert, select, update
from sqlalchemy.orm import Session

from server.auth import Caller, KioskCode, StaffOnly
from server.db import (
    AuditEvent,
    Community,
    Kiosk,
    QueueCallRequest,
    QueueNumber,
    QueueReportReceived,
    insert_or_nothing,
)
from server.deps import Db, ReadDb, now_iso
from sync.contract.protocol import API_PREFIX
from sync.contract.queue import QUEUE_PATH, QueueCall, QueueCalls, QueueReport, queue_label

SILENT_AFTER = timedelta(minutes=1)
"""A kiosk that has not reported its queue for this long is shown as 说事机未联网."""
MAX_CALL_ID = 2**31 - 1
"""Ids beyond an INTEGER column's range were never given out (SQLite would fail on them)."""
CALL_ACTION = "queue_call"
"""The audit event of 叫下一位 (``AuditEvent.action``, ``:`` and the kiosk's code appended)."""

kiosk_router = APIRouter(prefix=API_PREFIX)
staff_router = APIRouter(prefix=f"{API_PREFIX}/staff", dependencies=[StaffOnly])
router = APIRouter()


@kiosk_router.post(QUEUE_PATH, response_model=QueueCalls)
def report(given: QueueReport, db: Db, kiosk: KioskCode) -> QueueCalls:
    """Store the kiosk's queue of ``given.day`` (unless a later report is already here), mark
    the calls it has handled, and answer the calls it still has to carry out."""
    if given.kiosk_code != kiosk:
        raise HTTPException(status_code=403, detail="report names another kiosk")
    numbers = [e.number for e in given.entries]
    if len(set(numbers)) != len(numbers):
        raise HTTPException(status_code=422, detail="a number appears twice in the report")
    now, day = now_iso(), given.day.isoformat()
    handled = [i for i in given.handled_calls if 0 < i <= MAX_CALL_ID]
    if handled:
        db.execute(update(QueueCallRequest).where(
            QueueCallRequest.kiosk_code == kiosk, QueueCallRequest.handled_at.is_(None),
            QueueCallRequest.id.in_(handled)).values(handled_at=now))
    # The kiosk has moved on to a later day: yesterday's 叫下一位 calls nobody today.
    db.execute(update(QueueCallRequest).where(
        QueueCallRequest.kiosk_code == kiosk, QueueCallRequest.handled_at.is_(None),
        QueueCallRequest.day < day).values(handled_at=now))
    if _latest(db, given, now):
        db.execute(delete(QueueNumber).where(QueueNumber.kiosk_code == kiosk,
                                             QueueNumber.day == day))
        if given.entries:
            reported = given.reported_at.isoformat()
            db.execute(insert(QueueNumber), [
                {"kiosk_code": kiosk, "day": day, "number": e.number,
                 "taken_at": e.taken_at.isoformat(), "called_at": _iso(e.called_at),
                 "served_at": _iso(e.served_at), "reported_at": reported}
                for e in given.entries])
    return QueueCalls(calls=[_call_of(c) for c in pending_calls(db, kiosk, day)])


def _iso(moment: datetime | None) -> str | None:
    return moment.isoformat() if moment is not None else None


def _latest(db: Session, given: QueueReport, now: str) -> bool:
    """Record ``given`` as the kiosk's latest report unless one of a later day, or a later one
    of the same day (a slow retry overtaken), is already here; True if it was recorded. The
    row is locked (PostgreSQL) so two reports of one kiosk replace its numbers one after the
    other."""
    row = {"kiosk_code": given.kiosk_code, "day": given.day.isoformat(),
           "reported_at": given.reported_at.isoformat(), "received_at": now}
    if db.scalar(insert_or_nothing(db, QueueReportReceived).values(**row)
                 .returning(QueueReportReceived.kiosk_code)) is not None:
        return True
    seen = db.get(QueueReportReceived, given.kiosk_code, with_for_update=True,
                  populate_existing=True)
    assert seen is not None  # inserted or already there, and never deleted
    if _earlier(given, seen):
        return False
    seen.day, seen.reported_at, seen.received_at = row["day"], row["reported_at"], now
    return True


def _earlier(given: QueueReport, seen: QueueReportReceived) -> bool:
    seen_day = date.fromisoformat(seen.day)
    if given.day != seen_day:
        return given.day < seen_day
    before = datetime.fromisoformat(seen.reported_at)
    if (before.tzinfo is None) != (given.reported_at.tzinfo is None):
        return False  # the kiosk changed how it writes times: take the new report
    return given.reported_at < before


def pending_calls(db: Session, kiosk: str, day: str) -> list[QueueCallRequest]:
    """The kiosk's calls of ``day`` it has not handled yet, oldest first."""
    return list(db.scalars(select(QueueCallRequest).where(
        QueueCallRequest.kiosk_code == kiosk, QueueCallRequest.day == day,
        QueueCallRequest.handled_at.is_(None)).order_by(QueueCallRequest.id)))


def _call_of(row: QueueCallRequest) -> QueueCall:
    return QueueCall(id=row.id, day=date.fromisoformat(row.day), requested_by=row.requested_by,
                     requested_at=datetime.fromisoformat(row.requested_at))


def ask_next(db: Session, kiosk: str, staff: str, today: date) -> QueueCallRequest:
    """叫下一位 at ``kiosk`` on ``today``, asked by ``staff`` (recorded as an audit event too);
    the kiosk carries it out when it next reports."""
    now = now_iso()
    call = QueueCallRequest(kiosk_code=kiosk, day=today.isoformat(), requested_by=staff,
                            requested_at=now)
    db.add(call)
    db.add(AuditEvent(staff=staff[:40], action=f"{CALL_ACTION}:{kiosk}", ticket=None, at=now))
    db.flush()
    return call


@dataclass(frozen=True)
class KioskQueue:
    """One kiosk's queue of today, as the console shows it."""

    code: str
    name: str
    community: str  # the community's name, or ""
    day: str
    calling: int | None
    """The number called to the 说事桌 now (the last one called, not yet served)."""
    waiting: list[int]
    served: int
    taken: int
    reported_at: str | None
    """When the kiosk last reported (the server's clock), any day; None: never."""
    reported_today: bool
    silent_for: timedelta | None
    pending: list[QueueCallRequest] = field(default_factory=list)

    @property
    def idle(self) -> bool:
        """Nobody waiting and nobody at the 说事桌: the kiosk then has no reason to report."""
        return not self.waiting and self.calling is None

    @property
    def offline(self) -> bool:
        """说事机未联网: no report today, or none for SILENT_AFTER while people wait (a kiosk
        reports every few seconds then, and after each change)."""
        if not self.reported_today or self.silent_for is None:
            return True
        return self.silent_for > SILENT_AFTER and not self.idle

    def as_json(self) -> dict[str, Any]:
        return {
            "kiosk": self.code, "name": self.name, "community": self.community,
            "day": self.day, "online": not self.offline, "reported_at": self.reported_at,
            "reported_today": self.reported_today,
            "calling": queue_label(self.calling) if self.calling is not None else None,
            "waiting": [queue_label(n) for n in self.waiting], "served": self.served,
            "taken": self.taken,
            "pending_calls": [_call_of(c).model_dump(mode="json") for c in self.pending],
        }


def queues_of_today(db: Session, sees: Callable[[str | None], bool], today: date,
                    now: datetime) -> list[KioskQueue]:
    """Today's queue of each kiosk in service that ``sees`` lets through (by its community),
    in kiosk order."""
    day = today.isoformat()
    names = {code: name for code, name in db.execute(select(Community.code, Community.name))}
    kiosks = [k for k in db.scalars(select(Kiosk).where(Kiosk.revoked_at.is_(None))
                                    .order_by(Kiosk.code)) if sees(k.community_code)]
    codes = [k.code for k in kiosks]
    numbers: dict[str, list[QueueNumber]] = {c: [] for c in codes}
    for n in db.scalars(select(QueueNumber).where(QueueNumber.day == day,
                                                  QueueNumber.kiosk_code.in_(codes))
                        .order_by(QueueNumber.number)):
        numbers[n.kiosk_code].append(n)
    reports = {r.kiosk_code: r for r in db.scalars(
        select(QueueReportReceived).where(QueueReportReceived.kiosk_code.in_(codes)))}
    calls: dict[str, list[QueueCallRequest]] = {c: [] for c in codes}
    for call in db.scalars(select(QueueCallRequest).where(
            QueueCallRequest.day == day, QueueCallRequest.handled_at.is_(None),
            QueueCallRequest.kiosk_code.in_(codes)).order_by(QueueCallRequest.id)):
        calls[call.kiosk_code].append(call)
    return [_queue_of(k, names, day, numbers[k.code], reports.get(k.code), calls[k.code], now)
            for k in kiosks]


def _queue_of(kiosk: Kiosk, names: dict[str, str], day: str, numbers: list[QueueNumber],
              seen: QueueReportReceived | None, calls: list[QueueCallRequest],
              now: datetime) -> KioskQueue:
    called = [n for n in numbers if n.called_at is not None and n.served_at is None]
    calling = max(called, key=lambda n: (n.called_at or "", n.number)) if called else None
    return KioskQueue(
        code=kiosk.code, name=kiosk.name,
        community=names.get(kiosk.community_code or "", kiosk.community_code or ""), day=day,
        calling=calling.number if calling is not None else None,
        waiting=[n.number for n in numbers if n.called_at is None and n.served_at is None],
        served=sum(n.served_at is not None for n in numbers), taken=len(numbers),
        reported_at=seen.received_at if seen is not None else None,
        reported_today=seen is not None and seen.day == day,
        silent_for=now - datetime.fromisoformat(seen.received_at) if seen is not None else None,
        pending=calls)


def _kiosk_for_call(db: Session, code: str, sees: Callable[[str | None], bool]) -> Kiosk:
    kiosk = db.get(Kiosk, code)
    if kiosk is None or kiosk.revoked_at is not None:
        raise HTTPException(status_code=404, detail=f"no kiosk {code} in service")
    if not sees(kiosk.community_code):
        raise HTTPException(status_code=403, detail="kiosk of another community")
    return kiosk


@staff_router.post("/queue/{kiosk_code}/call", status_code=201)
def call_next(kiosk_code: str, db: Db, caller: Caller) -> QueueCall:
    """叫下一位 at a kiosk of the caller's community (admins and the server: any)."""
    _kiosk_for_call(db, kiosk_code, caller.may_handle)
    return _call_of(ask_next(db, kiosk_code, caller.username or "server", date.today()))


@staff_router.get("/queue")
def today(db: ReadDb, caller: Caller) -> list[dict[str, Any]]:
    return [q.as_json() for q in queues_of_today(db, caller.may_handle, date.today(),
                                                 datetime.now(UTC))]


router.include_router(kiosk_router)
router.include_router(staff_router)
