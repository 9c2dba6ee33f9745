"""Who is asking: a kiosk proven by its request signature, or staff."""

from __future__ import annotations

import hashlib
import hmac
import time
from typing import Annotated

from fastapi import Depends, HTTPException, Request
from sqlalchemy import delete, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session, sessionmaker
from starlette.concurrency import run_in_threadpool

from server.db import Kiosk, SeenNonce, StaffToken, prune_idempotent_replies
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
IDEMPOTENCY_PRUNE_EVERY_S = 3600.0
"""Old idempotency replies are deleted at most this often per server process (see
server.db.IDEMPOTENCY_RETENTION), in the transaction that records a nonce anyway."""
_next_idempotency_prune = 0.0  # time.monotonic() after which the next request prunes


def _public_keys(sessions: sessionmaker[Session], code: str) -> dict[str, str]:
    with sessions.begin() as s:
        key = s.scalar(select(Kiosk.public_key).where(Kiosk.code == code,
                                                      Kiosk.revoked_at.is_(None)))
        return {code: key} if key else {}


def _idempotency_prune_due() -> bool:
    global _next_idempotency_prune
    now = time.monotonic()
    if now < _next_idempotency_prune:
        return False
    _next_idempotency_prune = now + IDEMPOTENCY_PRUNE_EVERY_S
    return True


def _remember_nonce(sessions: sessionmaker[Session], verified: VerifiedRequest) -> bool:
    now = time.time()
    try:
        with sessions.begin() as s:
            s.execute(delete(SeenNonce).where(SeenNonce.seen_at < now - NONCE_KEPT_S))
            if _idempotency_prune_due():
                prune_idempotent_replies(s, now)
            s.add(SeenNonce(nonce=f"{verified.key_id}:{verified.nonce}", kiosk_code=verified.key_id,
                            seen_at=now))
    except IntegrityError:
        return False
    return True


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
    sessions = request.app.state.sessions
    keys = await run_in_threadpool(_public_keys, sessions, _key_id_of(request))
    try:
        verified = verify_request(method=request.method, url=str(request.url),
                                  headers=request.headers.items(), body=body, public_keys=keys)
    except SignatureRefused as exc:
        raise HTTPException(status_code=401, detail=str(exc)) from None
    if not await run_in_threadpool(_remember_nonce, sessions, verified):
        raise HTTPException(status_code=401, detail="replayed request (nonce already used)")
    return verified.key_id


def _staff_token_known(sessions: sessionmaker[Session], given: str) -> bool:
    digest = hashlib.sha256(given.encode()).hexdigest()
    with sessions.begin() as s:
        return s.get(StaffToken, digest) is not None


def staff_only(request: Request) -> None:
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
        return
    if not _staff_token_known(request.app.state.sessions, given):
        raise HTTPException(status_code=401, detail="unknown staff token",
                            headers={"WWW-Authenticate": "Bearer"})


KioskCode = Annotated[str, Depends(signed_kiosk)]
StaffOnly = Depends(staff_only)
