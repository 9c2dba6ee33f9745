"""Opening the central server's database: engines and their pools, SQLite's pragmas, the
migrations on start, and the write/read/nonce transactions of one server process."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Any

from sqlalchemy import Engine, create_engine, event, func, select
from sqlalchemy.orm import Session, sessionmaker

from server.db import SeenNonce, ServerBase
from sync.contract.migrate import upgrade

MIGRATIONS_DIR = Path(__file__).resolve().parent / "migrations"

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
