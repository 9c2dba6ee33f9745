"""API keys of Open311 clients: handed out once, kept only as a SHA-256 hash."""

from __future__ import annotations

import hashlib
import secrets

from sqlalchemy import select
from sqlalchemy.orm import Session, sessionmaker

from server.database import open_server_engine
from server.db import ApiKey
from server.deps import now_iso


class ApiKeyError(ValueError):
    pass


def digest(key: str) -> str:
    return hashlib.sha256(key.encode()).hexdigest()


def add_api_key(db_url: str, name: str) -> str:
    """A new key for client ``name``; refused while the name has a key in use, so that
    revoke-api-key NAME withdraws exactly what was handed out under that name."""
    if not name.strip():
        raise ApiKeyError("the key needs a name (who it is for)")
    key = secrets.token_urlsafe(32)
    engine = open_server_engine(db_url)
    try:
        with sessionmaker(engine).begin() as s:
            if _active(s, name):
                raise ApiKeyError(f"{name!r} has a key in use; revoke-api-key {name} first")
            s.add(ApiKey(key_sha256=digest(key), name=name, created_at=now_iso()))
    finally:
        engine.dispose()
    return key


def revoke_api_key(db_url: str, name: str) -> int:
    """Withdraw every key in use of client ``name``; returns how many."""
    engine = open_server_engine(db_url)
    try:
        with sessionmaker(engine).begin() as s:
            keys = _active(s, name)
            if not keys:
                raise ApiKeyError(f"no Open311 key in use named {name!r}")
            stamp = now_iso()
            for key in keys:
                key.revoked_at = stamp
    finally:
        engine.dispose()
    return len(keys)


def _active(s: Session, name: str) -> list[ApiKey]:
    return list(s.scalars(select(ApiKey).where(ApiKey.name == name, ApiKey.revoked_at.is_(None))))


def client_of(s: Session, key: str) -> str | None:
    """The name of the client holding ``key``, or None for an unknown or revoked key."""
    if not key:
        return None
    row = s.get(ApiKey, digest(key))
    return row.name if row is not None and row.revoked_at is None else None
