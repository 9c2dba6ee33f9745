"""Tables of the kiosk's local store (SQLite). Changes go through an Alembic migration."""

from __future__ import annotations

from sqlalchemy import Float, ForeignKey, String
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column


class Base(DeclarativeBase):
    pass


class Submission(Base):
    """One issue raised by a resident; the receipt's ticket is the key residents know."""

    __tablename__ = "submissions"

    uuid: Mapped[str] = mapped_column(String(36), primary_key=True)
    ticket: Mapped[str] = mapped_column(String(10), unique=True)
    kiosk_code: Mapped[str] = mapped_column(String(4))
    category: Mapped[str]
    description: Mapped[str]
    place: Mapped[str] = mapped_column(default="")
    urgent: Mapped[bool] = mapped_column(default=False)
    contact_name: Mapped[str | None]
    contact_phone: Mapped[str | None]
    channel: Mapped[str] = mapped_column(default="kiosk")
    entered_by: Mapped[str | None]  # 代录: the staff member, when staff entered it
    public: Mapped[bool] = mapped_column(default=False)  # 公开: others may see it
    created_at: Mapped[str]  # ISO 8601 with offset, as sent on the wire
    step: Mapped[str] = mapped_column(default="say")
    step_note: Mapped[str] = mapped_column(default="")
    step_changed_at: Mapped[str | None]
    server_id: Mapped[int | None]
    acknowledged_at: Mapped[str | None]
    masked_phone: Mapped[str] = mapped_column(default="匿名")  # kept after the purge
    voice_path: Mapped[str | None]
    voice_sha256: Mapped[str | None]
    purged_at: Mapped[str | None]  # when name, phone and voice were dropped
    story: Mapped[str | None]
    """The latest TicketStory from the feed (JSON); None until the first status change."""


class OutboxEntry(Base):
    """A submission not yet acknowledged by the server (transactional outbox)."""

    __tablename__ = "outbox"

    id: Mapped[int] = mapped_column(primary_key=True, autoincrement=True)
    submission_uuid: Mapped[str] = mapped_column(
        ForeignKey("submissions.uuid"), unique=True
    )
    attempts: Mapped[int] = mapped_column(default=0)
    next_attempt_at: Mapped[float] = mapped_column(Float, default=0.0)
    last_error: Mapped[str] = mapped_column(default="")
    quarantined: Mapped[bool] = mapped_column(default=False)
    """Refused by the server as malformed: kept for staff, no longer retried."""
    quarantine_reported: Mapped[bool] = mapped_column(default=False)


class TicketCounter(Base):
    """The last sequence number this kiosk used; bumped in the submission's transaction."""

    __tablename__ = "ticket_counter"

    kiosk_code: Mapped[str] = mapped_column(String(4), primary_key=True)
    last_sequence: Mapped[int]


class SyncCursor(Base):
    """Where the last pull stopped, stored with the rows it brought."""

    __tablename__ = "sync_cursor"

    name: Mapped[str] = mapped_column(primary_key=True)
    value: Mapped[int]


class SyncState(Base):
    """Small facts about sync for staff: last success, last error, why sending is paused."""

    __tablename__ = "sync_state"

    key: Mapped[str] = mapped_column(primary_key=True)
    value: Mapped[str]


class CatalogEntry(Base):
    """Content pulled from the centre: notices, categories, schedule, service directory."""

    __tablename__ = "catalog"

    kind: Mapped[str] = mapped_column(primary_key=True)
    key: Mapped[str] = mapped_column(primary_key=True)
    body: Mapped[str]  # JSON
    seq: Mapped[int]


class QueuedRow(Base):
    """A row that is its own outbox entry (a rating, a 附议): sent once, retried with
    backoff, quarantined when the server refuses it."""

    __abstract__ = True

    uuid: Mapped[str] = mapped_column(String(36), primary_key=True)
    ticket: Mapped[str] = mapped_column(String(10), index=True)
    created_at: Mapped[str]  # ISO 8601 with offset
    attempts: Mapped[int] = mapped_column(default=0)
    next_attempt_at: Mapped[float] = mapped_column(Float, default=0.0)
    last_error: Mapped[str] = mapped_column(default="")
    quarantined: Mapped[bool] = mapped_column(default=False)
    """Refused by the server (unknown ticket, not yet at 办事…): kept for staff, not retried."""


class RatingEntry(QueuedRow):
    """A resident's rating (评事) of ``ticket``, kept after the server has it (``sent_at``):
    a later rating here says it replaces this one."""

    __tablename__ = "ratings"

    score: Mapped[str]  # RatingScore
    reasons: Mapped[str] = mapped_column(default="[]")  # JSON list of reason phrases
    channel: Mapped[str] = mapped_column(default="kiosk")  # RatingChannel
    sent_at: Mapped[str | None]


class SupportEntry(QueuedRow):
    """附议: a resident's support of the open public issue ``ticket``, with a receipt of its
    own; name and phone are dropped once the server has it."""

    __tablename__ = "supports"

    support_ticket: Mapped[str] = mapped_column(String(10), unique=True)
    kiosk_code: Mapped[str] = mapped_column(String(4))
    contact_name: Mapped[str | None]
    contact_phone: Mapped[str | None]
    masked_phone: Mapped[str] = mapped_column(default="匿名")  # kept after the purge
    category: Mapped[str]  # of the issue supported, as its receipt shows it
    description: Mapped[str]
    step: Mapped[str]
    acknowledged_at: Mapped[str | None]
    purged_at: Mapped[str | None]


class PrintOutboxEntry(Base):
    """A receipt's print job, committed in the same transaction as what it prints (a
    submission, a 附议): no crash can leave a committed request without its job. The
    printer worker moves it into the spool (``Store.relay_prints``)."""

    __tablename__ = "print_outbox"

    id: Mapped[int] = mapped_column(primary_key=True, autoincrement=True)
    job_id: Mapped[str] = mapped_column(unique=True)
    """The spool's job id: moving it twice finds the job already there."""
    name: Mapped[str]
    label: Mapped[str] = mapped_column(String(10), index=True)  # the ticket
    layout: Mapped[str]  # the receipt layout as JSON
    created_at: Mapped[str]


class QueueNumber(Base):
    """叫号: a number taken on ``day`` for face-to-face 说事 (A001 is 1), and when it was
    called to the 说事桌 and served. Numbering starts again at 1 each day."""

    __tablename__ = "queue_numbers"

    day: Mapped[str] = mapped_column(String(10), primary_key=True)  # ISO date
    number: Mapped[int] = mapped_column(primary_key=True)
    taken_at: Mapped[str]  # ISO 8601 with offset
    called_at: Mapped[str | None]
    served_at: Mapped[str | None]
