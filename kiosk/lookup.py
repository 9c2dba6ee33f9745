"""查进度: the story of a ticket, locally first, then from the central server.

The answer tells the truth: "not found" only when the server says it holds no such ticket.
When the server cannot be asked, does not answer in time or answers something we cannot
trust, the ticket may well exist, so the answer is UNREACHABLE ("try again later"), never
"not found". Logs name what went wrong, never the ticket's contents.
"""

from __future__ import annotations

import logging
import threading
from dataclasses import dataclass
from datetime import datetime
from enum import Enum
from typing import TYPE_CHECKING

from sync.contract.protocol import API_PREFIX, Step, StepReached, TicketStatus, TicketStory
from sync.contract.ticket import is_valid_ticket, normalize

if TYPE_CHECKING:  # httpx and the store load after the first frame (httpx on first lookup)
    import httpx

    from sync.http import ServerLink
    from sync.store import Store, StoredSubmission, StoredSupport

log = logging.getLogger(__name__)

DEFAULT_LOOKUP_TIMEOUT_S = 6.0
"""The longest a lookup waits on the server (each network step, and the whole reply), unless
the sync timeout is shorter. A resident stands at the screen: after a few seconds "please try
again later" serves them better than a spinner, whereas the sync worker, which nobody watches,
may wait as long as ``[sync] timeout_seconds``."""

LOOKUP_MAX_REPLY_BYTES = 64 * 1024
"""A ticket's story is a few kilobytes at most (staff's reply in full); anything much larger
is not an answer."""


class LookupOutcome(Enum):
    # The ticket is known, made on this kiosk or held by the central server; `view` has it.
    FOUND = "found"
    # The central server answered that it holds no such ticket (or the number cannot be one).
    NOT_FOUND = "not_found"
    # No trustworthy answer: not provisioned, no network, timeout, untrusted certificate,
    # server error, credentials refused, or a reply we cannot read. The ticket may exist.
    UNREACHABLE = "unreachable"


@dataclass(frozen=True)
class LookupResult:
    outcome: LookupOutcome
    view: TicketStatus | None = None
    """The ticket's whole story; set exactly when the outcome is FOUND."""
    via_support: str | None = None
    """The number asked when it was a 附议 receipt's: ``view`` is then the issue supported."""


def make_client(link: ServerLink, *, timeout: float,
                transport: httpx.BaseTransport | None) -> httpx.Client:
    """sync.http.make_client, the one signed-client factory; httpx loads on first use."""
    from sync.http import make_client as make

    return make(link, timeout=timeout, transport=transport)


_NOT_FOUND = LookupResult(LookupOutcome.NOT_FOUND)
_UNREACHABLE = LookupResult(LookupOutcome.UNREACHABLE)


class StatusLookup:
    """Looks tickets up; the HTTP client comes from the sync factory, made on first need."""

    def __init__(self, store: Store, link: ServerLink, *, timeout: float | None = None,
                 transport: httpx.BaseTransport | None = None) -> None:
        self.store = store
        self.link = link
        self.timeout = min(link.timeout, DEFAULT_LOOKUP_TIMEOUT_S) if timeout is None else timeout
        self._transport = transport
        self._client: httpx.Client | None = None
        self._lock = threading.Lock()

    def look_up(self, ticket: str) -> LookupResult:
        """Blocking, for up to about ``timeout`` seconds: call it off the UI thread."""
        ticket = normalize(ticket)
        if not is_valid_ticket(ticket):
            return _NOT_FOUND
        local = self.store.find_by_ticket(ticket)
        if local is not None:  # made here: known even while the server is out of reach
            return LookupResult(LookupOutcome.FOUND, local_story(local))
        support = self.store.find_support(ticket)
        if support is not None:  # a 附议 receipt made here: the story of the issue supported
            supported = self.store.find_by_ticket(support.ticket)
            if supported is not None:
                return LookupResult(LookupOutcome.FOUND, local_story(supported), ticket)
            asked = self._ask_server(support.ticket)
            # Made here, so never "not found": without the centre's answer, as its receipt
            # showed it.
            return LookupResult(LookupOutcome.FOUND, asked.view or support_story(support), ticket)
        return self._ask_server(ticket)

    def ask_server(self, ticket: str) -> LookupResult:
        """The story as the centre tells it now, even of a ticket made here (whose stored
        story is only as new as the last pull)."""
        ticket = normalize(ticket)
        return self._ask_server(ticket) if is_valid_ticket(ticket) else _NOT_FOUND

    def find(self, ticket: str) -> TicketStatus | None:
        """The view when FOUND, else None. Cannot tell "not found" from "unreachable":
        use look_up."""
        return self.look_up(ticket).view

    def close(self) -> None:
        with self._lock:
            if self._client is not None:
                self._client.close()
                self._client = None

    def _client_or_none(self) -> httpx.Client | None:
        from sync.http import ClientSetupError

        with self._lock:
            if self._client is None:
                try:
                    self._client = make_client(self.link, timeout=self.timeout,
                                               transport=self._transport)
                except ClientSetupError as exc:
                    log.warning("lookup: cannot ask the server: %s", exc)
                    return None
            return self._client

    def _ask_server(self, ticket: str) -> LookupResult:
        from pydantic import ValidationError

        from sync.http import ExchangeError, exchange

        client = self._client_or_none()
        if client is None:
            return _UNREACHABLE
        try:
            reply = exchange(client, "GET", f"{API_PREFIX}/tickets/{ticket}",
                             deadline_s=self.timeout, max_bytes=LOOKUP_MAX_REPLY_BYTES)
        except ExchangeError as exc:
            log.warning("lookup: no answer from the server: %s", exc)
            return _UNREACHABLE
        if reply.status == 404:
            return _NOT_FOUND
        if reply.status != 200:
            log.warning("lookup: the server answered %d", reply.status)
            return _UNREACHABLE
        try:
            status = TicketStatus.model_validate_json(reply.body)
        except ValidationError:
            log.warning("lookup: the server's reply was not understood")
            return _UNREACHABLE
        if status.ticket == ticket:
            return LookupResult(LookupOutcome.FOUND, status)
        if status.support_ticket == ticket:  # a 附议 receipt's number: the issue supported
            return LookupResult(LookupOutcome.FOUND, status, ticket)
        log.warning("lookup: the server answered about another ticket")
        return _UNREACHABLE


def local_story(stored: StoredSubmission) -> TicketStatus:
    """The story of a ticket made here, from the last status change the feed brought, or,
    before any, what the resident said and when: no network needed."""
    from pydantic import ValidationError

    story = TicketStory(description=stored.description, place=stored.place,
                        steps=[StepReached(step=Step.SAY, at=stored.created_at)],
                        public=stored.public)
    if stored.story:
        try:
            story = TicketStory.model_validate_json(stored.story)
        except ValidationError:
            log.warning("lookup: a stored story was not understood; telling the short one")
    changed = stored.step_changed_at
    return TicketStatus(**story.model_dump(), ticket=stored.ticket, category=stored.category,
                        step=stored.step, note=stored.step_note,
                        changed_at=datetime.fromisoformat(changed) if changed
                        else stored.created_at)


def support_story(support: StoredSupport) -> TicketStatus:
    """The issue a 附议 made here supported, as its receipt showed it (the server out of
    reach)."""
    return TicketStatus(ticket=support.ticket, category=support.category,
                        description=support.description, step=support.step, note="",
                        changed_at=support.created_at, public=True)
