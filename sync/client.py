"""The sync worker: pushes the outbox to the central server and pulls status changes back.

It runs in its own process (``shuoshi sync``) beside the kiosk UI; both share the store.
"""

from __future__ import annotations

import logging
import random
import threading
import time
from dataclasses import dataclass

import httpx
from pydantic import ValidationError

from sync.protocol import API_PREFIX, PushRequest, PushResponse, StatusPage
from sync.store import Store

log = logging.getLogger(__name__)

DEFAULT_BACKOFF_BASE = 2.0
DEFAULT_BACKOFF_CAP = 300.0


@dataclass
class RoundResult:
    """What one sync round achieved."""

    pushed: int = 0
    waiting: int = 0
    pulled: int = 0
    error: str = ""


def backoff_delay(attempts: int, base: float = DEFAULT_BACKOFF_BASE,
                  cap: float = DEFAULT_BACKOFF_CAP) -> float:
    """Capped exponential backoff with full jitter."""
    return random.uniform(0.0, min(cap, base * 2.0 ** min(attempts, 30)))


class SyncWorker:
    def __init__(
        self,
        store: Store,
        *,
        server_url: str,
        kiosk_code: str,
        batch_size: int = 50,
        timeout: float = 10.0,
        transport: httpx.BaseTransport | None = None,
    ) -> None:
        self.store = store
        self.kiosk_code = kiosk_code
        self.batch_size = batch_size
        self._attempts = 0
        self._client = httpx.Client(base_url=server_url, timeout=timeout, transport=transport)

    def close(self) -> None:
        self._client.close()

    def run_once(self) -> RoundResult:
        """Push everything that is due, then pull status changes."""
        result = RoundResult()
        try:
            result.pushed = self._push_all()
            result.pulled = self._pull_all()
            self._attempts = 0
        except (httpx.HTTPError, ValidationError, ValueError) as exc:
            result.error = _plain(exc)
            self._attempts += 1
        result.waiting = self.store.queue_depth()
        return result

    def run_forever(self, interval: float, stop: threading.Event) -> None:
        while not stop.is_set():
            result = self.run_once()
            if result.error:
                log.warning("sync round failed: %s (%d waiting)", result.error, result.waiting)
                stop.wait(backoff_delay(self._attempts))
            else:
                stop.wait(interval)

    def _push_all(self) -> int:
        pushed = 0
        while True:
            batch = self.store.due_for_push(time.time(), self.batch_size)
            if not batch:
                return pushed
            body = PushRequest(kiosk_code=self.kiosk_code, items=batch)
            try:
                reply = self._client.post(
                    f"{API_PREFIX}/submissions", content=body.model_dump_json(),
                    headers={"content-type": "application/json"},
                )
                reply.raise_for_status()
                results = PushResponse.model_validate_json(reply.content).results
            except (httpx.HTTPError, ValidationError, ValueError) as exc:
                retry_at = time.time() + backoff_delay(self._attempts)
                self.store.postpone([str(i.uuid) for i in batch], _plain(exc), retry_at)
                raise
            acks = {str(r.uuid): r.server_id for r in results if r.outcome != "rejected"}
            self.store.acknowledge(acks)
            rejected = [r for r in results if r.outcome == "rejected"]
            for r in rejected:
                # Kept in the outbox, never dropped; quarantine for staff comes with issue 5.
                self.store.postpone([str(r.uuid)], f"rejected: {r.reason}", time.time() + 3600)
            pushed += len(acks)
            if len(batch) < self.batch_size:
                return pushed

    def _pull_all(self) -> int:
        pulled = 0
        while True:
            since = self.store.status_cursor()
            reply = self._client.get(
                f"{API_PREFIX}/status-updates",
                params={"kiosk": self.kiosk_code, "since": since, "limit": 200},
            )
            reply.raise_for_status()
            page = StatusPage.model_validate_json(reply.content)
            if page.cursor < since:
                raise ValueError(f"server cursor went back from {since} to {page.cursor}")
            self.store.apply_status_updates(page.updates, page.cursor)
            pulled += len(page.updates)
            if not page.updates:
                return pulled


def _plain(exc: Exception) -> str:
    if isinstance(exc, httpx.ConnectError):
        return "cannot reach the server"
    if isinstance(exc, httpx.TimeoutException):
        return "the server did not answer in time"
    if isinstance(exc, httpx.HTTPStatusError):
        return f"the server answered {exc.response.status_code}"
    if isinstance(exc, ValidationError):
        return "the server's reply was not understood"
    return str(exc) or type(exc).__name__
