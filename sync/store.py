"""The kiosk's local store: SQLite in WAL mode with synchronous=FULL, migrated by Alembic.

The UI and the sync worker are separate processes sharing this file. Every write runs in
``BEGIN IMMEDIATE`` so two writers queue on the lock instead of failing half-way.
"""

from __future__ import annotations

import fcntl
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from typing import Any

from alembic import command
from alembic.config import Config as AlembicConfig
from sqlalchemy import Engine, create_engine, event, func, select
from sqlalchemy.orm import Session, sessionmaker

from sync.models import OutboxEntry, Submission, SyncCursor, TicketCounter
from sync.protocol import StatusUpdate, Step, SubmissionIn
from sync.ticket import MAX_SEQUENCE, make_ticket

MIGRATIONS_DIR = Path(__file__).resolve().parent / "migrations"
STATUS_CURSOR = "status"
BUSY_TIMEOUT_MS = 10_000


@dataclass(frozen=True)
class SubmissionDraft:
    """What the resident (or staff) entered, before it is stored and gets a ticket."""

    category: str
    description: str
    place: str = ""
    urgent: bool = False
    contact_name: str | None = None
    contact_phone: str | None = None
    channel: str = "kiosk"


@dataclass(frozen=True)
class StoredSubmission:
    uuid: str
    ticket: str
    kiosk_code: str
    category: str
    description: str
    place: str
    contact_phone: str | None
    created_at: datetime
    step: Step
    step_note: str
    acknowledged: bool


class StoreFullError(RuntimeError):
    """The kiosk has used every sequence number its code allows; it needs a new code."""


def _set_pragmas(dbapi_connection: Any, _record: Any) -> None:
    dbapi_connection.isolation_level = None  # let the "begin" hook issue BEGIN itself
    cur = dbapi_connection.cursor()
    cur.execute(f"PRAGMA busy_timeout={BUSY_TIMEOUT_MS}")
    cur.execute("PRAGMA journal_mode=WAL")
    cur.execute("PRAGMA synchronous=FULL")
    cur.execute("PRAGMA foreign_keys=ON")
    cur.close()


def open_engine(path: Path) -> Engine:
    path.parent.mkdir(parents=True, exist_ok=True)
    engine = create_engine(f"sqlite:///{path}")
    event.listen(engine, "connect", _set_pragmas)
    event.listen(engine, "begin", lambda conn: conn.exec_driver_sql("BEGIN IMMEDIATE"))
    return engine


def migrate(engine: Engine, db_path: Path) -> None:
    """Bring the schema to the newest revision; safe when several processes start at once."""
    lock_path = db_path.with_name(db_path.name + ".migrate.lock")
    with lock_path.open("w") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)
        cfg = AlembicConfig()
        cfg.set_main_option("script_location", str(MIGRATIONS_DIR))
        with engine.begin() as conn:
            cfg.attributes["connection"] = conn
            command.upgrade(cfg, "head")


