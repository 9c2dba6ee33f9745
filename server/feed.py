"""Appending to the change feed kiosks pull (see server.db.FeedChange), and reading it."""

from __future__ import annotations

from sqlalchemy import and_, bindparam, func, or_, select
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


_feed = FeedChange.__table__
CHANGES_FOR_KIOSK = (
    select(_feed.c.seq, _feed.c.kind, _feed.c.key, _feed.c.body, _feed.c.deleted)
    .where(_feed.c.seq > bindparam("since"), or_(
        _feed.c.kiosk_code == bindparam("kiosk"),
        and_(_feed.c.kiosk_code.is_(None),
             or_(_feed.c.community_code.is_(None), _feed.c.community_code == select(
                 Kiosk.community_code).where(Kiosk.code == bindparam("kiosk"))
                 .scalar_subquery()))))
    .order_by(_feed.c.seq).limit(bindparam("limit")))
"""The next ``limit`` changes after ``since`` meant for ``kiosk``: its own status changes, and
content for its community or for every kiosk. Plain SQL: it runs on the commonest request of
all (a kiosk's poll), with no Session or ORM objects."""
