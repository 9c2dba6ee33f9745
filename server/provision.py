"""Provisioning: each kiosk gets a code (the first digits of its tickets) and its own key.

A city's fleet is thousands of kiosks, so many are provisioned at once (``add_kiosks``): one
engine, one transaction, one look at the codes already taken. Either every kiosk of a batch is
registered and has its config file, or none is.
"""

from __future__ import annotations

import os
import re
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

from sqlalchemy import select
from sqlalchemy.orm import Session, sessionmaker

from server.database import open_server_engine
from server.db import Community, Kiosk
from server.deps import now_iso
from sync.contract.signing import new_private_key, public_key_of
from sync.contract.ticket import is_valid_kiosk_code

COMMUNITY_CODE = re.compile(r"[A-Za-z0-9_-]{1,20}")
ALL_CODES = tuple(f"{n:04d}" for n in range(1, 10000))
"""0000 is never given out: a ticket starting 0000 looks like a mistyped number."""
OPEN311_KIOSK_NAME = "Open311 (server)"
"""The name of the server's own pseudo-kiosk whose code numbers Open311 requests; it has no
key (public_key ""), so no request can be signed as it."""


class ProvisionError(ValueError):
    pass


@dataclass(frozen=True)
class KioskOrder:
    """One kiosk to provision: its name, community (or None) and code (None: the next free)."""

    name: str
    community: str | None = None
    code: str | None = None
    where: str = ""
    """Where the order came from (``file:line``), for messages."""
    numbered: bool = False
    """Name the kiosk ``name`` followed by its code."""


@dataclass(frozen=True)
class Provisioned:
    code: str
    name: str
    private_key: str


@contextmanager
def _session(db_url: str) -> Iterator[Session]:
    engine = open_server_engine(db_url)
    try:
        with sessionmaker(engine).begin() as s:
            yield s
    finally:
        engine.dispose()


def add_kiosk(db_url: str, name: str, code: str | None = None, *,
              community: str | None = None) -> tuple[str, str]:
    """Register a kiosk; returns (code, private key). The server keeps only the public key."""
    with _session(db_url) as s:
        one = _register(s, [KioskOrder(name, community, code)])[0]
    return one.code, one.private_key


def add_kiosks(db_url: str, orders: Sequence[KioskOrder], out_dir: Path,
               server_url: str) -> list[Provisioned]:
    """Register every kiosk of ``orders`` and write ``out_dir/kiosk-<code>.toml`` (mode 0600)
    for each, in one transaction: if anything fails, nothing is registered or left behind."""
    out_dir.mkdir(mode=0o700, parents=True, exist_ok=True)
    written: list[Path] = []
    try:
        with _session(db_url) as s:
            done = _register(s, orders)
            for kiosk in done:
                path = config_path(out_dir, kiosk.code)
                write_private(path, kiosk_config(kiosk.code, kiosk.private_key, server_url))
                written.append(path)
    except BaseException:
        for path in written:
            path.unlink(missing_ok=True)
        raise
    return done


def _register(s: Session, orders: Sequence[KioskOrder]) -> list[Provisioned]:
    """Add the kiosks of ``orders`` in session ``s``; raises ProvisionError naming every
    order that cannot be met (nothing is added then)."""
    communities = set(s.scalars(select(Community.code)))
    taken = set(s.scalars(select(Kiosk.code)))
    problems: list[str] = []
    asked: dict[str, str] = {}  # code -> where it was asked for
    for order in orders:
        at = f"{order.where}: " if order.where else ""
        if not order.name.strip():
            problems.append(f"{at}the kiosk needs a name")
        if order.community is not None and order.community not in communities:
            problems.append(f"{at}no community {order.community!r}; add it with add-community")
        if order.code is None:
            continue
        if not is_valid_kiosk_code(order.code) or order.code == "0000":
            problems.append(f"{at}kiosk code must be 4 digits 0001-9999, got {order.code!r}")
        elif order.code in taken:
            problems.append(f"{at}kiosk code {order.code} is already given to another kiosk")
        elif order.code in asked:
            problems.append(f"{at}kiosk code {order.code} is asked for twice "
                            f"(also {asked[order.code] or 'earlier'})")
        else:
            asked[order.code] = order.where
    free = [c for c in ALL_CODES if c not in taken and c not in asked]
    wanted = sum(1 for o in orders if o.code is None)
    if wanted > len(free):
        problems.append(f"the code space is full: {wanted} kiosks need a code but only "
                        f"{len(free)} of the 9,999 kiosk codes are free")
    if problems:
        raise ProvisionError("\n".join(problems))
    next_free = iter(free)
    stamp = now_iso()
    done: list[Provisioned] = []
    for order in orders:
        code = order.code or next(next_free)
        name = f"{order.name.strip()} {code}" if order.numbered else order.name.strip()
        private = new_private_key()
        s.add(Kiosk(code=code, name=name, public_key=public_key_of(private), created_at=stamp,
                    heartbeat=None, heartbeat_at=None, community_code=order.community))
        done.append(Provisioned(code, name, private))
    s.flush()
    return done


