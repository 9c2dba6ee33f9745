"""The central server's schema comes from its migrations and matches its models."""

from __future__ import annotations

import sqlite3
from pathlib import Path

from alembic import command
from alembic.autogenerate import compare_metadata
from alembic.config import Config as AlembicConfig
from alembic.runtime.migration import MigrationContext
from sqlalchemy import create_engine

from server.database import MIGRATIONS_DIR, open_server_engine
from server.db import ServerBase
from sync.contract.migrate import head_revision


def test_migrations_build_exactly_the_models(tmp_path: Path) -> None:
    engine = open_server_engine(f"sqlite:///{tmp_path / 'server.db'}")
    with engine.connect() as conn:
        diff = compare_metadata(MigrationContext.configure(conn), ServerBase.metadata)
    engine.dispose()
    assert diff == []


def test_a_server_database_from_before_migrations_is_adopted(tmp_path: Path) -> None:
    db = tmp_path / "server.db"
    old = create_engine(f"sqlite:///{db}")
    with old.begin() as conn:
        cfg = AlembicConfig()
        cfg.set_main_option("script_location", str(MIGRATIONS_DIR))
        cfg.attributes["connection"] = conn
        command.upgrade(cfg, "0001")
    old.dispose()
    with sqlite3.connect(db) as conn:  # as create_all left it: the tables, no revision
        conn.execute("DROP TABLE alembic_version")
        conn.execute("INSERT INTO kiosks VALUES ('0001', 'old', 'key', 'then', NULL, NULL)")
    engine = open_server_engine(f"sqlite:///{db}")
    engine.dispose()
    with sqlite3.connect(db) as conn:
        newest = head_revision(MIGRATIONS_DIR)
        assert conn.execute("SELECT version_num FROM alembic_version").fetchone() == (newest,)
        assert conn.execute("SELECT name FROM kiosks").fetchall() == [("old",)]
        assert conn.execute("SELECT 1 FROM sqlite_master WHERE type = 'index' AND name = "
                            "'ix_idempotent_replies_created_at'").fetchone() == (1,)
