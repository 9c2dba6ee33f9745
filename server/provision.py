"""Provisioning: each kiosk gets a code (the first digits of its tickets) and its own key."""

from __future__ import annotations

import re

from sqlalchemy import select
from sqlalchemy.orm import sessionmaker

from server.db import Community, Kiosk, open_server_engine
from server.deps import now_iso
from sync.contract.signing import new_private_key, public_key_of
from sync.contract.ticket import is_valid_kiosk_code

COMMUNITY_CODE = re.compile(r"[A-Za-z0-9_-]{1,20}")


class ProvisionError(ValueError):
    pass


def add_kiosk(db_url: str, name: str, code: str | None = None, *,
              community: str | None = None) -> tuple[str, str]:
    """Register a kiosk; returns (code, private key). The server keeps only the public key."""
    engine = open_server_engine(db_url)
    try:
        with sessionmaker(engine).begin() as s:
            if community is not None and s.get(Community, community) is None:
                raise ProvisionError(f"no community {community!r}; add it with add-community")
            taken = set(s.scalars(select(Kiosk.code)))
            if code is None:
                free = (f"{n:04d}" for n in range(1, 10000) if f"{n:04d}" not in taken)
                code = next(free, None)
                if code is None:
                    raise ProvisionError("all 9,999 kiosk codes are in use")
            elif not is_valid_kiosk_code(code):
                raise ProvisionError(f"kiosk code must be 4 digits, got {code!r}")
            elif code in taken:
                raise ProvisionError(f"kiosk code {code} is already given to another kiosk")
            private = new_private_key()
            s.add(Kiosk(code=code, name=name, public_key=public_key_of(private),
                        created_at=now_iso(), heartbeat=None, heartbeat_at=None,
                        community_code=community))
    finally:
        engine.dispose()
    return code, private


def add_community(db_url: str, code: str, name: str, *, street: str = "") -> None:
    if not COMMUNITY_CODE.fullmatch(code):
        raise ProvisionError(f"community code must be 1-20 letters, digits, - or _, got {code!r}")
    engine = open_server_engine(db_url)
    try:
        with sessionmaker(engine).begin() as s:
            if s.get(Community, code) is not None:
                raise ProvisionError(f"community {code} already exists")
            s.add(Community(code=code, name=name, street=street))
    finally:
        engine.dispose()


def kiosk_config(code: str, private_key: str, server_url: str) -> str:
    """The lines to put in the kiosk's own config file."""
    return (
        f'[hall]\nkiosk_code = "{code}"\n\n'
        f'[sync]\nserver_url = "{server_url}"\nsigning_key = "{private_key}"\n'
    )
