"""Alembic upgrades at start-up, for the kiosk's store and for the central server alike."""

from __future__ import annotations

import fcntl
from pathlib import Path

from alembic import command
from alembic.config import Config as AlembicConfig
from sqlalchemy import Engine, inspect


def upgrade(engine: Engine, script_location: Path, lock_path: Path,
            adopt: tuple[str, str] | None = None) -> None:
    """Bring the schema to the newest revision; safe when several processes start at once.

    ``adopt`` = (table, revision): a database that has ``table`` but no revision yet was made
    before migrations existed, so it is marked as being at ``revision`` first.
    """
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
