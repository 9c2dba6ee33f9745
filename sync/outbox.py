"""The outbox: submissions the server has not acknowledged yet (transactional outbox).

An entry leaves the outbox only when the server says it holds the submission. A submission
the server refuses as malformed is quarantined: kept for staff, reported, never retried and
never in the way of the others.
"""

from __future__ import annotations

import logging
import time
from datetime import datetime
from pathlib import Path

from pydantic import ValidationError
from sqlalchemy import delete, func, select, update
from sqlalchemy.orm import Session

from sync.contract.protocol import SubmissionIn, submission_fields
from sync.models import OutboxEntry, Submission, SyncState
from sync.store import Store

WIRE_FIELDS = submission_fields()
log = logging.getLogger(__name__)
CHECKPOINT_DUE = "purge_checkpoint_due"
"""Sync state set while purged personal data may still be in the WAL (see ``acknowledge``)."""


def wire_of(row: Submission) -> SubmissionIn:
    """The stored row as it goes on the wire: its columns named like the wire's fields."""
    return SubmissionIn.model_validate({name: getattr(row, name) for name in WIRE_FIELDS})


def _first_error(exc: ValidationError) -> str:
    err = exc.errors()[0]
    return f"{'.'.join(str(p) for p in err['loc'])}: {err['msg']}"


class Outbox:
    def __init__(self, store: Store) -> None:
        self.store = store

    def due(self, now: float, limit: int, max_bytes: int = 256_000) -> list[SubmissionIn]:
        """The oldest entries due for sending, at most ``limit`` and about ``max_bytes``."""
        with self.store.session() as s:
            return self._due(s, now, limit, max_bytes)

    def _due(self, s: Session, now: float, limit: int, max_bytes: int) -> list[SubmissionIn]:
        rows = s.scalars(
            select(Submission)
            .join(OutboxEntry, OutboxEntry.submission_uuid == Submission.uuid)
            .where(OutboxEntry.next_attempt_at <= now, OutboxEntry.quarantined.is_(False))
            .order_by(OutboxEntry.id)
            .limit(limit)
        ).all()
        batch: list[SubmissionIn] = []
        size = 0
        for row in rows:
            try:
                item = wire_of(row)
            except ValidationError as exc:  # stored but unsendable: staff must look
                entry = s.scalar(select(OutboxEntry)
                                 .where(OutboxEntry.submission_uuid == row.uuid))
                if entry is not None:
                    entry.quarantined = True
                    entry.last_error = f"cannot be sent: {_first_error(exc)}"
                continue
            size += len(item.model_dump_json())
            if batch and size > max_bytes:
                break
            batch.append(item)
        return batch

    def queued_uuids(self) -> set[str]:
        with self.store.session() as s:
            return set(s.scalars(select(OutboxEntry.submission_uuid)))

    def depth(self) -> int:
        with self.store.session() as s:
            return s.scalar(select(func.count()).select_from(OutboxEntry)) or 0

    def quarantined(self) -> list[tuple[str, str]]:
        """(ticket, reason) of every quarantined submission, for staff."""
        with self.store.session() as s:
            rows = s.execute(
                select(Submission.ticket, OutboxEntry.last_error)
                .join(OutboxEntry, OutboxEntry.submission_uuid == Submission.uuid)
                .where(OutboxEntry.quarantined.is_(True))
            ).all()
            return [(t, r) for t, r in rows]

    def oldest_unsent_seconds(self) -> float:
        with self.store.session() as s:
            oldest = s.scalar(
                select(func.min(Submission.created_at))
                .join(OutboxEntry, OutboxEntry.submission_uuid == Submission.uuid)
            )
        if oldest is None:
            return 0.0
        return max(0.0, time.time() - datetime.fromisoformat(oldest).timestamp())

    def acknowledge(self, acks: dict[str, int | None]) -> None:
        """The server holds these (uuid -> server id): out of the outbox, personal data gone.

        Gone from the files too: the WAL keeps the old pages (with names and phones) until a
        checkpoint, so one follows the commit; if a reader holds it up, the next sync round
        calls ``finish_purge`` again (the flag in sync state survives a restart).
        """
        if not acks:
            return
        stamp = datetime.now().astimezone().isoformat(timespec="seconds")
        with self.store.session() as s:
            s.execute(delete(OutboxEntry).where(OutboxEntry.submission_uuid.in_(list(acks))))
            rows = s.execute(select(Submission.uuid, Submission.voice_path).where(
                Submission.uuid.in_(list(acks)), Submission.acknowledged_at.is_(None))).all()
            if rows:
                s.execute(update(Submission), [
                    {"uuid": u, "server_id": acks[u], "acknowledged_at": stamp,
                     "purged_at": stamp, "contact_name": None, "contact_phone": None,
                     "voice_path": None, "voice_sha256": None} for u, _ in rows])
                s.merge(SyncState(key=CHECKPOINT_DUE, value=stamp))
        for _, voice in rows:  # after the commit: a crash here leaves a file nobody references
            if voice:
                Path(voice).unlink(missing_ok=True)
        if rows:
            self.finish_purge()

    def finish_purge(self) -> bool:
        """Checkpoint the WAL if a purge is waiting for it; True when none is waiting."""
        if not self.store.get_state(CHECKPOINT_DUE):
            return True
        if not self.store.checkpoint():
            log.info("purge checkpoint held up by a reader; trying again next round")
            return False
        with self.store.session() as s:
            s.execute(delete(SyncState).where(SyncState.key == CHECKPOINT_DUE))
        return True

    def postpone(self, uuids: list[str], error: str, next_attempt_at: float) -> None:
        with self.store.session() as s:
            for entry in s.scalars(
                select(OutboxEntry).where(OutboxEntry.submission_uuid.in_(uuids))
            ):
                entry.attempts += 1
                entry.last_error = error[:500]
                entry.next_attempt_at = next_attempt_at

    def quarantine(self, sub_uuid: str, reason: str) -> None:
        with self.store.session() as s:
            entry = s.scalar(select(OutboxEntry).where(OutboxEntry.submission_uuid == sub_uuid))
            if entry is not None:
                entry.quarantined, entry.last_error = True, reason[:500]

    def unreported_quarantine(self) -> list[tuple[str, str, str]]:
        """(uuid, ticket, reason) of quarantined entries the server has not been told about."""
        with self.store.session() as s:
            rows = s.execute(
                select(Submission.uuid, Submission.ticket, OutboxEntry.last_error)
                .join(OutboxEntry, OutboxEntry.submission_uuid == Submission.uuid)
                .where(OutboxEntry.quarantined.is_(True),
                       OutboxEntry.quarantine_reported.is_(False))
            ).all()
            return [(u, t, r) for u, t, r in rows]

    def mark_reported(self, sub_uuid: str) -> None:
        with self.store.session() as s:
            entry = s.scalar(select(OutboxEntry).where(OutboxEntry.submission_uuid == sub_uuid))
            if entry is not None:
                entry.quarantine_reported = True

    def voice_of(self, sub_uuid: str) -> tuple[str, str] | None:
        """(path, sha256) of a submission's voice note still to upload, if any."""
        with self.store.session() as s:
            row = s.get(Submission, sub_uuid)
            if row is None or not row.voice_path or not row.voice_sha256:
                return None
            return row.voice_path, row.voice_sha256

