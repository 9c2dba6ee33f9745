"""The kiosk's local store: SQLite in WAL mode with synchronous=FULL, migrated by Alembic.

The UI and the sync worker are separate processes sharing this file. Every write runs in
``BEGIN IMMEDIATE`` so two writers queue on the lock instead of failing half-way.
"""

from __future__ import annotations

import json
import subprocess
import sys
import uuid
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, fields
from datetime import datetime
from pathlib import Path
from typing import Any, Protocol

from sqlalchemy import Engine, create_engine, delete, event, select
from sqlalchemy.orm import Session, sessionmaker

from sync.contract.migrate import is_current, upgrade
from sync.contract.protocol import PublicIssue, Step, SubmissionIn, entered_fields
from sync.contract.ticket import MAX_SEQUENCE, make_ticket
from sync.models import (
    OutboxEntry,
    PrintOutboxEntry,
    RatingEntry,
    Submission,
    SupportEntry,
    SyncState,
    TicketCounter,
)
from sync.privacy import mask_phone

MIGRATIONS_DIR = Path(__file__).resolve().parent / "migrations"
BUSY_TIMEOUT_MS = 10_000


@dataclass(frozen=True)
class SubmissionDraft:
    """What the resident (or staff) entered, before it is stored and gets a ticket.

    Its fields but ``voice_path`` are the wire's ``entered_fields()``: they are copied by name.
    """

    category: str
    description: str
    place: str = ""
    urgent: bool = False
    contact_name: str | None = None
    contact_phone: str | None = None
    channel: str = "kiosk"
    entered_by: str | None = None
    """代录: the staff member who entered it for the resident (staff mode, `shuoshi submit`)."""
    public: bool = False
    """公开: others may see the issue (附议, the notice board). Private unless chosen."""
    voice_path: Path | None = None
    """A voice note already durably on disk (see sync.files), with its ``voice_sha256``."""
    voice_sha256: str | None = None

    def entered(self) -> dict[str, Any]:
        """The draft's wire fields by name (the voice file's path stays on the kiosk)."""
        return {name: getattr(self, name) for name in entered_fields()}


@dataclass(frozen=True)
class StoredSubmission:
    uuid: str
    ticket: str
    kiosk_code: str
    category: str
    description: str
    place: str
    contact_phone: str | None
    masked_phone: str
    created_at: datetime
    step: Step
    step_note: str
    acknowledged: bool
    public: bool = False
    story: str | None = None
    """The latest TicketStory from the feed, as JSON; None until the first status change."""
    step_changed_at: str | None = None


@dataclass(frozen=True)
class StoredSupport:
    """附议 as stored: its own receipt number and the issue supported as its receipt shows it."""

    uuid: str
    support_ticket: str
    ticket: str
    """The issue supported."""
    kiosk_code: str
    category: str
    description: str
    step: Step
    masked_phone: str
    created_at: datetime
    acknowledged: bool


@dataclass(frozen=True)
class PrintRequest:
    """A print job to commit with what it prints: the spool's job id and name, the ticket
    it carries, and the receipt layout as JSON."""

    job_id: str
    name: str
    label: str
    layout: str


class PrintSpool(Protocol):
    """Where ``Store.relay_prints`` moves jobs (device.printer.Spool)."""

    def exists(self, job_id: str) -> bool: ...
    def enqueue_json(self, job_id: str, name: str, label: str, layout: str) -> object: ...


_COPIED = tuple(f.name for f in fields(StoredSubmission)
                if f.name not in {"created_at", "step", "acknowledged"})
"""StoredSubmission's fields that are the submissions row's columns as they are."""


def as_wire(draft: SubmissionDraft, kiosk_code: str) -> SubmissionIn:
    """The wire model the draft would become once stored, with a placeholder uuid and
    ticket: raises ``pydantic.ValidationError`` for a draft the server would refuse."""
    return SubmissionIn(**draft.entered(), uuid=uuid.UUID(int=0),
                        ticket=make_ticket(kiosk_code, 1), kiosk_code=kiosk_code,
                        created_at=datetime.now().astimezone())


class StoreFullError(RuntimeError):
    """The kiosk has used every sequence number its code allows; it needs a new code."""


def _pragmas(busy_timeout_ms: int) -> Callable[[Any, Any], None]:
    def set_pragmas(dbapi_connection: Any, _record: Any) -> None:
        dbapi_connection.isolation_level = None  # let the "begin" hook issue BEGIN itself
        cur = dbapi_connection.cursor()
        cur.execute(f"PRAGMA busy_timeout={int(busy_timeout_ms)}")
        cur.execute("PRAGMA journal_mode=WAL")
        cur.execute("PRAGMA synchronous=FULL")
        cur.execute("PRAGMA foreign_keys=ON")
        cur.execute("PRAGMA secure_delete=ON")  # purged names and phones are overwritten on disk
        cur.close()
    return set_pragmas


