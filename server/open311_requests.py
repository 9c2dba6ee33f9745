"""Open311 service requests: the submissions (tickets) as the spec's requests, and new ones
posted by Open311 clients.

What a request shows is public: the ticket, category, step, staff note, place, who handles it
and when. The resident's contact (name, phone) is never part of it, and neither is the
description: it is the resident's own words, often naming people or a flat, and the server
has no record of consent to publish it.

Requests posted here are numbered like kiosk tickets, from a kiosk code the server reserves
for Open311: the highest free one, registered as the pseudo-kiosk ``OPEN311_KIOSK_NAME``
without a key and marked revoked, so nothing can sign as it. When its 99,999 sequence numbers
are used up the next free code is reserved. Their channel is "staff_written" (书面): a request
in writing that reached the hall through another system, the closest of the kiosk protocol's
channels.
"""

from __future__ import annotations

import uuid
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import func, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from server.db import CentralSubmission, Kiosk
from server.deps import now_iso
from server.open311_format import Open311Error
from server.open311_services import Service
from server.provision import ALL_CODES, OPEN311_KIOSK_NAME
from server.steps import CLOSED_STEPS
from sync.contract.protocol import Step
from sync.contract.ticket import MAX_SEQUENCE, SEQUENCE_DIGITS, make_ticket

DEFAULT_SPAN = timedelta(days=90)
MAX_REQUESTS = 1000
OPEN311_CHANNEL = "staff_written"
LIMITS = {"description": 2000, "address_string": 200, "first_name": 25, "last_name": 24,
          "phone": 20}
"""Longest accepted value of each posted field (the kiosk protocol's limits; the two names
together fit the 50 characters of a contact name)."""
_CLOSED = [s.value for s in CLOSED_STEPS]


OPEN311_LOCK = 0x5348_5553_4F33  # PostgreSQL advisory lock key: Open311 numbering


def record_of(sub: CentralSubmission, services: Mapping[str, Service]) -> dict[str, Any]:
    """One request as the spec names its fields (never a contact, never the description)."""
    step = Step(sub.step)
    service = services.get(sub.category)
    return {
        "service_request_id": sub.ticket,
        "status": "closed" if step in CLOSED_STEPS else "open",
        "status_notes": f"{step.label}：{sub.step_note}" if sub.step_note else step.label,
        "service_name": sub.category,
        "service_code": service.code if service else sub.category,
        "agency_responsible": sub.responsible,
        "service_notice": None,
        "requested_datetime": sub.created_at,
        "updated_datetime": sub.step_changed_at,
        "expected_datetime": sub.promised_date or sub.deadline,
        "address": sub.place or None,
        "address_id": None,
        "zipcode": None,
        "lat": None,
        "long": None,
        "media_url": None,
    }


@dataclass(frozen=True)
class RequestQuery:
    """GET requests' filters, already checked."""

    ids: tuple[str, ...] = ()
    categories: tuple[str, ...] | None = None  # None: every service
    start: datetime | None = None
    end: datetime | None = None
    statuses: frozenset[str] = frozenset()  # empty: both


def parse_query(params: Mapping[str, str], services: Mapping[str, Service]) -> RequestQuery:
    ids = _comma_list(params.get("service_request_id", ""))
    if ids:  # the spec: with service_request_id every other filter is ignored
        return RequestQuery(ids=ids)
    categories = None
    codes = _comma_list(params.get("service_code", ""))
    if codes:
        categories = tuple(services[c].name if c in services else c for c in codes)
    statuses = frozenset(_comma_list(params.get("status", "").lower()))
    if not statuses <= {"open", "closed"}:
        raise Open311Error(400, "status must be open, closed or both (comma separated)")
    start = _when(params, "start_date")
    end = _when(params, "end_date")
    if start is None:
        start = (end or datetime.now().astimezone()) - DEFAULT_SPAN
    if end is not None and end < start:
        raise Open311Error(400, "end_date is before start_date")
    return RequestQuery(categories=categories, start=start, end=end, statuses=statuses)


def _comma_list(value: str) -> tuple[str, ...]:
    return tuple(v.strip() for v in value.split(",") if v.strip())


def _when(params: Mapping[str, str], name: str) -> datetime | None:
    value = params.get(name, "").strip()
    if not value:
        return None
    try:
        moment = datetime.fromisoformat(value.replace(" ", "+"))  # a "+" unescaped in a query
    except ValueError:
        raise Open311Error(400, f"{name} must be a W3C date-time such as "
                                "2026-11-01T00:00:00+08:00") from None
    return moment if moment.tzinfo else moment.astimezone()  # no offset: the server's time


