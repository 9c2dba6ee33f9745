"""Appending to the change feed kiosks pull (see server.db.FeedChange), and reading it."""

from __future__ import annotations

from sqlalchemy import and_, func, or_, select
from sqlalchemy.orm import Session

from server.db import FeedChange, Kiosk

FEED_LOCK = 0x5348_5553_4849  # "SHUSHI": the advisory lock key of the feed
"""PostgreSQL advisory lock taken by every transaction that appends to the feed."""


def append_change(db: Session, *, kind: str, key: str, body: str, deleted: bool = False,
                  kiosk_code: str | None = None, community_code: str | None = None) -> None:
    """Add one change in ``db``'s transaction: for one kiosk (``kiosk_code``), for the kiosks
    of one community (``community_code``), or for every kiosk (neither)."""
    if db.get_bind().dialect.name == "postgresql":
        # A kiosk pulls "seq > cursor". Sequence numbers are handed out at INSERT, not at
        # COMMIT, so without this a transaction holding seq 7 could commit after a reader has
        # already seen seq 8 and moved its cursor past 7 for good. Holding one lock from
        # before the INSERT until COMMIT makes feed writers take numbers and commit one at a
        # time, so seq order is commit order. (On SQLite the write lock does the same.)
        db.execute(select(func.pg_advisory_xact_lock(FEED_LOCK)))
    db.add(FeedChange(kiosk_code=kiosk_code, community_code=community_code, kind=kind, key=key,
                      body=body, deleted=deleted))
    db.flush()


def changes_for(db: Session, kiosk: str, since: int, limit: int) -> list[FeedChange]:
    """The next ``limit`` changes after ``since`` meant for ``kiosk``: its own status changes,
    and content for its community or for every kiosk."""
    community = select(Kiosk.community_code).where(Kiosk.code == kiosk).scalar_subquery()
    for_me = or_(
        FeedChange.kiosk_code == kiosk,
        and_(FeedChange.kiosk_code.is_(None),
             or_(FeedChange.community_code.is_(None), FeedChange.community_code == community)),
    )
    return list(db.scalars(select(FeedChange).where(FeedChange.seq > since, for_me)
                           .order_by(FeedChange.seq).limit(limit)))