class Store:
    """Submissions, the outbox and the sync cursor of one kiosk."""

    def __init__(self, path: Path) -> None:
        self.path = path
        self.engine = open_engine(path)
        migrate(self.engine, path)
        self._sessions = sessionmaker(self.engine, expire_on_commit=False)

    def close(self) -> None:
        self.engine.dispose()

    @contextmanager
    def _tx(self) -> Iterator[Session]:
        with self._sessions.begin() as session:
            yield session

    def record_submission(self, draft: SubmissionDraft, kiosk_code: str) -> StoredSubmission:
        """Issue a ticket and commit the submission with its outbox entry, durably."""
        with self._tx() as s:
            counter = s.get(TicketCounter, kiosk_code)
            if counter is None:
                counter = TicketCounter(kiosk_code=kiosk_code, last_sequence=0)
                s.add(counter)
            if counter.last_sequence >= MAX_SEQUENCE:
                raise StoreFullError(f"kiosk {kiosk_code} has used all ticket numbers")
            counter.last_sequence += 1
            row = Submission(
                uuid=str(uuid.uuid4()),
                ticket=make_ticket(kiosk_code, counter.last_sequence),
                kiosk_code=kiosk_code,
                category=draft.category,
                description=draft.description,
                place=draft.place,
                urgent=draft.urgent,
                contact_name=draft.contact_name,
                contact_phone=draft.contact_phone,
                channel=draft.channel,
                created_at=datetime.now().astimezone().isoformat(timespec="seconds"),
                step=Step.SAY.value,
                step_note="",
            )
            s.add(row)
            s.flush()
            s.add(OutboxEntry(submission_uuid=row.uuid))
        return _stored(row)

    def find_by_ticket(self, ticket: str) -> StoredSubmission | None:
        with self._tx() as s:
            row = s.scalar(select(Submission).where(Submission.ticket == ticket))
            return _stored(row) if row else None

    def queue_depth(self) -> int:
        with self._tx() as s:
            return s.scalar(select(func.count()).select_from(OutboxEntry)) or 0

    def due_for_push(self, now: float, limit: int) -> list[SubmissionIn]:
        with self._tx() as s:
            rows = s.scalars(
                select(Submission)
                .join(OutboxEntry, OutboxEntry.submission_uuid == Submission.uuid)
                .where(OutboxEntry.next_attempt_at <= now)
                .order_by(OutboxEntry.id)
                .limit(limit)
            ).all()
            return [_wire(r) for r in rows]

    def acknowledge(self, acks: dict[str, int | None]) -> None:
        """The server holds these submissions (uuid -> server id): drop them from the outbox."""
        stamp = datetime.now().astimezone().isoformat(timespec="seconds")
        with self._tx() as s:
            for sub_uuid, server_id in acks.items():
                entry = s.scalar(select(OutboxEntry).where(OutboxEntry.submission_uuid == sub_uuid))
                if entry is not None:
                    s.delete(entry)
                row = s.get(Submission, sub_uuid)
                if row is not None:
                    row.server_id = server_id
                    row.acknowledged_at = stamp

    def postpone(self, uuids: list[str], error: str, next_attempt_at: float) -> None:
        with self._tx() as s:
            for entry in s.scalars(
                select(OutboxEntry).where(OutboxEntry.submission_uuid.in_(uuids))
            ):
                entry.attempts += 1
                entry.last_error = error[:500]
                entry.next_attempt_at = next_attempt_at

    def status_cursor(self) -> int:
        with self._tx() as s:
            row = s.get(SyncCursor, STATUS_CURSOR)
            return row.value if row else 0

    def apply_status_updates(self, updates: list[StatusUpdate], cursor: int) -> None:
        """Store the updates and the cursor that brought them in one transaction."""
        with self._tx() as s:
            for update in updates:
                row = s.get(Submission, str(update.uuid))
                if row is not None:
                    row.step = update.step.value
                    row.step_note = update.note
                    row.step_changed_at = update.changed_at.isoformat(timespec="seconds")
            current = s.get(SyncCursor, STATUS_CURSOR)
            if current is None:
                s.add(SyncCursor(name=STATUS_CURSOR, value=cursor))
            elif cursor > current.value:
                current.value = cursor


def _stored(row: Submission) -> StoredSubmission:
    return StoredSubmission(
        uuid=row.uuid,
        ticket=row.ticket,
        kiosk_code=row.kiosk_code,
        category=row.category,
        description=row.description,
        place=row.place,
        contact_phone=row.contact_phone,
        created_at=datetime.fromisoformat(row.created_at),
        step=Step(row.step),
        step_note=row.step_note,
        acknowledged=row.acknowledged_at is not None,
    )


def _wire(row: Submission) -> SubmissionIn:
    return SubmissionIn(
        uuid=uuid.UUID(row.uuid),
        ticket=row.ticket,
        kiosk_code=row.kiosk_code,
        category=row.category,
        description=row.description,
        place=row.place,
        urgent=row.urgent,
        contact_name=row.contact_name,
        contact_phone=row.contact_phone,
        channel=row.channel,  # type: ignore[arg-type]
        created_at=datetime.fromisoformat(row.created_at),
    )