def open_engine(path: Path, busy_timeout_ms: int = BUSY_TIMEOUT_MS) -> Engine:
    path.parent.mkdir(parents=True, exist_ok=True)
    engine = create_engine(f"sqlite:///{path}")
    event.listen(engine, "connect", _pragmas(busy_timeout_ms))
    event.listen(engine, "begin", lambda conn: conn.exec_driver_sql("BEGIN IMMEDIATE"))
    return engine


def migrate(engine: Engine, db_path: Path) -> None:
    upgrade(engine, MIGRATIONS_DIR, db_path.with_name(db_path.name + ".migrate.lock"))


def migrate_apart(path: Path, timeout: float = 120.0) -> None:
    """Bring a new or older store to the newest schema in a child process, so a process that
    runs for months (the kiosk UI) never holds Alembic. If the child fails, opening the
    store here migrates (and reports any trouble) as usual."""
    engine = open_engine(path)
    try:
        current = is_current(engine, MIGRATIONS_DIR)
    finally:
        engine.dispose()
    if not current:
        subprocess.run([sys.executable, "-m", "sync.store", str(path)], check=False,
                       timeout=timeout, stdin=subprocess.DEVNULL)


class Store:
    """Submissions, the outbox and the sync cursor of one kiosk."""

    def __init__(self, path: Path, busy_timeout_ms: int = BUSY_TIMEOUT_MS) -> None:
        """``busy_timeout_ms``: how long a write waits for the other process's transaction
        before it fails with "database is locked"."""
        self.path = path
        self.engine = open_engine(path, busy_timeout_ms)
        migrate(self.engine, path)
        self._sessions = sessionmaker(self.engine, expire_on_commit=False)

    def close(self) -> None:
        self.engine.dispose()

    @contextmanager
    def session(self) -> Iterator[Session]:
        """One write transaction (BEGIN IMMEDIATE), committed when the block ends."""
        with self._sessions.begin() as session:
            yield session

    def record_submission(
        self, draft: SubmissionDraft, kiosk_code: str,
        receipt: Callable[[StoredSubmission], PrintRequest] | None = None,
    ) -> StoredSubmission:
        """Issue a ticket and commit the submission with its outbox entry and, when
        ``receipt`` makes one, its receipt's print job, durably in one transaction."""
        with self.session() as s:
            row = Submission(
                **draft.entered(),
                uuid=str(uuid.uuid4()),
                ticket=_next_ticket(s, kiosk_code),
                kiosk_code=kiosk_code,
                created_at=datetime.now().astimezone().isoformat(timespec="seconds"),
                voice_path=str(draft.voice_path) if draft.voice_path else None,
                masked_phone=mask_phone(draft.contact_phone),
                step=Step.SAY.value,
                step_note="",
            )
            s.add(row)
            s.flush()
            s.add(OutboxEntry(submission_uuid=row.uuid))
            stored = _stored(row)
            if receipt is not None:
                _add_print(s, receipt(stored))
        return stored

    def record_support(self, issue: PublicIssue, kiosk_code: str, *,
                       contact_name: str | None = None,
                       contact_phone: str | None = None,
                       receipt: Callable[[StoredSupport], PrintRequest] | None = None,
                       ) -> StoredSupport:
        """附议: issue a receipt number from the same counter as submissions and commit the
        support, waiting to be sent, with its receipt's print job, durably in one
        transaction."""
        with self.session() as s:
            row = SupportEntry(
                uuid=str(uuid.uuid4()), ticket=issue.ticket,
                support_ticket=_next_ticket(s, kiosk_code), kiosk_code=kiosk_code,
                contact_name=contact_name, contact_phone=contact_phone,
                masked_phone=mask_phone(contact_phone), category=issue.category,
                description=issue.description, step=issue.step.value,
                created_at=datetime.now().astimezone().isoformat(timespec="seconds"),
                attempts=0, next_attempt_at=0.0, last_error="", quarantined=False)
            s.add(row)
            stored = _stored_support(row)
            if receipt is not None:
                _add_print(s, receipt(stored))
        return stored

    def relay_prints(self, spool: PrintSpool) -> int:
        """Move committed print jobs into the spool, oldest first; returns how many.

        It runs in a write transaction, so two processes relaying queue one after the
        other; a job already in the spool (a crash after the spool write, before the
        commit) is not queued again."""
        moved = 0
        with self.session() as s:
            for row in s.scalars(select(PrintOutboxEntry).order_by(PrintOutboxEntry.id)):
                if not spool.exists(row.job_id):
                    spool.enqueue_json(row.job_id, row.name, row.label, row.layout)
                    moved += 1
                s.delete(row)
        return moved

    def drop_prints(self, label: str) -> int:
        """A reprint of ``label`` replaces its receipt not yet moved to the spool."""
        with self.session() as s:
            gone = s.execute(delete(PrintOutboxEntry).where(PrintOutboxEntry.label == label))
            return int(getattr(gone, "rowcount", 0) or 0)

    def prints_waiting(self) -> int:
        """Print jobs committed and not yet in the spool."""
        with self.session() as s:
            return len(s.scalars(select(PrintOutboxEntry.id)).all())

    def record_rating(self, ticket: str, score: str, reasons: list[str], channel: str
                      ) -> tuple[str, bool]:
        """Commit a rating (评事) of ``ticket``, waiting to be sent; returns its uuid and
        whether this kiosk already held a rating of that ticket. An earlier one not yet
        sent goes: the server would only replace it with this one."""
        with self.session() as s:
            held = s.scalars(select(RatingEntry).where(RatingEntry.ticket == ticket,
                                                       RatingEntry.quarantined.is_(False))).all()
            s.execute(delete(RatingEntry).where(RatingEntry.ticket == ticket,
                                                RatingEntry.sent_at.is_(None),
                                                RatingEntry.quarantined.is_(False)))
            row = RatingEntry(uuid=str(uuid.uuid4()), ticket=ticket, score=score,
                              reasons=json.dumps(reasons, ensure_ascii=False), channel=channel,
                              created_at=datetime.now().astimezone().isoformat(
                                  timespec="seconds"),
                              attempts=0, next_attempt_at=0.0, last_error="",
                              quarantined=False)
            s.add(row)
        return row.uuid, bool(held)

    def find_support(self, support_ticket: str) -> StoredSupport | None:
        """The 附议 whose receipt carries ``support_ticket``, if it was made here."""
        with self.session() as s:
            row = s.scalar(select(SupportEntry)
                           .where(SupportEntry.support_ticket == support_ticket))
            return _stored_support(row) if row else None

    def find_by_ticket(self, ticket: str) -> StoredSubmission | None:
        with self.session() as s:
            row = s.scalar(select(Submission).where(Submission.ticket == ticket))
            return _stored(row) if row else None

    def checkpoint(self) -> bool:
        """Copy the WAL into the database file and empty it (``wal_checkpoint(TRUNCATE)``),
        so rows overwritten since (purged names and phones) are in neither file any more.

        False if a reader in another connection kept part of the WAL in use past the busy
        timeout; nothing is lost then, the bytes simply stay until a later checkpoint.
        """
        raw = self.engine.raw_connection()  # outside a transaction: a checkpoint needs that
        try:
            cur = raw.cursor()
            busy, _frames, _done = cur.execute("PRAGMA wal_checkpoint(TRUNCATE)").fetchone()
            cur.close()
        finally:
            raw.close()
        return bool(busy == 0)

    def get_state(self, key: str, default: str = "") -> str:
        with self.session() as s:
            row = s.get(SyncState, key)
            return row.value if row else default

    def set_state(self, **values: str) -> None:
        with self.session() as s:
            for key, value in values.items():
                s.merge(SyncState(key=key, value=value))


