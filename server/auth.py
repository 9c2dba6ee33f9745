"""Who is asking: a kiosk proven by its request signature, or staff."""

from __future__ import annotations

import hashlib
import hmac
import threading
import time
from contextlib import suppress
from dataclasses import dataclass, field
from typing import Annotated

from fastapi import Depends, HTTPException, Request
from sqlalchemy import delete, select
from sqlalchemy.orm import Session, sessionmaker
from starlette.concurrency import run_in_threadpool

from server.db import (
    Kiosk,
    SeenNonce,
    ServerDatabase,
    StaffAccount,
    StaffToken,
    insert_or_nothing,
)
from sync.contract.signing import (
    MAX_AGE,
    MAX_CLOCK_SKEW,
    SignatureRefused,
    VerifiedRequest,
    verify_request,
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


@dataclass
class KioskKeys:
    """Per server process: public keys read recently, and when old nonces are next pruned."""

    keys: dict[str, tuple[str, float]] = field(default_factory=dict)
    """code -> (public key, time.monotonic() when read)"""
    next_nonce_prune: float = 0.0
    lock: threading.Lock = field(default_factory=threading.Lock)

    def cached(self, code: str) -> str | None:
        with self.lock:
            found = self.keys.get(code)
        if found is None or time.monotonic() - found[1] > KEY_CACHE_S:
            return None
        return found[0]

    def read(self, reading: sessionmaker[Session], code: str) -> str | None:
        with reading.begin() as s:
            key = s.scalar(select(Kiosk.public_key).where(Kiosk.code == code,
                                                          Kiosk.revoked_at.is_(None)))
        with self.lock:
            if key:
                self.keys[code] = (key, time.monotonic())
            else:
                self.keys.pop(code, None)
        return key

    def nonce_prune_due(self) -> bool:
        now = time.monotonic()
        with self.lock:
            if now < self.next_nonce_prune:
                return False
            self.next_nonce_prune = now + NONCE_PRUNE_EVERY_S
            return True


def kiosk_keys(request: Request) -> KioskKeys:
    state = request.app.state
    if not hasattr(state, "kiosk_keys"):
        state.kiosk_keys = KioskKeys()
    found: KioskKeys = state.kiosk_keys
    return found


def _remember_nonce(db: ServerDatabase, keys: KioskKeys, verified: VerifiedRequest) -> bool:
    """Record the nonce in one short transaction; False if it was seen before (a replay)."""
    now = time.time()
    with db.nonces.begin() as s:
        if keys.nonce_prune_due():
            s.execute(delete(SeenNonce).where(SeenNonce.seen_at < now - NONCE_KEPT_S))
        recorded = s.scalar(insert_or_nothing(s, SeenNonce).values(
            nonce=f"{verified.key_id}:{verified.nonce}", kiosk_code=verified.key_id,
            seen_at=now).returning(SeenNonce.nonce))
        return recorded is not None


class _Refused(Exception):
    pass


def _verified(method: str, url: str, headers: list[tuple[str, str]], body: bytes, code: str,
              key: str | None) -> VerifiedRequest:
    return verify_request(method=method, url=url, headers=headers, body=body,
                          public_keys={code: key} if key else {})


def _admit(db: ServerDatabase, keys: KioskKeys, code: str, method: str, url: str,
           headers: list[tuple[str, str]], body: bytes) -> str:
    """Everything a signed request costs the database, in one thread call: the key (from
    memory when read in the last KEY_CACHE_S) and the nonce."""
    verified: VerifiedRequest | None = None
    key = keys.cached(code)
    if key is not None:
        with suppress(SignatureRefused):  # else the key may have been rotated: read it again
            verified = _verified(method, url, headers, body, code, key)
    if verified is None:
        key = keys.read(db.reading, code)
        try:
            verified = _verified(method, url, headers, body, code, key)
        except SignatureRefused as exc:
            raise _Refused(str(exc)) from None
    if not _remember_nonce(db, keys, verified):
        raise _Refused("replayed request (nonce already used)")
    return verified.key_id


def _key_id_of(request: Request) -> str:
    """The keyid a request claims, so the right public key can be looked up."""
    sig_input = request.headers.get("signature-input", "")
    marker = 'keyid="'
    start = sig_input.find(marker)
    if start < 0:
        return ""
    end = sig_input.find('"', start + len(marker))
    return sig_input[start + len(marker):end]


async def signed_kiosk(request: Request) -> str:
    """The code of the kiosk whose key signed this request; 401 otherwise."""
    body = await request.body()
    try:
        return await run_in_threadpool(
            _admit, request.app.state.database, kiosk_keys(request), _key_id_of(request),
            request.method, str(request.url), request.headers.items(), body)
    except _Refused as exc:
        raise HTTPException(status_code=401, detail=str(exc)) from None


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
StaffOnly = Depends(staff_only)
Caller = Annotated[StaffCaller, Depends(staff_only)]
"""The staff API's caller, for routes that limit what community staff may change."""
