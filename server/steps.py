"""Moving an issue through the six steps: the one place a step changes."""

from __future__ import annotations

from sqlalchemy.orm import Session

from server.db import CentralSubmission, StepNote
from server.deps import now_iso
from server.feed import append_change
from sync.contract.protocol import StatusUpdate, Step

CLOSED_STEPS = frozenset({Step.EVALUATE, Step.FOLLOW_UP})
"""From 评事 on, the result is published: the issue counts as 办结."""


def set_step(db: Session, sub: CentralSubmission, step: Step, note: str,
             staff: str | None) -> None:
    """Record the step and its note, keep the history, and tell the kiosk that took it."""
    stamp = now_iso()
    sub.step, sub.step_note, sub.step_changed_at = step.value, note, stamp
    if step in CLOSED_STEPS and sub.closed_at is None:
        sub.closed_at = stamp
    db.add(StepNote(ticket=sub.ticket, step=step.value, note=note, staff=staff, at=stamp))
    update = StatusUpdate(seq=0, ticket=sub.ticket, uuid=sub.uuid,  # type: ignore[arg-type]
                          step=step, note=note, changed_at=stamp)  # type: ignore[arg-type]
    append_change(db, kind="status", key=sub.ticket, body=update.model_dump_json(),
                  kiosk_code=sub.kiosk_code)
