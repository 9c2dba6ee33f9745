"""查进度: find where a ticket stands, locally first, then on the central server."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

import httpx
from pydantic import ValidationError

from sync.http import ExchangeError, exchange
from sync.protocol import API_PREFIX, Step, TicketStatus
from sync.signing import KioskSigner
from sync.store import Store


@dataclass(frozen=True)
class TicketView:
    ticket: str
    category: str
    step: Step
    note: str
    changed_at: datetime | None


class StatusLookup:
    def __init__(self, store: Store, server_url: str, signer: KioskSigner | None,
                 timeout: float = 5.0) -> None:
        self.store = store
        self.server_url = server_url
        self.signer = signer
        self.timeout = timeout

    def find(self, ticket: str) -> TicketView | None:
        """Blocking: call it off the UI thread."""
        local = self.store.find_by_ticket(ticket)
        if local is not None:
            return TicketView(local.ticket, local.category, local.step, local.step_note, None)
        return self._ask_server(ticket) if self.signer else None

    def _ask_server(self, ticket: str) -> TicketView | None:
        try:
            with httpx.Client(base_url=self.server_url, auth=self.signer,
                              timeout=self.timeout) as client:
                reply = exchange(client, "GET", f"{API_PREFIX}/tickets/{ticket}",
                                 deadline_s=self.timeout)
            if reply.status != 200:
                return None
            status = TicketStatus.model_validate_json(reply.body)
        except (ExchangeError, ValidationError):
            return None
        return TicketView(status.ticket, status.category, status.step, status.note,
                          status.changed_at)
