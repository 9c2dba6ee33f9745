"""Who is asking: a kiosk proven by its request signature, or staff."""

from __future__ import annotations

import hmac
import time
from typing import Annotated

from fastapi import Depends, HTTPException, Request
from sqlalchemy import delete, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session, sessionmaker
from starlette.concurrency import run_in_threadpool

from server.db import Kiosk, SeenNonce
from sync.contract.signing import MAX_AGE, SignatureRefused, VerifiedRequest, verify_request

LOOPBACK = {"127.0.0.1", "::1", "localhost"}


def _public_keys(sessions: sessionmaker[Session], code: str) -> dict[str, str]:
    with sessions.begin() as s:
        key = s.scalar(select(Kiosk.public_key).where(Kiosk.code == code))
        return {code: key} if key else {}


def _remember_nonce(sessions: sessionmaker[Session], verified: VerifiedRequest) -> bool:
    now = time.time()
    try:
        with sessions.begin() as s:
            expired = now - 2 * MAX_AGE.total_seconds()
            s.execute(delete(SeenNonce).where(SeenNonce.seen_at < expired))
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


def staff_only(request: Request) -> None:
    """Staff: the bearer token if the server has one, otherwise only from this machine."""
    token: str | None = request.app.state.staff_token
    if token:
        given = request.headers.get("authorization", "").removeprefix("Bearer ")
        if not hmac.compare_digest(given.encode(), token.encode()):
            raise HTTPException(status_code=401, detail="staff token required")
    elif request.client is None or request.client.host not in LOOPBACK:
        raise HTTPException(status_code=403, detail="staff calls only from this machine")


KioskCode = Annotated[str, Depends(signed_kiosk)]
StaffOnly = Depends(staff_only)
