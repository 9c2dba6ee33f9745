"""Each kiosk signs every request with its own Ed25519 key (HTTP Message Signatures, RFC 9421).

The signature covers the method, path, query, a Content-Digest of the body and its creation
time, and carries a nonce so the server can refuse a replay.
"""

from __future__ import annotations

import base64
import secrets
from collections.abc import Callable, Generator, Iterable
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any

import httpx
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey, Ed25519PublicKey
from http_message_signatures import (
    HTTPMessageSigner,
    HTTPMessageVerifier,
    HTTPSignatureKeyResolver,
    algorithms,
)
from http_message_signatures.exceptions import HTTPMessageSignaturesException

COVERED = ("@method", "@path", "@query", "content-digest")
MAX_AGE = timedelta(minutes=5)
"""How far behind the server's clock a signature's ``created`` may be (a slow kiosk clock)."""
MAX_CLOCK_SKEW = timedelta(minutes=5)
"""How far ahead of the server's clock ``created`` may be (a fast kiosk clock): the protocol
promises ±5 minutes both ways, so this matches MAX_AGE."""
_NO_LIBRARY_WINDOW = timedelta(days=365 * 50)
"""The signing library's own time window (5 s ahead by default) is switched off with this;
verify_request checks MAX_AGE and MAX_CLOCK_SKEW itself, once the signature is proven."""


class SignatureRefused(Exception):
    """Why the server refuses a request's signature, in plain words."""


def new_private_key() -> str:
    """A fresh Ed25519 private key, base64 (what ``shuoshi server add-kiosk`` hands out)."""
    from cryptography.hazmat.primitives.serialization import (
        Encoding,
        NoEncryption,
        PrivateFormat,
    )

    raw = Ed25519PrivateKey.generate().private_bytes(
        Encoding.Raw, PrivateFormat.Raw, NoEncryption()
    )
    return base64.b64encode(raw).decode()


def public_key_of(private_b64: str) -> str:
    from cryptography.hazmat.primitives.serialization import Encoding, PublicFormat

    key = Ed25519PrivateKey.from_private_bytes(base64.b64decode(private_b64))
    return base64.b64encode(key.public_key().public_bytes(Encoding.Raw, PublicFormat.Raw)).decode()


def load_private_key(private_b64: str) -> Ed25519PrivateKey:
    return Ed25519PrivateKey.from_private_bytes(base64.b64decode(private_b64, validate=True))


@dataclass
class _Message:
    """The request shape the signing library reads: method, absolute URL, headers."""

    method: str
    url: str
    headers: Any


class _OneKey(HTTPSignatureKeyResolver):
    def __init__(self, key: Ed25519PrivateKey) -> None:
        self.key = key

    def resolve_private_key(self, key_id: str) -> Ed25519PrivateKey:
        return self.key

    def resolve_public_key(self, key_id: str) -> Ed25519PublicKey:
        return self.key.public_key()


class KioskSigner(httpx.Auth):
    """httpx auth that signs each request when it is sent (retries get a fresh signature)."""

    requires_request_body = True

    def __init__(self, key_id: str, private_b64: str, *,
                 clock: Callable[[], datetime] = lambda: datetime.now(UTC)) -> None:
        """``clock`` gives the ``created`` time: the kiosk's own clock (tests shift it)."""
        self.key_id = key_id
        self.clock = clock
        resolver = _OneKey(load_private_key(private_b64))
        self._signer = HTTPMessageSigner(signature_algorithm=algorithms.ED25519,
                                         key_resolver=resolver)

    def auth_flow(self, request: httpx.Request) -> Generator[httpx.Request, httpx.Response, None]:
        message = _Message(request.method, str(request.url), request.headers)
        self._signer.sign(
            message, key_id=self.key_id, created=self.clock(), nonce=secrets.token_hex(16),
            covered_component_ids=COVERED, body=request.content,
        )
        yield request


class _KnownKeys(HTTPSignatureKeyResolver):
    def __init__(self, public_keys: dict[str, str]) -> None:
        self.public_keys = public_keys

    def resolve_public_key(self, key_id: str) -> Ed25519PublicKey | None:
        raw = self.public_keys.get(key_id)
        return Ed25519PublicKey.from_public_bytes(base64.b64decode(raw)) if raw else None

    def resolve_private_key(self, key_id: str) -> Ed25519PrivateKey:
        raise KeyError(key_id)


@dataclass(frozen=True)
class VerifiedRequest:
    key_id: str
    nonce: str
    created: datetime


def verify_request(
    *, method: str, url: str, headers: Iterable[tuple[str, str]], body: bytes,
    public_keys: dict[str, str], now: datetime | None = None,
) -> VerifiedRequest:
    """Check a kiosk's signature; raises SignatureRefused saying what is wrong."""
    pairs = list(headers)
    names = {name.lower() for name, _ in pairs}
    if "signature" not in names or "signature-input" not in names:
        raise SignatureRefused("request is not signed")
    verifier = HTTPMessageVerifier(
        signature_algorithm=algorithms.ED25519, key_resolver=_KnownKeys(public_keys)
    )
    verifier.max_clock_skew = _NO_LIBRARY_WINDOW
    message = _Message(method, url, _Headers(pairs))
    try:
        results = verifier.verify(message, max_age=None, require_components=COVERED, body=body)
    except HTTPMessageSignaturesException as exc:
        detail = str(exc) or "it does not verify with this kiosk's key"
        raise SignatureRefused(f"bad signature: {detail}") from None
    params = results[0].parameters
    created = datetime.fromtimestamp(int(params["created"]), UTC)
    current = now or datetime.now(UTC)
    if created < current - MAX_AGE or created > current + MAX_CLOCK_SKEW:
        raise SignatureRefused("signature is stale (created more than 5 minutes from now)")
    if "expires" in params and datetime.fromtimestamp(int(params["expires"]), UTC) < current:
        raise SignatureRefused("signature has expired")
    nonce = params.get("nonce")
    if not nonce:
        raise SignatureRefused("signature has no nonce")
    return VerifiedRequest(key_id=str(params["keyid"]), nonce=str(nonce), created=created)


class _Headers:
    """Read-only headers with the ``items()`` view the verifier needs (repeated names kept)."""

    def __init__(self, pairs: list[tuple[str, str]]) -> None:
        self._pairs = pairs

    def items(self) -> list[tuple[str, str]]:
        return list(self._pairs)

    def __contains__(self, name: object) -> bool:
        return isinstance(name, str) and any(n.lower() == name.lower() for n, _ in self._pairs)

    def __iter__(self) -> Any:
        return iter(n for n, _ in self._pairs)
