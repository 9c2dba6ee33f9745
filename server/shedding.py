"""Bounded concurrency: at most K requests inside the application at once, a few more wait
briefly, the rest are answered ``503`` with ``Retry-After`` at once.

An overloaded server that accepts everything answers everything late, until every kiosk times
out and retries, which is how the server used to freeze. Answering the excess at once keeps
the admitted requests fast; kiosks honour ``Retry-After`` (``sync.http.parse_retry_after``), so
the load spreads out by itself and the server recovers when it drops.

The limit is per worker process: K is kept below the database pool so an admitted request
never waits for a connection. The shedder sits inside the body limit, so a slow upload holds
no slot while its body arrives.
"""

from __future__ import annotations

import asyncio
import json
import random
from collections.abc import Callable
from dataclasses import dataclass

from starlette.types import ASGIApp, Receive, Scope, Send

DEFAULT_POOL_SIZE = 5
"""SQLAlchemy's own pool size, used when ``server.database`` does not name one (``POOL_SIZE``)."""
DEFAULT_MAX_CONCURRENCY = 4
"""Requests in the application at once per worker, unless the pool is smaller. The handlers
are CPU-bound Python: more threads add no throughput, they share one GIL, and each one
running takes it from the event loop, which then accepts, parses and sheds late (measured:
with 19 admitted, p50 1.8 s past saturation; with 4, 0.25 s)."""
NEVER_SHED = frozenset({"/healthz", "/metrics"})
BUSY = json.dumps({"detail": "server busy, try again later"}).encode()


def default_max_concurrency() -> int:
    """DEFAULT_MAX_CONCURRENCY, and always below a worker's database pool
    (``server.database.POOL_SIZE`` when it exists), so an admitted request never waits for a
    connection."""
    from server import database as db

    pool = getattr(db, "POOL_SIZE", DEFAULT_POOL_SIZE)
    return max(1, min(DEFAULT_MAX_CONCURRENCY, int(pool) - 1))


@dataclass(frozen=True)
class SheddingPolicy:
    max_concurrency: int
    """Requests inside the application at once (per worker)."""
    max_waiting: int
    """Requests that may wait for a slot; one more is answered 503 at once. A waiting request
    costs no CPU; 8 per slot at ~5 ms of CPU each is a wait of ~40 ms per slot's queue."""
    max_wait_s: float = 1.0
    """A waiting request gets a slot within this or is answered 503 (a backstop: when the
    machine is busier than the queue's length suggests)."""
    retry_after_s: tuple[int, int] = (5, 15)
    """Retry-After is drawn from this range so refused kiosks do not come back together."""

    @classmethod
    def for_limit(cls, max_concurrency: int) -> SheddingPolicy:
        return cls(max_concurrency=max_concurrency, max_waiting=8 * max_concurrency)


class LoadShedder:
    """ASGI middleware applying a SheddingPolicy; ``on_shed`` is called for each refusal and
    ``on_admit(+1/-1)`` as requests enter and leave the application (for the metrics)."""

    def __init__(self, app: ASGIApp, policy: SheddingPolicy,
                 on_shed: Callable[[], None] = lambda: None,
                 on_admit: Callable[[int], None] = lambda _: None) -> None:
        self.app = app
        self.policy = policy
        self.on_shed = on_shed
        self.on_admit = on_admit
        self._slots = asyncio.Semaphore(policy.max_concurrency)
        self._waiting = 0

    @property
    def waiting(self) -> int:
        return self._waiting

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http" or scope["path"] in NEVER_SHED:
            await self.app(scope, receive, send)
            return
        if self._slots.locked() and self._waiting >= self.policy.max_waiting:
            await self._refuse(send)
            return
        self._waiting += 1
        try:
            async with asyncio.timeout(self.policy.max_wait_s):
                await self._slots.acquire()
        except TimeoutError:
            await self._refuse(send)
            return
        finally:
            self._waiting -= 1
        self.on_admit(1)
        try:
            await self.app(scope, receive, send)
        finally:
            self._slots.release()
            self.on_admit(-1)

    async def _refuse(self, send: Send) -> None:
        self.on_shed()
        retry_after = random.randint(*self.policy.retry_after_s)
        await send({"type": "http.response.start", "status": 503,
                    "headers": [(b"content-type", b"application/json"),
                                (b"content-length", str(len(BUSY)).encode()),
                                (b"retry-after", str(retry_after).encode()),
                                (b"connection", b"close")]})
        await send({"type": "http.response.body", "body": BUSY})
