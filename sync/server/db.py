"""Tables of the reference central server."""

from __future__ import annotations

from typing import Any

from sqlalchemy import Engine, ForeignKey, String, create_engine, event
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column


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


class StatusChange(ServerBase):
    """Every change of step, numbered; kiosks pull them in ``seq`` order."""

    __tablename__ = "status_changes"

    seq: Mapped[int] = mapped_column(primary_key=True, autoincrement=True)
    submission_id: Mapped[int] = mapped_column(ForeignKey("central_submissions.id"), index=True)
    kiosk_code: Mapped[str] = mapped_column(String(4), index=True)
    step: Mapped[str]
    note: Mapped[str]
    changed_at: Mapped[str]


def _pragmas(dbapi_connection: Any, _record: Any) -> None:
    dbapi_connection.isolation_level = None
    cur = dbapi_connection.cursor()
    cur.execute("PRAGMA busy_timeout=10000")
    cur.execute("PRAGMA journal_mode=WAL")
    cur.execute("PRAGMA synchronous=FULL")
    cur.execute("PRAGMA foreign_keys=ON")
    cur.close()


def open_server_engine(url: str) -> Engine:
    engine = create_engine(url, connect_args={"check_same_thread": False})
    if engine.dialect.name == "sqlite":
        event.listen(engine, "connect", _pragmas)
        # Serialise writers so status-change numbers are committed in the order they are issued.
        event.listen(engine, "begin", lambda conn: conn.exec_driver_sql("BEGIN IMMEDIATE"))
    ServerBase.metadata.create_all(engine)
    return engine
