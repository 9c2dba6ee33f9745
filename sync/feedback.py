"""Ratings (评事) and 附议 waiting for the server: each row of their table is its own outbox
entry, sent one at a time, exactly once.

A rating leaves the queue when the server holds it (``sent_at``); a 附议 when the server
holds it too, and then its contact name and phone are dropped, the WAL included, as for a
submission. One the server refuses (unknown ticket, another community, not yet at 办事) is
quarantined: kept for staff, never retried.
"""

from __future__ import annotations

import json
import time
from dataclasses import dataclass
from datetime import datetime
from typing import Literal

from pydantic import ValidationError
from sqlalchemy import ColumnElement, func, select, update

from sync.contract.protocol import RatingIn, SupportIn
from sync.models import QueuedRow, RatingEntry, SupportEntry, SyncState
from sync.outbox import CHECKPOINT_DUE, Outbox
from sync.store import Store

Kind = Literal["rating", "support"]
KIND_LABELS: dict[Kind, str] = {"rating": "评事", "support": "附议"}


@dataclass(frozen=True)
class Waiting:
    """One rating or 附议 to send, as it goes on the wire."""

    kind: Kind
    uuid: str
    item: RatingIn | SupportIn


def _wire(row: QueuedRow) -> RatingIn | SupportIn:
    if isinstance(row, RatingEntry):
        return RatingIn.model_validate({
            "uuid": row.uuid, "ticket": row.ticket, "score": row.score,
            "reasons": json.loads(row.reasons), "channel": row.channel,
            "created_at": row.created_at})
    if not isinstance(row, SupportEntry):
        raise TypeError(type(row).__name__)
    return SupportIn.model_validate({
        "uuid": row.uuid, "ticket": row.ticket, "support_ticket": row.support_ticket,
        "kiosk_code": row.kiosk_code, "contact_name": row.contact_name,
        "contact_phone": row.contact_phone, "created_at": row.created_at})


def _unsent(model: type[QueuedRow]) -> ColumnElement[bool]:
    if model is RatingEntry:
        return RatingEntry.sent_at.is_(None)
    return SupportEntry.acknowledged_at.is_(None)


MODELS: dict[Kind, type[QueuedRow]] = {"rating": RatingEntry, "support": SupportEntry}


class FeedbackOutbox:
    def __init__(self, store: Store) -> None:
        self.store = store

    def due(self, kind: Kind, now: float, limit: int) -> list[Waiting]:
        """The oldest of ``kind`` due for sending; one the wire would refuse is quarantined."""
        model = MODELS[kind]
        with self.store.session() as s:
            rows = s.scalars(select(model).where(
                _unsent(model), model.quarantined.is_(False),
                model.next_attempt_at <= now).order_by(model.created_at).limit(limit)).all()
            waiting = []
            for row in rows:
                try:
                    waiting.append(Waiting(kind, row.uuid, _wire(row)))
                except (ValidationError, ValueError) as exc:
                    row.quarantined = True
                    row.last_error = f"cannot be sent: {type(exc).__name__}"
            return waiting

    def sent(self, kind: Kind, item_uuid: str) -> None:
        """The server holds it. A 附议's name and phone go now, from the files too."""
        stamp = datetime.now().astimezone().isoformat(timespec="seconds")
        if kind == "rating":
            with self.store.session() as s:
                s.execute(update(RatingEntry).where(RatingEntry.uuid == item_uuid)
                          .values(sent_at=stamp, last_error=""))
            return
        with self.store.session() as s:
            s.execute(update(SupportEntry).where(SupportEntry.uuid == item_uuid,
                                                 SupportEntry.acknowledged_at.is_(None))
                      .values(acknowledged_at=stamp, purged_at=stamp, contact_name=None,
                              contact_phone=None, last_error=""))
            s.merge(SyncState(key=CHECKPOINT_DUE, value=stamp))
        Outbox(self.store).finish_purge()

    def postpone(self, kind: Kind, item_uuid: str, error: str, next_attempt_at: float) -> None:
        model = MODELS[kind]
        with self.store.session() as s:
            row = s.get(model, item_uuid)
            if row is not None:
                row.attempts += 1
                row.last_error = error[:500]
                row.next_attempt_at = next_attempt_at

    def quarantine(self, kind: Kind, item_uuid: str, reason: str) -> None:
        model = MODELS[kind]
        with self.store.session() as s:
            row = s.get(model, item_uuid)
            if row is not None:
                row.quarantined, row.last_error = True, reason[:500]

    def depth(self) -> int:
        """Ratings and 附议 not yet held by the server (quarantined ones included, as the
        submissions' outbox counts them)."""
        total = 0
        with self.store.session() as s:
            for model in MODELS.values():
                total += s.scalar(select(func.count()).select_from(model)
                                  .where(_unsent(model))) or 0
        return total

    def quarantined(self) -> list[tuple[str, str, str]]:
        """(评事 or 附议, ticket, reason) of every quarantined one, for staff."""
        found: list[tuple[str, str, str]] = []
        with self.store.session() as s:
            for kind, model in MODELS.items():
                rows = s.execute(select(model.ticket, model.last_error).where(
                    model.quarantined.is_(True), _unsent(model))).all()
                found += [(KIND_LABELS[kind], t, r) for t, r in rows]
        return found

    def oldest_unsent_seconds(self) -> float:
        oldest: list[str] = []
        with self.store.session() as s:
            for model in MODELS.values():
                first = s.scalar(select(func.min(model.created_at))
                                 .where(_unsent(model)))
                if first is not None:
                    oldest.append(first)
        if not oldest:
            return 0.0
        earliest = min(datetime.fromisoformat(o).timestamp() for o in oldest)
        return max(0.0, time.time() - earliest)