def find(db: Session, query: RequestQuery) -> list[CentralSubmission]:
    """Newest first, at most MAX_REQUESTS."""
    stmt = select(CentralSubmission)
    if query.ids:
        stmt = stmt.where(CentralSubmission.ticket.in_(query.ids[:MAX_REQUESTS]))
        return list(db.scalars(stmt.order_by(CentralSubmission.created_at.desc())))
    if query.categories is not None:
        stmt = stmt.where(CentralSubmission.category.in_(query.categories))
    if query.statuses == {"open"}:
        stmt = stmt.where(CentralSubmission.step.not_in(_CLOSED))
    elif query.statuses == {"closed"}:
        stmt = stmt.where(CentralSubmission.step.in_(_CLOSED))
    # created_at is ISO 8601 text with the offset of the clock that took it: compared as
    # text it is only roughly in order, so the date bounds are widened by a day and checked
    # exactly below.
    if query.start is not None:
        stmt = stmt.where(CentralSubmission.created_at >= (query.start - timedelta(days=1))
                          .date().isoformat())
    if query.end is not None:
        stmt = stmt.where(CentralSubmission.created_at < (query.end + timedelta(days=2))
                          .date().isoformat())
    found: list[CentralSubmission] = []
    for sub in db.scalars(stmt.order_by(CentralSubmission.created_at.desc()).execution_options(
            yield_per=500)):
        taken = _moment(sub.created_at)
        if query.start is not None and taken < query.start:
            continue
        if query.end is not None and taken > query.end:
            continue
        found.append(sub)
        if len(found) >= MAX_REQUESTS:
            break
    found.sort(key=lambda s: _moment(s.created_at), reverse=True)
    return found


def _moment(iso: str) -> datetime:
    moment = datetime.fromisoformat(iso)
    return moment if moment.tzinfo else moment.astimezone()


def create(db: Session, form: Mapping[str, str], services: Mapping[str, Service]
           ) -> CentralSubmission:
    """A new submission from a posted Open311 request; 400 when a field is wrong."""
    code = form.get("service_code", "").strip()
    if not code:
        raise Open311Error(400, "service_code is required")
    service = services.get(code)
    if service is None:
        raise Open311Error(400, f"service_code {code} is not a service here (see services)")
    for name, longest in LIMITS.items():
        if len(form.get(name, "")) > longest:
            raise Open311Error(400, f"{name} is longer than {longest} characters")
    place = _place(form)
    name = " ".join(p for p in (form.get("first_name", "").strip(),
                                form.get("last_name", "").strip()) if p)
    stamp = now_iso()
    if db.get_bind().dialect.name == "postgresql":
        # Numbering reads, then writes: two requests at once could each find no Open311 code
        # and reserve one apiece. One request numbers at a time (SQLite's write lock does this).
        db.execute(select(func.pg_advisory_xact_lock(OPEN311_LOCK)))
    for _attempt in range(5):
        try:  # a concurrent request may take the same number, or reserve the same code, first
            sub = CentralSubmission(
                uuid=str(uuid.uuid4()), ticket=_next_ticket(db), kiosk_code="",
                category=service.name, description=form.get("description", "").strip(),
                place=place, urgent=False, contact_name=name or None,
                contact_phone=form.get("phone", "").strip() or None, channel=OPEN311_CHANNEL,
                created_at=stamp, received_at=stamp, step=Step.SAY.value, step_note="",
                step_changed_at=stamp, community_code=None)
            sub.kiosk_code = sub.ticket[:4]
            with db.begin_nested():
                db.add(sub)
        except IntegrityError:
            continue
        return sub
    raise Open311Error(503, "could not number the request; try again")


def _place(form: Mapping[str, str]) -> str:
    address = form.get("address_string", "").strip()
    if address:
        return address
    lat, long = form.get("lat", "").strip(), form.get("long", "").strip()
    if lat and long:
        try:
            return f"{float(lat):.6f},{float(long):.6f}"
        except ValueError:
            raise Open311Error(400, "lat and long must be decimal degrees") from None
    if form.get("address_id", "").strip():
        return f"address_id {form['address_id'].strip()[:180]}"
    raise Open311Error(400, "a location is required: lat and long, address_string or "
                            "address_id")


def _next_ticket(db: Session) -> str:
    """The next ticket of the server's Open311 code, reserving a (new) code when needed."""
    code = db.scalar(select(Kiosk.code).where(Kiosk.name == OPEN311_KIOSK_NAME,
                                              Kiosk.public_key == "")
                     .order_by(Kiosk.created_at.desc(), Kiosk.code).limit(1))
    if code is not None:
        last = db.scalar(select(func.max(CentralSubmission.ticket))
                         .where(CentralSubmission.kiosk_code == code))
        sequence = int(last[4:4 + SEQUENCE_DIGITS]) + 1 if last else 1
        if sequence <= MAX_SEQUENCE:
            return make_ticket(code, sequence)
    return make_ticket(_reserve_code(db), 1)


def _reserve_code(db: Session) -> str:
    taken = set(db.scalars(select(Kiosk.code)))
    free = next((c for c in reversed(ALL_CODES) if c not in taken), None)
    if free is None:
        raise Open311Error(503, "no kiosk code is free to number Open311 requests")
    stamp = now_iso()
    with db.begin_nested():
        # Marked revoked from the start: it never sends heartbeats, so the fleet page and the
        # metrics, which leave revoked kiosks out, must not count it as a silent kiosk.
        db.add(Kiosk(code=free, name=OPEN311_KIOSK_NAME, public_key="", created_at=stamp,
                     heartbeat=None, heartbeat_at=None, community_code=None, revoked_at=stamp))
    return free


def by_token(db: Session, token: str) -> CentralSubmission | None:
    """A request posted here, found by the token its POST answered with."""
    try:
        key = str(uuid.UUID(token))
    except ValueError:
        return None
    return db.scalar(select(CentralSubmission).where(CentralSubmission.uuid == key,
                                                     CentralSubmission.channel == OPEN311_CHANNEL))
