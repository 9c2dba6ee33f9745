"""Tables of the reference central server."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import timedelta
from pathlib import Path
from typing import Any

from sqlalchemy import Engine, Insert, String, create_engine, delete, event, false, func, select
from sqlalchemy.dialects.postgresql import insert as postgresql_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert
from sqlalchemy.orm import DeclarativeBase, Mapped, Session, mapped_column, sessionmaker

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
    # Added in 0003: where it came from and how staff handle it (理事 / 三事分流).
    community_code: Mapped[str | None] = mapped_column(String(20), index=True, default=None)
    """The community of the kiosk that took it, copied when received (kiosks may move)."""
    voice_sha256: Mapped[str | None] = mapped_column(String(64), default=None)
    affair_class: Mapped[str | None] = mapped_column(default=None)
    """三事分流: "major" 大事, "minor" 小事 or "private" 私事; None until sorted."""
    responsible: Mapped[str | None] = mapped_column(default=None)
    """Who is to handle it: a department, the residents' committee, a property company."""
    deadline: Mapped[str | None] = mapped_column(default=None)  # ISO date
    outcome_class: Mapped[str | None] = mapped_column(default=None)
    """"immediate" 即办件, "promised" 承诺件, "shelved" 搁置件 or "suggestion" 建议件."""
    promised_date: Mapped[str | None] = mapped_column(default=None)  # ISO date, for 承诺件
    closed_at: Mapped[str | None] = mapped_column(default=None)
    """When it first reached 评事 (the result published): 办结 for the statistics."""
    # Added in 0004.
    public: Mapped[bool] = mapped_column(default=False, server_default=false())
    """公开: the resident lets others see it (附议, the notice board); private by default."""


class FeedChange(ServerBase):
    """The change feed kiosks pull, numbered by ``seq`` in commit order.

    ``kiosk_code`` is set for a status change (only that kiosk needs it) and NULL for content
    (notices, categories, schedule, service directory), which goes to the kiosks of
    ``community_code``, or to every kiosk when that is NULL too.
    """

    __tablename__ = "feed_changes"

    seq: Mapped[int] = mapped_column(primary_key=True, autoincrement=True)
    kiosk_code: Mapped[str | None] = mapped_column(String(4), index=True)
    kind: Mapped[str]
    key: Mapped[str]
    body: Mapped[str]  # JSON
    deleted: Mapped[bool] = mapped_column(default=False)
    community_code: Mapped[str | None] = mapped_column(String(20), index=True, default=None)


class Community(ServerBase):
    """A community (社区) with its own hall; kiosks, staff and content belong to one."""

    __tablename__ = "communities"

    code: Mapped[str] = mapped_column(String(20), primary_key=True)  # e.g. "xingfuli"
    name: Mapped[str]  # 幸福里社区
    street: Mapped[str] = mapped_column(default="")  # the 街道 it belongs to


class Kiosk(ServerBase):
    __tablename__ = "kiosks"

    code: Mapped[str] = mapped_column(String(4), primary_key=True)
    name: Mapped[str]
    public_key: Mapped[str]  # Ed25519, base64
    created_at: Mapped[str]
    heartbeat: Mapped[str | None]  # latest Heartbeat as JSON
    heartbeat_at: Mapped[str | None]
    community_code: Mapped[str | None] = mapped_column(String(20), index=True, default=None)
    revoked_at: Mapped[str | None] = mapped_column(default=None)
    """Set when the kiosk's key is withdrawn: its requests are refused from then on."""
    key_rotated_at: Mapped[str | None] = mapped_column(default=None)


class StaffAccount(ServerBase):
    """Someone who works in the console. Community staff see their own community's issues;
    admins of the street or district see all."""

    __tablename__ = "staff_accounts"

    username: Mapped[str] = mapped_column(String(40), primary_key=True)
    display_name: Mapped[str]
    password_hash: Mapped[str]  # argon2id
    role: Mapped[str]  # "community" or "admin"
    community_code: Mapped[str | None] = mapped_column(String(20), default=None)
    created_at: Mapped[str]
    disabled: Mapped[bool] = mapped_column(default=False)


class StaffSession(ServerBase):
    """A signed-in console session; the cookie carries the token, the table only its hash."""

    __tablename__ = "staff_sessions"

    token_sha256: Mapped[str] = mapped_column(String(64), primary_key=True)
    username: Mapped[str] = mapped_column(String(40), index=True)
    csrf_token: Mapped[str]
    created_at: Mapped[float]
    expires_at: Mapped[float] = mapped_column(index=True)


class StaffToken(ServerBase):
    """A bearer token for the staff API (scripts, ``shuoshi server set-status``)."""

    __tablename__ = "staff_tokens"

    token_sha256: Mapped[str] = mapped_column(String(64), primary_key=True)
    username: Mapped[str] = mapped_column(String(40), index=True)
    created_at: Mapped[str]


