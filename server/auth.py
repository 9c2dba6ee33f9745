"""Who is asking: a kiosk proven by its request signature, or staff."""

from __future__ import annotations

import hashlib
import hmac
import threading
import time
from contextlib import suppress
from dataclasses import dataclass, field
from typing import Annotated

from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PublicKey
from fastapi import Depends, HTTPException, Request
from sqlalchemy import Connection, Engine, text
from sqlalchemy.orm import Session, sessionmaker
from starlette.concurrency import run_in_threadpool

from server.database import ServerDatabase
from server.db import StaffAccount, StaffToken
from server.deps import Every
from sync.contract.signing import (
    MAX_AGE,
    MAX_CLOCK_SKEW,
    SignatureRefused,
    SignedParts,
    VerifiedRequest,
    parse_kiosk_signature,
    public_key_object,
    verify_kiosk_signature,
)

NONCE_KEPT_S = (MAX_AGE + MAX_CLOCK_SKEW).total_seconds()
"""A signature is accepted while the server's clock is within MAX_CLOCK_SKEW before to MAX_AGE
after its ``created``, so its nonce is remembered for that whole span."""
NONCE_PRUNE_EVERY_S = 60.0
"""Nonces older than NONCE_KEPT_S are deleted at most this often per server process."""
KEY_CACHE_S = 5.0
"""How long a kiosk's public key is reused from memory without reading ``kiosks`` again. So a
revoked kiosk (``Kiosk.revoked_at``), or the old key of a rotated one, is refused at the latest
KEY_CACHE_S after the change, by every server process. A rotated kiosk's new key works at once:
a signature that fails with a remembered key is checked again against a fresh read."""
_RECORD_NONCE = text("INSERT INTO seen_nonces (nonce, kiosk_code, seen_at) VALUES (:nonce, :code,"
                     " :now) ON CONFLICT DO NOTHING RETURNING nonce")
_PRUNE_NONCES = text("DELETE FROM seen_nonces WHERE seen_at < :before")
_READ_KEY = text("SELECT public_key FROM kiosks WHERE code = :code AND revoked_at IS NULL")


@dataclass
class KioskKeys:
    """Per server process: public keys read recently, and when old nonces are next pruned."""

    keys: dict[str, tuple[Ed25519PublicKey, float]] = field(default_factory=dict)
    """code -> (public key, time.monotonic() when read)"""
    nonce_prune: Every = field(default_factory=lambda: Every(NONCE_PRUNE_EVERY_S))
    lock: threading.Lock = field(default_factory=threading.Lock)

    def cached(self, code: str) -> Ed25519PublicKey | None:
        found = self.keys.get(code)  # one dict read: atomic under the GIL
        if found is None or time.monotonic() - found[1] > KEY_CACHE_S:
            return None
        return found[0]

    def read(self, engine: Engine, code: str) -> Ed25519PublicKey | None:
        with engine.connect() as conn:
            raw = conn.execute(_READ_KEY, {"code": code}).scalar()
            conn.rollback()
        key = public_key_object(raw) if raw else None
        with self.lock:
            if key is not None:
                self.keys[code] = (key, time.monotonic())
            else:
                self.keys.pop(code, None)
        return key


def kiosk_keys(request: Request) -> KioskKeys:
    state = request.app.state
    if not hasattr(state, "kiosk_keys"):
        state.kiosk_keys = KioskKeys()
    found: KioskKeys = state.kiosk_keys
    return found


def _engine_of(sessions: sessionmaker[Session]) -> Engine:
    engine: Engine = sessions.kw["bind"]
    return engine


class _Refused(Exception):
    pass


@dataclass(frozen=True)
class _Signed:
    """A request's signature, parsed, waiting to be checked against its kiosk's key."""

    parts: SignedParts
    method: str
    path: str
    query: str
    body: bytes

    def verify(self, key: Ed25519PublicKey | None) -> VerifiedRequest:
        if key is None:
            raise SignatureRefused("bad signature: no such kiosk, or it is revoked")
        return verify_kiosk_signature(self.parts, method=self.method, path=self.path,
                                      query=self.query, body=self.body, public_key=key)


@dataclass(frozen=True)
class SignedKiosk:
    """A kiosk request whose signature verified, its nonce not yet recorded: the route calls
    ``record_nonce`` first thing in its one thread call (``SignedBy`` routes only)."""

    code: str
    verified: VerifiedRequest
    database: ServerDatabase
    keys: KioskKeys

    def record_nonce(self, conn: Connection | None = None) -> None:
        """Refuse a replay (401). ``conn``: the route's own connection, used when the nonces
        are kept in the same database (PostgreSQL), so the request takes one connection."""
        nonces = _engine_of(self.database.nonces)
        if conn is not None and conn.engine is nonces:
            fresh = _remember_nonce(conn, self.keys, self.verified)
        else:
            with nonces.connect() as own:
                fresh = _remember_nonce(own, self.keys, self.verified)
                own.commit()
        if not fresh:
            raise HTTPException(status_code=401, detail="replayed request (nonce already used)")