def _add_print(s: Session, job: PrintRequest) -> None:
    s.add(PrintOutboxEntry(job_id=job.job_id, name=job.name, label=job.label,
                           layout=job.layout,
                           created_at=datetime.now().astimezone().isoformat(timespec="seconds")))


def _next_ticket(s: Session, kiosk_code: str) -> str:
    """Bump this kiosk's sequence in the caller's transaction: the next receipt number."""
    counter = s.get(TicketCounter, kiosk_code)
    if counter is None:
        counter = TicketCounter(kiosk_code=kiosk_code, last_sequence=0)
        s.add(counter)
    if counter.last_sequence >= MAX_SEQUENCE:
        raise StoreFullError(f"kiosk {kiosk_code} has used all ticket numbers")
    counter.last_sequence += 1
    return make_ticket(kiosk_code, counter.last_sequence)


def _stored_support(row: SupportEntry) -> StoredSupport:
    return StoredSupport(
        uuid=row.uuid, support_ticket=row.support_ticket, ticket=row.ticket,
        kiosk_code=row.kiosk_code, category=row.category, description=row.description,
        step=Step(row.step), masked_phone=row.masked_phone,
        created_at=datetime.fromisoformat(row.created_at),
        acknowledged=row.acknowledged_at is not None)


def _stored(row: Submission) -> StoredSubmission:
    return StoredSubmission(
        **{name: getattr(row, name) for name in _COPIED},
        created_at=datetime.fromisoformat(row.created_at),
        step=Step(row.step),
        acknowledged=row.acknowledged_at is not None,
    )


if __name__ == "__main__":  # migrate_apart's child: open (and so migrate) the store, then go
    Store(Path(sys.argv[1])).close()