class StepNote(ServerBase):
    """Each move through the six steps, with the note the resident hears at the kiosk."""

    __tablename__ = "step_notes"

    id: Mapped[int] = mapped_column(primary_key=True, autoincrement=True)
    ticket: Mapped[str] = mapped_column(String(10), index=True)
    step: Mapped[str]
    note: Mapped[str]
    staff: Mapped[str | None]  # username; None for a bearer token of the old kind
    at: Mapped[str]


class AuditEvent(ServerBase):
    """Things done on purpose that touch personal data, such as revealing a contact."""

    __tablename__ = "audit_events"

    id: Mapped[int] = mapped_column(primary_key=True, autoincrement=True)
    staff: Mapped[str] = mapped_column(String(40))
    action: Mapped[str]  # e.g. "reveal_contact", "play_voice"
    ticket: Mapped[str | None] = mapped_column(String(10), index=True)
    at: Mapped[str]


class Rating(ServerBase):
    """A resident's rating of how an issue was handled (评事), sent by a kiosk."""

    __tablename__ = "ratings"

    uuid: Mapped[str] = mapped_column(String(36), primary_key=True)
    ticket: Mapped[str] = mapped_column(String(10), index=True)
    kiosk_code: Mapped[str] = mapped_column(String(4))
    score: Mapped[str]  # "satisfied" 满意, "fair" 基本满意, "unsatisfied" 不满意
    created_at: Mapped[str]
    # Added in 0005. A later rating of the same ticket replaces an earlier one (by created_at).
    reasons: Mapped[str] = mapped_column(default="[]", server_default="[]")
    """The reason phrases chosen or said, as a JSON list of strings."""
    channel: Mapped[str] = mapped_column(default="kiosk", server_default="kiosk")
    """"kiosk" (at the kiosk's screen) or "phone" (told to staff in a 回访 call)."""


class Support(ServerBase):
    """附议 ("me too"): a resident's support of a public issue, with a receipt of its own."""

    __tablename__ = "supports"

    uuid: Mapped[str] = mapped_column(String(36), primary_key=True)
    ticket: Mapped[str] = mapped_column(String(10), index=True)
    """The issue supported."""
    support_ticket: Mapped[str] = mapped_column(String(10), unique=True)
    kiosk_code: Mapped[str] = mapped_column(String(4))
    contact_name: Mapped[str | None]
    contact_phone: Mapped[str | None]
    created_at: Mapped[str]
    received_at: Mapped[str]


class PublishedContent(ServerBase):
    """What is published now (notices, categories, schedule, directory), for the console
    and Open311; every publish or withdrawal also goes into the change feed."""

    __tablename__ = "published_content"

    kind: Mapped[str] = mapped_column(primary_key=True)
    key: Mapped[str] = mapped_column(primary_key=True)
    community_code: Mapped[str] = mapped_column(String(20), primary_key=True, default="")
    """"" for content every community gets."""
    body: Mapped[str]  # JSON
    published_at: Mapped[str]
    published_by: Mapped[str | None]


class ApiKey(ServerBase):
    """An Open311 client allowed to POST requests (``shuoshi server add-api-key NAME``)."""

    __tablename__ = "api_keys"

    key_sha256: Mapped[str] = mapped_column(String(64), primary_key=True)
    name: Mapped[str]
    created_at: Mapped[str]
    revoked_at: Mapped[str | None] = mapped_column(default=None)


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


POOL_SIZE = 20
"""Connections each engine of a server process keeps (SQLite: the writing and the reading engine
have one pool each). The load shedder (server.shedding) admits one request fewer than this, and
a request holds a connection only inside one thread call (server.deps), so an admitted request
never waits for a connection; POOL_OVERFLOW covers what the shedder does not count (/metrics,
/healthz, start-up). It stays under anyio's 40 worker threads. With PostgreSQL,
``max_connections`` must cover (POOL_SIZE + POOL_OVERFLOW) x worker processes, plus admin."""
POOL_OVERFLOW = 5
MIGRATION_LOCK = 0x5348_5553_4D49  # PostgreSQL advisory lock held while migrating
POOL_TIMEOUT_S = 10.0
"""Waiting longer than this for a connection is an error, not a freeze."""


def insert_or_nothing(db: Session, model: type[ServerBase]) -> Insert:
    """``INSERT … ON CONFLICT DO NOTHING`` into ``model``'s table, in the session's dialect
    (SQLite or PostgreSQL): a row already there makes it insert nothing, never fail."""
    if db.get_bind().dialect.name == "postgresql":
        return postgresql_insert(model).on_conflict_do_nothing()
    return sqlite_insert(model).on_conflict_do_nothing()


