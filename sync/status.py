"""Where sync stands, read once from the store: what `shuoshi sync status` prints and staff
mode's 同步 page shows, each in its own words."""

from __future__ import annotations

from dataclasses import dataclass

from sync.feedback import FeedbackOutbox
from sync.outbox import Outbox
from sync.store import Store


@dataclass(frozen=True)
class SyncStatus:
    waiting: int
    """Submissions to send, the quarantined ones not counted."""
    feedback_waiting: int
    """Ratings and 附议 to send, the quarantined ones not counted."""
    oldest_minutes: float
    quarantined: list[tuple[str, str]]
    """(ticket, reason) of quarantined submissions."""
    held: list[tuple[str, str, str]]
    """(评事 or 附议, ticket, reason) of quarantined ratings and 附议."""
    last_success: str
    last_error: str
    paused: str

    @classmethod
    def read(cls, store: Store) -> SyncStatus:
        outbox, feedback = Outbox(store), FeedbackOutbox(store)
        quarantined, held = outbox.quarantined(), feedback.quarantined()
        return cls(
            waiting=outbox.depth() - len(quarantined),
            feedback_waiting=feedback.depth() - len(held),
            oldest_minutes=max(outbox.oldest_unsent_seconds(),
                               feedback.oldest_unsent_seconds()) / 60,
            quarantined=quarantined, held=held,
            last_success=store.get_state("last_success"),
            last_error=store.get_state("last_error"), paused=store.get_state("paused"))

    @property
    def quarantined_count(self) -> int:
        return len(self.quarantined) + len(self.held)
