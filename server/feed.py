"""Appending to the change feed kiosks pull (see server.db.FeedChange)."""

from __future__ import annotations

from sqlalchemy.orm import Session

from server.db import FeedChange


def append_change(db: Session, *, kind: str, key: str, body: str, deleted: bool = False,
                  kiosk_code: str | None = None, community_code: str | None = None) -> None:
    """Add one change in ``db``'s transaction: for one kiosk (``kiosk_code``), for the kiosks
    of one community (``community_code``), or for every kiosk (neither)."""
    db.add(FeedChange(kiosk_code=kiosk_code, community_code=community_code, kind=kind, key=key,
                      body=body, deleted=deleted))
