"""Each kiosk signs every request with its own Ed25519 key (HTTP Message Signatures, RFC 9421).

The signature covers the method, path, query, a Content-Digest of the body and its creation
time, and carries a nonce so the server can refuse a replay.
"""

from __future__ import annotations

import base64
import hashlib
import re
import secrets
import time
from collections.abc import Callable, Generator, Iterable
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any

import httpx
from cryptography.exceptions import InvalidSignature
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


# The server checks signatures with the verifier below, not with the library's
# HTTPMessageVerifier: its pure-Python Structured Field and Content-Digest parsing cost 0.48 ms
# of CPU per request against 0.15 ms here (Ed25519 included), measured, on every request of
# the whole fleet, all on the server's event loop or threads. Kiosks sign with the library
# (KioskSigner), always in one shape; this verifier accepts that shape only, written exactly
# as the library writes it, and refuses anything else. tests/test_signature_fast_path.py
# proves it never accepts what the library refuses.
_SF_KEY = r"[a-z*][a-z0-9_.*-]{0,63}"
_SF_STRING_CHARS = r'[\x20\x21\x23-\x5b\x5d-\x7e]'
_COVERED_LIST = "(" + " ".join(f'"{c}"' for c in COVERED) + ")"
_PARAM = re.compile(r';([a-z]+)=(?:([1-9][0-9]{0,14})|"(' + _SF_STRING_CHARS + r'{1,128})")')
_SIGNATURE_INPUT = re.compile(
    r"(" + _SF_KEY + r")=(" + re.escape(_COVERED_LIST) + r"((?:;[a-z]+=[^;]*){4}))")
_SIGNATURE = re.compile(r"(" + _SF_KEY + r")=:([A-Za-z0-9+/]{86}==):")
_CONTENT_DIGEST = re.compile(r"sha-256=:([A-Za-z0-9+/]{43}=):")
_URL_CHARS = r"(?:[A-Za-z0-9._~!$&'()*+,;=:@/-]|%[0-9A-Fa-f]{2})"
"""What the library's own URL parser lets into a path (a query may have ``?`` too)."""
_PATH = re.compile(r"/" + _URL_CHARS + "*")
_QUERY = re.compile(r"(?:" + _URL_CHARS + r"|\?)*")
_PROFILE_PARAMS = frozenset({"created", "keyid", "alg", "nonce"})


@dataclass(frozen=True)
class SignedParts:
    """What a request's signature headers say, parsed strictly (``parse_kiosk_signature``)."""

    label: str
    signature_params: str
    """The Signature-Input member after ``label=``: the last line of the signature base."""
    created: int
    key_id: str
    nonce: str
    signature: bytes
    content_digest: str


def _one_header(headers: Iterable[tuple[bytes, bytes]]) -> dict[bytes, str]:
    wanted = (b"signature", b"signature-input", b"content-digest")
    found: dict[bytes, str] = {}
    for name, value in headers:
        name = name.lower()
        if name in wanted:
            if name in found:
                raise SignatureRefused(f"bad signature: {name.decode()} sent more than once")
            try:
                found[name] = value.decode("ascii").strip(" \t")
            except UnicodeDecodeError:
                raise SignatureRefused(f"bad signature: {name.decode()} is not ASCII") from None
    return found


def parse_kiosk_signature(headers: Iterable[tuple[bytes, bytes]]) -> SignedParts:
    """The signature headers of a kiosk's request (ASGI header pairs), in the one shape
    KioskSigner writes: one label, the components COVERED in that order, the parameters
    created, keyid, alg="ed25519" and nonce each once, a sha-256 Content-Digest."""
    found = _one_header(headers)
    if b"signature" not in found or b"signature-input" not in found:
        raise SignatureRefused("request is not signed")
    sig_input = _SIGNATURE_INPUT.fullmatch(found[b"signature-input"])
    if sig_input is None:
        raise SignatureRefused("bad signature: Signature-Input is not in the kiosk profile")
    matches = list(_PARAM.finditer(sig_input.group(3)))
    params = {m.group(1): m for m in matches}
    if (len(params) != 4 or set(params) != _PROFILE_PARAMS
            or "".join(m.group(0) for m in matches) != sig_input.group(3)):
        raise SignatureRefused("bad signature: its parameters are not in the kiosk profile")
    created, key_id, alg, nonce = (params[n] for n in ("created", "keyid", "alg", "nonce"))
    if created.group(2) is None or None in (key_id.group(3), alg.group(3), nonce.group(3)):
        raise SignatureRefused("bad signature: a parameter has the wrong type")
    if alg.group(3) != "ed25519":
        raise SignatureRefused("bad signature: algorithm is not ed25519")
    signature = _SIGNATURE.fullmatch(found[b"signature"])
    if signature is None or signature.group(1) != sig_input.group(1):
        raise SignatureRefused("bad signature: Signature does not match Signature-Input")
    digest = found.get(b"content-digest")
    if digest is None or _CONTENT_DIGEST.fullmatch(digest) is None:
        raise SignatureRefused("bad signature: no sha-256 Content-Digest")
    return SignedParts(label=sig_input.group(1), signature_params=sig_input.group(2),
                       created=int(created.group(2)), key_id=key_id.group(3),
                       nonce=nonce.group(3),
                       signature=base64.b64decode(signature.group(2), validate=True),
                       content_digest=digest)


def public_key_object(public_b64: str) -> Ed25519PublicKey:
    return Ed25519PublicKey.from_public_bytes(base64.b64decode(public_b64))


def verify_kiosk_signature(parts: SignedParts, *, method: str, path: str, query: str,
                           body: bytes, public_key: Ed25519PublicKey,
                           now: float | None = None) -> VerifiedRequest:
    """Check the signature ``parts`` were parsed from against the request line
    (``query`` without its ``?``) and body, and its age; raises SignatureRefused."""
    if (not method.isalpha() or not method.isupper() or _PATH.fullmatch(path) is None
            or _QUERY.fullmatch(query) is None):
        raise SignatureRefused("bad signature: the request target is not plain ASCII")
    expected = base64.b64encode(hashlib.sha256(body).digest()).decode()
    if parts.content_digest != f"sha-256=:{expected}:":
        raise SignatureRefused("bad signature: Content-Digest does not match the body")
    base = (f'"@method": {method}\n"@path": {path}\n"@query": ?{query}\n'
            f'"content-digest": {parts.content_digest}\n'
            f'"@signature-params": {parts.signature_params}')
    try:
        public_key.verify(parts.signature, base.encode())
    except InvalidSignature:
        raise SignatureRefused("bad signature: it does not verify with this kiosk's key") from None
    current = time.time() if now is None else now
    if not (current - MAX_AGE.total_seconds() <= parts.created
            <= current + MAX_CLOCK_SKEW.total_seconds()):
        raise SignatureRefused("signature is stale (created more than 5 minutes from now)")
    return VerifiedRequest(key_id=parts.key_id, nonce=parts.nonce,
                           created=datetime.fromtimestamp(parts.created, UTC))