def _remember_nonce(conn: Connection, keys: KioskKeys, verified: VerifiedRequest) -> bool:
    """Record the nonce; False if it was seen before (a replay). Plain SQL on a connection: a
    Session and a transaction of its own cost several times the INSERT itself."""
    now = time.time()
    if keys.nonce_prune.due():
        conn.execute(_PRUNE_NONCES, {"before": now - NONCE_KEPT_S})
    recorded = conn.execute(_RECORD_NONCE, {"nonce": f"{verified.key_id}:{verified.nonce}",
                                            "code": verified.key_id, "now": now}).scalar()
    return recorded is not None


def _read_and_verify(db: ServerDatabase, keys: KioskKeys, signed: _Signed) -> VerifiedRequest:
    try:
        return signed.verify(keys.read(_engine_of(db.reading), signed.parts.key_id))
    except SignatureRefused as exc:
        raise _Refused(str(exc)) from None


async def signed_by(request: Request) -> SignedKiosk:
    """The kiosk whose key signed this request, its nonce still to record; 401 otherwise. The
    signature is checked on the event loop with a key held in memory (about 0.1 ms, less than
    a hand-off to a worker thread); the database is read only when the key is not in memory
    or does not verify (a rotated key)."""
    scope = request.scope
    try:
        parts = parse_kiosk_signature(scope["headers"])
    except SignatureRefused as exc:
        raise HTTPException(status_code=401, detail=str(exc)) from None
    raw_path: bytes = scope.get("raw_path") or scope["path"].encode()
    signed = _Signed(parts, request.method, raw_path.decode("latin-1"),
                     scope["query_string"].decode("latin-1"), await request.body())
    db: ServerDatabase = request.app.state.database
    keys = kiosk_keys(request)
    verified: VerifiedRequest | None = None
    key = keys.cached(parts.key_id)
    if key is not None:
        with suppress(SignatureRefused):  # else the key may have been rotated: read it again
            verified = signed.verify(key)
    if verified is None:
        try:
            verified = await run_in_threadpool(_read_and_verify, db, keys, signed)
        except _Refused as exc:
            raise HTTPException(status_code=401, detail=str(exc)) from None
    return SignedKiosk(verified.key_id, verified, db, keys)


async def signed_kiosk(request: Request) -> str:
    """The code of the kiosk whose key signed this request, its nonce recorded; 401
    otherwise."""
    kiosk = await signed_by(request)
    await run_in_threadpool(kiosk.record_nonce)
    return kiosk.code


@dataclass(frozen=True)
class StaffCaller:
    """Who called the staff API: the server's own token (SHUOSHI_STAFF_TOKEN, role "server")
    or a token issued to a staff account with ``shuoshi server staff-token``."""

    username: str | None  # None for the server's own token
    role: str  # "server", "admin" or "community"
    community_code: str | None

    def may_handle(self, community_code: str | None) -> bool:
        """Community staff handle their own community's tickets; admins and the server all."""
        if self.role in ("server", "admin"):
            return True
        return community_code is not None and community_code == self.community_code


def _caller_of_token(sessions: sessionmaker[Session], given: str) -> StaffCaller | None:
    digest = hashlib.sha256(given.encode()).hexdigest()
    with sessions.begin() as s:
        token = s.get(StaffToken, digest)
        account = s.get(StaffAccount, token.username) if token is not None else None
        if account is None or account.disabled:
            return None
        return StaffCaller(account.username, account.role, account.community_code)


def staff_only(request: Request) -> StaffCaller:
    """Staff: a bearer token, either the server's own (SHUOSHI_STAFF_TOKEN) or one issued to a
    staff account. Where a request comes from proves nothing (a reverse proxy or a port
    forwarder makes every caller look local), so there is no exception for 127.0.0.1."""
    header = request.headers.get("authorization", "")
    given = header.removeprefix("Bearer ").strip() if header.startswith("Bearer ") else ""
    if not given:
        raise HTTPException(status_code=401, detail="staff credentials required",
                            headers={"WWW-Authenticate": "Bearer"})
    token: str | None = request.app.state.staff_token
    if token and hmac.compare_digest(given.encode(), token.encode()):
        return StaffCaller(None, "server", None)
    caller = _caller_of_token(request.app.state.database.reading, given)
    if caller is None:
        raise HTTPException(status_code=401, detail="unknown staff token",
                            headers={"WWW-Authenticate": "Bearer"})
    return caller


KioskCode = Annotated[str, Depends(signed_kiosk)]
SignedBy = Annotated[SignedKiosk, Depends(signed_by)]
"""For the commonest kiosk routes: the route records the nonce in its own thread call."""
StaffOnly = Depends(staff_only)
Caller = Annotated[StaffCaller, Depends(staff_only)]
"""The staff API's caller, for routes that limit what community staff may change."""
