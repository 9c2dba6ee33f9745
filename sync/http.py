"""One HTTP exchange with the server, bounded in size and time, with errors in plain words."""

from __future__ import annotations

import random
import time
from dataclasses import dataclass
from datetime import UTC, datetime
from email.utils import parsedate_to_datetime
from typing import Any

import httpx

DEFAULT_MAX_REPLY_BYTES = 2 * 2**20
DEFAULT_BACKOFF_BASE = 2.0
DEFAULT_BACKOFF_CAP = 300.0


class ExchangeError(Exception):
    """The exchange did not produce a reply we can use; always worth retrying later."""


@dataclass(frozen=True)
class Reply:
    status: int
    body: bytes
    headers: httpx.Headers

    @property
    def retry_after(self) -> float | None:
        return parse_retry_after(self.headers.get("retry-after"))

    @property
    def server_time(self) -> datetime | None:
        value = self.headers.get("date")
        try:
            return parsedate_to_datetime(value) if value else None
        except (TypeError, ValueError):
            return None

    def detail(self) -> str:
        text = self.body[:300].decode("utf-8", "replace")
        return f"{self.status}: {text}" if text else str(self.status)


def exchange(client: httpx.Client, method: str, path: str, *, deadline_s: float,
             max_bytes: int = DEFAULT_MAX_REPLY_BYTES, **kwargs: Any) -> Reply:
    """Send one request; the whole reply must arrive within ``deadline_s`` and ``max_bytes``."""
    deadline = time.monotonic() + deadline_s
    try:
        with client.stream(method, path, **kwargs) as response:
            chunks: list[bytes] = []
            size = 0
            for chunk in response.iter_bytes():
                size += len(chunk)
                if size > max_bytes:
                    raise ExchangeError(f"the server's reply was larger than {max_bytes} bytes")
                if time.monotonic() > deadline:
                    raise ExchangeError("the server's reply came too slowly")
                chunks.append(chunk)
            return Reply(response.status_code, b"".join(chunks), response.headers)
    except httpx.ConnectError as exc:
        if "CERTIFICATE" in str(exc).upper():
            raise ExchangeError("the server's TLS certificate is not trusted") from None
        raise ExchangeError("cannot reach the server") from None
    except httpx.TimeoutException:
        raise ExchangeError("the server did not answer in time") from None
    except httpx.HTTPError as exc:
        raise ExchangeError(f"the connection failed ({type(exc).__name__})") from None


def parse_retry_after(value: str | None) -> float | None:
    """Retry-After in seconds, from either delta-seconds or an HTTP date."""
    if not value:
        return None
    value = value.strip()
    if value.isdigit():
        return float(value)
    try:
        when = parsedate_to_datetime(value)
    except (TypeError, ValueError):
        return None
    if when.tzinfo is None:
        when = when.replace(tzinfo=UTC)
    return max(0.0, (when - datetime.now(UTC)).total_seconds())


def backoff_delay(attempts: int, base: float = DEFAULT_BACKOFF_BASE,
                  cap: float = DEFAULT_BACKOFF_CAP) -> float:
    """Capped exponential backoff with full jitter (attempts counts from 1)."""
    return random.uniform(0.0, min(cap, base * 2.0 ** min(max(attempts - 1, 0), 30)))
