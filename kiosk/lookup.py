"""查进度: find where a ticket stands, locally first, then on the central server."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

import httpx
from pydantic import ValidationError

from sync.protocol import API_PREFIX, Step, TicketStatus
from sync.store import Store


@dataclass(frozen=True)
class TicketView:
    ticket: str
    category: str
    step: Step
    note: str
    changed_at: datetime | None


class StatusLookup:
    def __init__(self, store: Store, server_url: str, timeout: float = 5.0) -> None:
        self.store = store
        self.server_url = server_url
        self.timeout = timeout

    def find(self, ticket: str) -> TicketView | None:
        """Blocking: call it off the UI thread."""
        local = self.store.find_by_ticket(ticket)
        if local is not None:
            return TicketView(local.ticket, local.category, local.step, local.step_note, None)
        return self._ask_server(ticket)

    def _ask_server(self, ticket: str) -> TicketView | None:
        try:
            reply = httpx.get(f"{self.server_url}{API_PREFIX}/tickets/{ticket}",
                              timeout=self.timeout)
            if reply.status_code != 200:
                return None
            status = TicketStatus.model_validate_json(reply.content)
        except (httpx.HTTPError, ValidationError):
            return None
        return TicketView(status.ticket, status.category, status.step, status.note,
                          status.changed_at)
