"""Alembic upgrades at start-up, for the kiosk's store and for the central server alike."""

from __future__ import annotations

import fcntl
import re
from pathlib import Path

from sqlalchemy import Engine, inspect, text
from sqlalchemy.exc import DBAPIError

_REVISION = re.compile(r'^(down_revision|revision)\s*=\s*["\']?([\w-]+|None)', re.MULTILINE)


def head_revision(script_location: Path) -> str | None:
    """The newest revision in ``script_location``/versions: the one no other revises. Read
    from the files, so a store already at head opens without loading Alembic."""
    revisions: set[str] = set()
    revised: set[str | None] = set()
    for script in (script_location / "versions").glob("*.py"):
        source = script.read_text(encoding="utf-8")
        found = {m[1]: m[2] for m in _REVISION.finditer(source)}
        if "revision" in found:
            revisions.add(found["revision"])
            revised.add(found.get("down_revision"))
    heads = revisions - revised
    return heads.pop() if len(heads) == 1 else None


def _current_revision(engine: Engine) -> str | None:
    try:
        with engine.connect() as conn:
            value = conn.execute(text("SELECT version_num FROM alembic_version")).scalar()
    except DBAPIError:
        return None  # no table yet: a new database
    return None if value is None else str(value)


def is_current(engine: Engine, script_location: Path) -> bool:
    """Whether the database already has the newest revision in ``script_location``."""
    head = head_revision(script_location)
    return head is not None and _current_revision(engine) == head


def upgrade(engine: Engine, script_location: Path, lock_path: Path,
            adopt: tuple[str, str] | None = None) -> None:
    """Bring the schema to the newest revision; safe when several processes start at once.

    ``adopt`` = (table, revision): a database that has ``table`` but no revision yet was made
    before migrations existed, so it is marked as being at ``revision`` first.
    """
    if is_current(engine, script_location):
        return
    from alembic import command
    from alembic.config import Config as AlembicConfig

    lock_path.parent.mkdir(parents=True, exist_ok=True)
    with lock_path.open("w") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)
        cfg = AlembicConfig()
        cfg.set_main_option("script_location", str(script_location))
        with engine.begin() as conn:
            cfg.attributes["connection"] = conn
            tables = set(inspect(conn).get_table_names())
            if adopt and adopt[0] in tables and "alembic_version" not in tables:
                command.stamp(cfg, adopt[1])
            command.upgrade(cfg, "head")