def revoke_kiosk(db_url: str, code: str) -> str | None:
    """Withdraw a kiosk's key; returns when it was revoked before, or None if it is now."""
    with _session(db_url) as s:
        kiosk = _kiosk(s, code)
        if kiosk.revoked_at is not None:
            return kiosk.revoked_at
        kiosk.revoked_at = now_iso()
    return None


def rotate_key(db_url: str, code: str, server_url: str, out: Path | None = None) -> str:
    """Give a kiosk a new key pair; returns its new config. The old key is refused from the
    commit on. With ``out`` the config is written there (mode 0600, replacing the file): it is
    written beside ``out`` before the commit and moved into place after, so a failed write
    leaves the old key working."""
    staged = out.with_name(f".{out.name}.new") if out is not None else None
    try:
        with _session(db_url) as s:
            kiosk = _kiosk(s, code)
            if kiosk.revoked_at is not None:
                raise ProvisionError(f"kiosk {code} was revoked at {kiosk.revoked_at}; "
                                     "provision a new kiosk instead")
            private = new_private_key()
            config = kiosk_config(code, private, server_url)
            if staged is not None:
                staged.unlink(missing_ok=True)
                write_private(staged, config)
            kiosk.public_key = public_key_of(private)
            kiosk.key_rotated_at = now_iso()
    except BaseException:
        if staged is not None:
            staged.unlink(missing_ok=True)
        raise
    if staged is not None and out is not None:
        os.replace(staged, out)
    return config


def move_kiosk(db_url: str, code: str, community: str | None) -> None:
    """Put a kiosk in another community (or in none). Its tickets taken so far stay with the
    community recorded when they were received."""
    with _session(db_url) as s:
        kiosk = _kiosk(s, code)
        if community is not None and s.get(Community, community) is None:
            raise ProvisionError(f"no community {community!r}; add it with add-community")
        kiosk.community_code = community


def _kiosk(s: Session, code: str) -> Kiosk:
    kiosk = s.get(Kiosk, code)
    if kiosk is None:
        raise ProvisionError(f"no kiosk with code {code!r} (see the fleet page of the console)")
    if is_open311_kiosk(kiosk):
        raise ProvisionError(f"{code} is the server's own code for Open311 requests; "
                             "it has no key to revoke or rotate")
    return kiosk


def is_open311_kiosk(kiosk: Kiosk) -> bool:
    return kiosk.public_key == "" and kiosk.name == OPEN311_KIOSK_NAME


def add_community(db_url: str, code: str, name: str, *, street: str = "") -> None:
    if not COMMUNITY_CODE.fullmatch(code):
        raise ProvisionError(f"community code must be 1-20 letters, digits, - or _, got {code!r}")
    with _session(db_url) as s:
        if s.get(Community, code) is not None:
            raise ProvisionError(f"community {code} already exists")
        s.add(Community(code=code, name=name, street=street))


def kiosk_config(code: str, private_key: str, server_url: str) -> str:
    """The lines to put in the kiosk's own config file."""
    return (
        f'[hall]\nkiosk_code = "{code}"\n\n'
        f'[sync]\nserver_url = "{server_url}"\nsigning_key = "{private_key}"\n'
    )


def config_path(out_dir: Path, code: str) -> Path:
    return out_dir / f"kiosk-{code}.toml"


def write_private(path: Path, text: str) -> None:
    """Write a file only its owner can read (it holds a signing key); never overwrite one."""
    try:
        fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    except FileExistsError:
        raise ProvisionError(f"{path} exists already; not overwritten") from None
    with os.fdopen(fd, "w", encoding="utf-8") as f:
        f.write(text)
