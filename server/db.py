"""Tables of the reference central server."""

from __future__ import annotations

from datetime import timedelta
from pathlib import Path
from typing import Any

from sqlalchemy import Engine, String, create_engine, delete, event
from sqlalchemy.orm import DeclarativeBase, Mapped, Session, mapped_column

from sync.contract.migrate import upgrade

MIGRATIONS_DIR = Path(__file__).resolve().parent / "migrations"
IDEMPOTENCY_RETENTION = timedelta(days=30)
"""How long a stored reply to an Idempotency-Key is kept. A kiosk whose reply was lost sends
the same batch (same key) again when it is back online, possibly after days without network
(a hall closed over a week-long holiday, a broken uplink awaiting a technician); 30 days covers
that with room to spare. Past it nothing is lost: a push is still deduplicated by submission
UUID and answered "duplicate", only not byte-for-byte the first reply."""


class ServerBase(DeclarativeBase):
    pass


class CentralSubmission(ServerBase):
    __tablename__ = "central_submissions"

    id: Mapped[int] = mapped_column(primary_key=True, autoincrement=True)
    uuid: Mapped[str] = mapped_column(String(36), unique=True)
    ticket: Mapped[str] = mapped_column(String(10), unique=True)
    kiosk_code: Mapped[str] = mapped_column(String(4), index=True)
    category: Mapped[str]
    description: Mapped[str]
    place: Mapped[str]
    urgent: Mapped[bool]
    contact_name: Mapped[str | None]
    contact_phone: Mapped[str | None]
    channel: Mapped[str]
    created_at: Mapped[str]
    received_at: Mapped[str]
    step: Mapped[str] = mapped_column(default="say")
    step_note: Mapped[str] = mapped_column(default="")
    step_changed_at: Mapped[str]


class FeedChange(ServerBase):
    """The change feed kiosks pull, numbered by ``seq`` in commit order.

    ``kiosk_code`` is set for a status change (only that kiosk needs it) and NULL for content
    every kiosk gets (notices, categories, schedule, service directory).
    """

    __tablename__ = "feed_changes"

    seq: Mapped[int] = mapped_column(primary_key=True, autoincrement=True)
    kiosk_code: Mapped[str | None] = mapped_column(String(4), index=True)
    kind: Mapped[str]
    key: Mapped[str]
    body: Mapped[str]  # JSON
    deleted: Mapped[bool] = mapped_column(default=False)


class Kiosk(ServerBase):
    __tablename__ = "kiosks"

    code: Mapped[str] = mapped_column(String(4), primary_key=True)
    name: Mapped[str]
    public_key: Mapped[str]  # Ed25519, base64
    created_at: Mapped[str]
    heartbeat: Mapped[str | None]  # latest Heartbeat as JSON
    heartbeat_at: Mapped[str | None]


class SeenNonce(ServerBase):
    """Signature nonces seen in the last few minutes: a second use is a replay."""

    __tablename__ = "seen_nonces"

    nonce: Mapped[str] = mapped_column(primary_key=True)
    kiosk_code: Mapped[str]
    seen_at: Mapped[float] = mapped_column(index=True)


class IdempotentReply(ServerBase):
    """The reply to a request with an Idempotency-Key, replayed when the key comes again."""

    __tablename__ = "idempotent_replies"

    kiosk_code: Mapped[str] = mapped_column(String(4), primary_key=True)
    key: Mapped[str] = mapped_column(primary_key=True)
    request_sha256: Mapped[str]
    body: Mapped[str]
    created_at: Mapped[float] = mapped_column(index=True)  # time.time() when stored


def prune_idempotent_replies(session: Session, now: float) -> int:
    """Delete replies stored more than IDEMPOTENCY_RETENTION before ``now``; returns how many."""
    oldest = now - IDEMPOTENCY_RETENTION.total_seconds()
    result = session.execute(delete(IdempotentReply).where(IdempotentReply.created_at < oldest))
    return int(result.rowcount)  # type: ignore[attr-defined]


class QuarantineRecord(ServerBase):
    """A submission a kiosk could not deliver because this server refused it as malformed."""

    __tablename__ = "quarantine_records"

    uuid: Mapped[str] = mapped_column(String(36), primary_key=True)
    kiosk_code: Mapped[str]
    ticket: Mapped[str]
    reason: Mapped[str]
    reported_at: Mapped[str]


class Attachment(ServerBase):
    __tablename__ = "attachments"

    sha256: Mapped[str] = mapped_column(String(64), primary_key=True)
    kiosk_code: Mapped[str]
    size: Mapped[int]
    received: Mapped[int] = mapped_column(default=0)
    complete: Mapped[bool] = mapped_column(default=False)


def _pragmas(dbapi_connection: Any, _record: Any) -> None:
    dbapi_connection.isolation_level = None
    cur = dbapi_connection.cursor()
    cur.execute("PRAGMA busy_timeout=10000")
    cur.execute("PRAGMA journal_mode=WAL")
    cur.execute("PRAGMA synchronous=FULL")
    cur.execute("PRAGMA foreign_keys=ON")
    cur.close()


def open_server_engine(url: str) -> Engine:
    """The server's database, migrated to the newest schema (SQLite, or any SQLAlchemy URL)."""
    lock = Path("var/server.migrate.lock")
    if url.startswith("sqlite:///"):
        db_path = Path(url.removeprefix("sqlite:///"))
        db_path.parent.mkdir(parents=True, exist_ok=True)
        lock = db_path.with_name(db_path.name + ".migrate.lock")
    engine = create_engine(url, connect_args={"check_same_thread": False})
    if engine.dialect.name == "sqlite":
        event.listen(engine, "connect", _pragmas)
        # Serialise writers so status-change numbers are committed in the order they are issued.
        event.listen(engine, "begin", lambda conn: conn.exec_driver_sql("BEGIN IMMEDIATE"))
    # Servers started before migrations existed made these tables with create_all.
    upgrade(engine, MIGRATIONS_DIR, lock, adopt=("central_submissions", "0001"))
    return engine
