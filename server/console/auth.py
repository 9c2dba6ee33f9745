"""Who is signed in to the console, and what they may see.

Sessions: a random token in an HttpOnly, SameSite=Strict cookie (Secure when the request came
over HTTPS); the table keeps only its SHA-256. A session lasts SESSION_HOURS from sign-in and
is not extended by use (a fixed working day: a forgotten browser in the hall signs itself out),
and ends at once on 退出 or when the account is disabled.

CSRF: each session has its own token; every POST form carries it as the hidden field
``csrf_token`` (templates write ``{{ csrf_field() }}``) and routes take the form through the
``CheckedForm`` dependency, which answers 403 when the token is missing or wrong.
"""

from __future__ import annotations

import hashlib
import hmac
import secrets
import threading
import time
from collections import defaultdict, deque
from dataclasses import dataclass
from typing import Annotated
from urllib.parse import quote

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError
from fastapi import Depends, HTTPException, Request, Response
from sqlalchemy import delete
from sqlalchemy.orm import Session
from starlette.datastructures import FormData

from server.db import StaffAccount, StaffSession
from server.deps import now_iso, reading, transaction

SESSION_COOKIE = "shuoshi_console"
SESSION_HOURS = 12
ROLES = ("community", "admin")
_hasher = PasswordHasher()  # argon2id with the library's current parameters
_DUMMY_HASH = _hasher.hash("no such account")


@dataclass(frozen=True)
class StaffUser:
    username: str
    display_name: str
    role: str  # "community" or "admin"
    community_code: str | None

    @property
    def is_admin(self) -> bool:
        return self.role == "admin"

    def sees(self, community_code: str | None) -> bool:
        """Community staff see their own community; admins of the street or district all."""
        return self.is_admin or (community_code is not None
                                 and community_code == self.community_code)


def hash_password(password: str) -> str:
    return _hasher.hash(password)


def check_password(account: StaffAccount | None, password: str) -> bool:
    """True if ``password`` is the account's; as slow for an unknown name as for a known one."""
    try:
        return _hasher.verify(account.password_hash if account else _DUMMY_HASH, password) \
            and account is not None and not account.disabled
    except (VerificationError, InvalidHashError):
        return False


def add_account(db: Session, username: str, display_name: str, password: str, role: str,
                community_code: str | None) -> StaffAccount:
    if role not in ROLES:
        raise ValueError(f"role must be one of {ROLES}")
    if role == "community" and not community_code:
        raise ValueError("community staff need a community")
    account = StaffAccount(username=username, display_name=display_name,
                           password_hash=hash_password(password), role=role,
                           community_code=community_code, created_at=now_iso())
    db.add(account)
    return account


def user_of(account: StaffAccount) -> StaffUser:
    return StaffUser(account.username, account.display_name, account.role,
                     account.community_code)


def digest(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


def start_session(db: Session, username: str) -> str:
    """A new session for ``username``; returns the cookie's token (stored only hashed)."""
    now = time.time()
    db.execute(delete(StaffSession).where(StaffSession.expires_at < now))
    token = secrets.token_urlsafe(32)
    db.add(StaffSession(token_sha256=digest(token), username=username,
                        csrf_token=secrets.token_urlsafe(32), created_at=now,
                        expires_at=now + SESSION_HOURS * 3600))
    return token


def set_session_cookie(request: Request, response: Response, token: str) -> None:
    response.set_cookie(SESSION_COOKIE, token, max_age=SESSION_HOURS * 3600, path="/console",
                        httponly=True, samesite="strict",
                        secure=request.url.scheme == "https")


def end_session(request: Request, response: Response) -> None:
    token = request.cookies.get(SESSION_COOKIE)
    if token:
        with transaction(request) as db:
            db.execute(delete(StaffSession).where(StaffSession.token_sha256 == digest(token)))
    response.delete_cookie(SESSION_COOKIE, path="/console")


def _signed_in(request: Request, token: str) -> tuple[StaffUser, str] | None:
    with reading(request) as db:
        row = db.get(StaffSession, digest(token))
        if row is None or row.expires_at < time.time():
            return None
        account = db.get(StaffAccount, row.username)
        if account is None or account.disabled:
            return None
        return user_of(account), row.csrf_token


def signed_in_staff(request: Request) -> StaffUser | None:
    """The staff member this request's session belongs to, or None; also keeps the session's
    CSRF token in ``request.state.csrf_token`` for the templates."""
    cached: StaffUser | None = getattr(request.state, "staff", None)
    if cached is not None:
        return cached
    token = request.cookies.get(SESSION_COOKIE)
    found = _signed_in(request, token) if token else None
    if found is None:
        return None
    request.state.staff, request.state.csrf_token = found
    return found[0]


def login_url(request: Request) -> str:
    target = request.url.path + (f"?{request.url.query}" if request.url.query else "")
    return f"/console/login?next={quote(target, safe='')}"


def current_staff(request: Request) -> StaffUser:
    """FastAPI dependency: the signed-in staff member; otherwise a 303 to the sign-in page
    (which comes back here afterwards)."""
    user = signed_in_staff(request)
    if user is None:
        raise HTTPException(status_code=303, detail="请先登录",
                            headers={"Location": login_url(request)})
    return user


def require_admin(request: Request) -> StaffUser:
    """FastAPI dependency: like current_staff, but only for 街道/区 admins (403 otherwise)."""
    user = current_staff(request)
    if not user.is_admin:
        raise HTTPException(status_code=403, detail="仅限管理员")
    return user


def verify_csrf(request: Request, token: str | None) -> None:
    """403 unless ``token`` is the CSRF token of this request's session."""
    expected: str | None = getattr(request.state, "csrf_token", None)
    if expected is None and signed_in_staff(request) is not None:
        expected = request.state.csrf_token
    if not expected or not token or not hmac.compare_digest(token.encode(), expected.encode()):
        raise HTTPException(status_code=403, detail="表单已失效，请刷新页面后重试")


async def checked_form(request: Request) -> FormData:
    """FastAPI dependency for POST routes: the form, after the sign-in and CSRF checks."""
    current_staff(request)
    form = await request.form()
    token = form.get("csrf_token")
    verify_csrf(request, token if isinstance(token, str) else None)
    return form


Staff = Annotated[StaffUser, Depends(current_staff)]
Admin = Annotated[StaffUser, Depends(require_admin)]
CheckedForm = Annotated[FormData, Depends(checked_form)]


class LoginThrottle:
    """At most ``per_name`` failed sign-ins per username and ``per_address`` per client address
    in ``window_s``; a success does not reset the count (guessing stays slow)."""

    def __init__(self, per_name: int = 5, per_address: int = 20, window_s: float = 60.0) -> None:
        self.per_name, self.per_address, self.window_s = per_name, per_address, window_s
        self._failures: dict[str, deque[float]] = defaultdict(deque)
        self._lock = threading.Lock()

    def _recent(self, key: str, now: float) -> int:
        times = self._failures[key]
        while times and times[0] < now - self.window_s:
            times.popleft()
        return len(times)

    def blocked(self, username: str, address: str) -> bool:
        now = time.monotonic()
        with self._lock:
            return (self._recent(f"u:{username.lower()}", now) >= self.per_name
                    or self._recent(f"a:{address}", now) >= self.per_address)

    def failed(self, username: str, address: str) -> None:
        now = time.monotonic()
        with self._lock:
            self._failures[f"u:{username.lower()}"].append(now)
            self._failures[f"a:{address}"].append(now)
