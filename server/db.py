"""Tables of the reference central server."""

from __future__ import annotations

from datetime import timedelta

from sqlalchemy import Insert, String, delete, false
from sqlalchemy.dialects.postgresql import insert as postgresql_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert
from sqlalchemy.orm import DeclarativeBase, Mapped, Session, mapped_column

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
    # Added in 0006.
    entered_by: Mapped[str | None] = mapped_column(default=None)
    """代录: the staff member who entered it on the resident's behalf (电话说/书面说/当面说)."""


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


def insert_or_nothing(db: Session, model: type[ServerBase]) -> Insert:
    """``INSERT … ON CONFLICT DO NOTHING`` into ``model``'s table, in the session's dialect
    (SQLite or PostgreSQL): a row already there makes it insert nothing, never fail."""
    if db.get_bind().dialect.name == "postgresql":
        return postgresql_insert(model).on_conflict_do_nothing()
    return sqlite_insert(model).on_conflict_do_nothing()


class QueueNumber(ServerBase):
    """叫号: one number a kiosk gave out on ``day``, as that kiosk's latest report has it (the
    kiosk owns its queue; a report replaces the kiosk's numbers of that day)."""

    __tablename__ = "queue_entries"

    kiosk_code: Mapped[str] = mapped_column(String(4), primary_key=True)
    day: Mapped[str] = mapped_column(String(10), primary_key=True)  # ISO date
    number: Mapped[int] = mapped_column(primary_key=True, autoincrement=False)
    taken_at: Mapped[str]
    called_at: Mapped[str | None]
    served_at: Mapped[str | None]
    reported_at: Mapped[str]


class QueueReportReceived(ServerBase):
    """A kiosk's latest queue report (also when its queue is empty): the day it was for, the
    kiosk's time, and when it reached the server (whether the kiosk is 联网 now)."""

    __tablename__ = "queue_reports"

    kiosk_code: Mapped[str] = mapped_column(String(4), primary_key=True)
    day: Mapped[str] = mapped_column(String(10))
    reported_at: Mapped[str]
    received_at: Mapped[str]


class QueueCallRequest(ServerBase):
    """叫下一位 asked at the console for one kiosk's queue of one day; handled when the kiosk
    says it has carried it out, or when it reports a later day (expired)."""

    __tablename__ = "queue_calls"

    id: Mapped[int] = mapped_column(primary_key=True, autoincrement=True)
    kiosk_code: Mapped[str] = mapped_column(String(4), index=True)
    day: Mapped[str] = mapped_column(String(10))
    requested_by: Mapped[str]
    requested_at: Mapped[str]
    handled_at: Mapped[str | None] = mapped_column(default=None)
