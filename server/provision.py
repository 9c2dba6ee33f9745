"""Provisioning: each kiosk gets a code (the first digits of its tickets) and its own key."""

from __future__ import annotations

from sqlalchemy import select
from sqlalchemy.orm import sessionmaker

from server.db import Kiosk, open_server_engine
from server.deps import now_iso
from sync.contract.signing import new_private_key, public_key_of
from sync.contract.ticket import is_valid_kiosk_code


class ProvisionError(ValueError):
    pass


def add_kiosk(db_url: str, name: str, code: str | None = None) -> tuple[str, str]:
    """Register a kiosk; returns (code, private key). The server keeps only the public key."""
    engine = open_server_engine(db_url)
    try:
        with sessionmaker(engine).begin() as s:
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
                        created_at=now_iso(), heartbeat=None, heartbeat_at=None))
    finally:
        engine.dispose()
    return code, private


def kiosk_config(code: str, private_key: str, server_url: str) -> str:
    """The lines to put in the kiosk's own config file."""
    return (
        f'[hall]\nkiosk_code = "{code}"\n\n'
        f'[sync]\nserver_url = "{server_url}"\nsigning_key = "{private_key}"\n'
    )
