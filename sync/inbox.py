"""What comes down from the centre: status changes and content, with the cursor that brought it."""

from __future__ import annotations

import json
from datetime import datetime

from pydantic import ValidationError
from sqlalchemy import select

from sync.contract.protocol import Change, PublicIssue, StatusUpdate, Step, TicketStory
from sync.models import CatalogEntry, Submission, SyncCursor, SyncState
from sync.store import Store

CHANGES_CURSOR = "changes"
PUBLIC_ISSUE = "public_issue"
STORY_FIELDS = set(TicketStory.model_fields)
"""What submissions.story keeps of a status change: the story, not the feed's bookkeeping."""
LAST_SUCCESS = "last_success"
"""Sync state: when the last round (push and pull) succeeded, ISO 8601 with offset."""


class Inbox:
    def __init__(self, store: Store) -> None:
        self.store = store

    def cursor(self) -> int:
        with self.store.session() as s:
            row = s.get(SyncCursor, CHANGES_CURSOR)
            return row.value if row else 0

    def apply(self, changes: list[Change], cursor: int) -> int:
        """Store the changes and the cursor in one transaction; the cursor never goes back."""
        applied = 0
        with self.store.session() as s:
            for change in changes:
                if change.kind == "status":
                    try:
                        update = StatusUpdate.model_validate(change.body)
                    except ValidationError:
                        continue  # not ours to understand; skipping it must not stall the feed
                    row = s.get(Submission, str(update.uuid))
                    if row is not None:
                        row.step, row.step_note = update.step.value, update.note
                        row.step_changed_at = update.changed_at.isoformat(timespec="seconds")
                        row.story = update.model_dump_json(include=STORY_FIELDS)
                elif change.deleted:
                    existing = s.get(CatalogEntry, (change.kind, change.key))
                    if existing is not None:
                        s.delete(existing)
                else:
                    s.merge(CatalogEntry(kind=change.kind, key=change.key,
                                         body=json.dumps(change.body, ensure_ascii=False),
                                         seq=change.seq))
                applied += 1
            current = s.get(SyncCursor, CHANGES_CURSOR)
            if current is None:
                s.add(SyncCursor(name=CHANGES_CURSOR, value=cursor))
            elif cursor > current.value:
                current.value = cursor
        return applied

    def public_issues(self, category: str) -> list[PublicIssue]:
        """Open public issues of this kiosk's community in ``category``, newest first, for
        附议: none at 评事 or later (the centre deletes those, and an old entry is skipped)."""
        issues = []
        for body in self.catalog(PUBLIC_ISSUE):
            try:
                issue = PublicIssue.model_validate(body)
            except ValidationError:
                continue  # an entry we cannot read is not offered
            if issue.category == category and issue.step.number < Step.EVALUATE.number:
                issues.append(issue)
        return sorted(issues, key=lambda i: i.created_at, reverse=True)

    def last_pulled_at(self) -> datetime | None:
        """When the sync worker last finished a whole round with the server (its pull
        included): how old the catalog is. None if it never has."""
        with self.store.session() as s:
            row = s.get(SyncState, LAST_SUCCESS)
        if row is None or not row.value:
            return None
        try:
            return datetime.fromisoformat(row.value)
        except ValueError:
            return None

    def catalog(self, kind: str) -> list[dict[str, object]]:
        with self.store.session() as s:
            rows = s.scalars(select(CatalogEntry).where(CatalogEntry.kind == kind)
                             .order_by(CatalogEntry.key)).all()
            return [json.loads(r.body) for r in rows]