def _sqlite_pragmas(dbapi_connection: Any, _record: Any) -> None:
    dbapi_connection.isolation_level = None  # transactions are begun by the "begin" listeners
    cur = dbapi_connection.cursor()
    cur.execute("PRAGMA busy_timeout=10000")
    cur.execute("PRAGMA journal_mode=WAL")
    cur.execute("PRAGMA synchronous=FULL")
    cur.execute("PRAGMA foreign_keys=ON")
    cur.close()


def _sqlite_read_only(dbapi_connection: Any, _record: Any) -> None:
    cur = dbapi_connection.cursor()
    cur.execute("PRAGMA query_only=ON")
    cur.close()


def _engine(url: str, *, reading: bool = False) -> Engine:
    if not url.startswith("sqlite"):
        return create_engine(url, pool_size=POOL_SIZE, max_overflow=POOL_OVERFLOW,
                             pool_timeout=POOL_TIMEOUT_S, pool_pre_ping=True)
    engine = create_engine(url, connect_args={"check_same_thread": False}, pool_size=POOL_SIZE,
                           max_overflow=POOL_OVERFLOW, pool_timeout=POOL_TIMEOUT_S)
    event.listen(engine, "connect", _sqlite_pragmas)
    if reading:
        # A deferred BEGIN reads a snapshot in WAL mode and never takes the write lock.
        event.listen(engine, "connect", _sqlite_read_only)
        event.listen(engine, "begin", lambda conn: conn.exec_driver_sql("BEGIN"))
    else:
        # Writers take the lock at their first statement, so they queue instead of failing
        # to upgrade a read lock, and change-feed numbers are committed in the order issued.
        event.listen(engine, "begin", lambda conn: conn.exec_driver_sql("BEGIN IMMEDIATE"))
    return engine


def _migrate(url: str, engine: Engine) -> None:
    lock = Path("var/server.migrate.lock")
    if url.startswith("sqlite:///"):
        db_path = Path(url.removeprefix("sqlite:///"))
        db_path.parent.mkdir(parents=True, exist_ok=True)
        lock = db_path.with_name(db_path.name + ".migrate.lock")
    if engine.dialect.name != "postgresql":
        # Servers started before migrations existed made these tables with create_all.
        upgrade(engine, MIGRATIONS_DIR, lock, adopt=("central_submissions", "0001"))
        return
    # Servers on other hosts share the database but not the lock file: the database locks.
    with engine.connect() as guard:
        guard.execute(select(func.pg_advisory_lock(MIGRATION_LOCK)))
        try:
            upgrade(engine, MIGRATIONS_DIR, lock, adopt=("central_submissions", "0001"))
        finally:
            guard.execute(select(func.pg_advisory_unlock(MIGRATION_LOCK)))


def open_server_engine(url: str) -> Engine:
    """The server's database for writing, migrated to the newest schema (SQLite or
    PostgreSQL through ``postgresql+psycopg://``)."""
    engine = _engine(url)
    _migrate(url, engine)
    return engine


def _nonce_engine(url: str) -> Engine:
    """SQLite: the seen nonces live in a file of their own beside the database (``…-nonces``),
    so recording one never waits for the database's write lock; a kiosk's read is not held up
    by a long write. They are kept for minutes only, so the file needs no migrations."""
    engine = _engine(url + "-nonces")
    ServerBase.metadata.create_all(engine, tables=[SeenNonce.__table__])  # type: ignore[list-item]
    return engine


@dataclass(frozen=True)
class ServerDatabase:
    """Write and read transactions of one server process, and where seen nonces are kept.

    On SQLite ``writing`` and ``reading`` are two engines on the same file: ``writing`` begins
    with BEGIN IMMEDIATE (one writer at a time), ``reading`` with a deferred BEGIN on
    read-only connections, so a read never waits for, nor holds up, a writer; ``nonces`` is a
    file of its own. On PostgreSQL all three use the one engine.
    """

    writing: sessionmaker[Session]
    reading: sessionmaker[Session]
    nonces: sessionmaker[Session]
    engines: tuple[Engine, ...]

    @property
    def dialect(self) -> str:
        return self.engines[0].dialect.name

    def dispose(self) -> None:
        for engine in self.engines:
            engine.dispose()


def open_server_database(url: str) -> ServerDatabase:
    writer = open_server_engine(url)
    if writer.dialect.name != "sqlite" or not url.startswith("sqlite:///"):
        one = sessionmaker(writer, expire_on_commit=False)
        return ServerDatabase(writing=one, reading=one, nonces=one, engines=(writer,))
    reader, nonces = _engine(url, reading=True), _nonce_engine(url)
    return ServerDatabase(writing=sessionmaker(writer, expire_on_commit=False),
                          reading=sessionmaker(reader, expire_on_commit=False),
                          nonces=sessionmaker(nonces, expire_on_commit=False),
                          engines=(writer, reader, nonces))
