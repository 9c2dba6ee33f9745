"""Moving an issue through the six steps: the one place a step changes."""

from __future__ import annotations

from sqlalchemy.orm import Session

from server.db import CentralSubmission, StepNote
from server.deps import now_iso
from server.story import CLOSED_STEPS, story_changed
from sync.contract.protocol import Step

__all__ = ["CLOSED_STEPS", "set_step"]


def set_step(db: Session, sub: CentralSubmission, step: Step, note: str,
             staff: str | None) -> None:
    """Record the step and its note, keep the history, and tell the kiosk that took it (the
    whole story) and, for a public issue, its community's kiosks."""
    stamp = now_iso()
    sub.step, sub.step_note, sub.step_changed_at = step.value, note, stamp
    if step in CLOSED_STEPS and sub.closed_at is None:
        sub.closed_at = stamp
    db.add(StepNote(ticket=sub.ticket, step=step.value, note=note, staff=staff, at=stamp))
    db.flush()
    story_changed(db, sub)
