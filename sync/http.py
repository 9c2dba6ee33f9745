"""HTTP with the central server: the one client factory, and one exchange bounded in size
and time with errors in plain words."""

from __future__ import annotations

import random
import ssl
import time
from dataclasses import dataclass
from datetime import UTC, datetime
from email.utils import parsedate_to_datetime
from pathlib import Path
from typing import Any

import httpx

from sync.contract.signing import KioskSigner

DEFAULT_MAX_REPLY_BYTES = 2 * 2**20
DEFAULT_BACKOFF_BASE = 2.0
DEFAULT_BACKOFF_CAP = 300.0
DEFAULT_TIMEOUT_S = 10.0


@dataclass(frozen=True)
class ServerLink:
    """How this kiosk reaches the central server; read from the config once at start-up."""

    server_url: str
    kiosk_code: str
    signing_key: str
    """This kiosk's private key (base64); empty until the kiosk is provisioned."""
    timeout: float = DEFAULT_TIMEOUT_S
    """Longest wait for one network step (connecting, sending, each read)."""
    ca_file: Path | None = None
    """A private CA for the server's certificate; None means the system's CAs."""


class ClientSetupError(ValueError):
    """The settings cannot make a client (no or bad signing key, unusable CA file)."""


def make_client(link: ServerLink, *, timeout: float | None = None,
                transport: httpx.BaseTransport | None = None) -> httpx.Client:
    """The one way to make an HTTP client for the central server.

    The server's TLS certificate is verified (against ``link.ca_file`` when given), every
    request is signed with the kiosk's key when it is sent, and every network step waits at
    most ``timeout`` (``link.timeout`` unless given). ``transport`` replaces the network in
    tests. Raises ClientSetupError, in plain words, when the settings cannot work.
    """
    if not link.signing_key:
        raise ClientSetupError("[sync] signing_key is empty: this kiosk is not provisioned")
    try:
        signer = KioskSigner(link.kiosk_code, link.signing_key)
    except ValueError:
        raise ClientSetupError("[sync] signing_key is not a valid Ed25519 key") from None
    verify: ssl.SSLContext | bool = True
    if link.ca_file is not None:
        try:
            verify = ssl.create_default_context(cafile=str(link.ca_file))
        except OSError as exc:  # ssl.SSLError is an OSError too
            why = exc.strerror or str(exc) or type(exc).__name__
            raise ClientSetupError(f"[sync] ca_file {link.ca_file} cannot be used: {why}") from None
    try:
        return httpx.Client(base_url=link.server_url, auth=signer, verify=verify,
                            timeout=link.timeout if timeout is None else timeout,
                            transport=transport)
    except httpx.InvalidURL:
        raise ClientSetupError(f"[sync] server_url {link.server_url!r} is not a URL") from None


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
