"""The central server on a real PostgreSQL (tests/postgres.py): its migrations build exactly
its models, and the change feed skips and repeats nothing while many writers append at once."""

from __future__ import annotations

import random
import threading
import time

import pytest
from alembic.autogenerate import compare_metadata
from alembic.runtime.migration import MigrationContext
from sqlalchemy import create_engine, text
from sqlalchemy.orm import Session

from server.database import MIGRATIONS_DIR, open_server_engine
from server.db import ServerBase
from server.feed import append_change
from sync.contract.migrate import head_revision
from sync.contract.protocol import API_PREFIX, ChangePage
from tests.conftest import CentralServer

ON_POSTGRES = pytest.mark.parametrize("server_db", ["postgres"], indirect=True)


def test_migrations_build_exactly_the_models_on_postgres(postgres_url: str) -> None:
    engine = open_server_engine(postgres_url)
    open_server_engine(postgres_url).dispose()  # a second start finds it current
    with engine.connect() as conn:
        diff = compare_metadata(MigrationContext.configure(conn), ServerBase.metadata)
        version = conn.execute(text("SELECT version_num FROM alembic_version")).scalar()
    engine.dispose()
    assert diff == []
    assert version == head_revision(MIGRATIONS_DIR)


@ON_POSTGRES
def test_the_feed_skips_and_repeats_nothing_under_concurrent_writers(
    server: CentralServer,
) -> None:
    key = server.provision("0042")
    engine = create_engine(server.db_url, pool_size=8)
    writers_n, each = 6, 15
    start = threading.Barrier(writers_n)

    def append(name: str, to_me: bool, hold_s: float = 0.0) -> None:
        with Session(engine) as db, db.begin():
            append_change(db, kind="notice", key=name, body="{}",
                          kiosk_code="0042" if to_me else None)
            time.sleep(hold_s)  # keeps the transaction, and the number it took, uncommitted

    def write(n: int) -> None:
        start.wait()
        for i in range(each):
            append(f"{n}-{i}", to_me=bool(i % 2))
            time.sleep(random.uniform(0, 0.02))

    def write_slowly() -> None:
        start.wait()
        for i in range(3):
            append(f"slow-{i}", to_me=False, hold_s=0.4)

    threads = [threading.Thread(target=write, args=(n,)) for n in range(writers_n - 1)]
    threads.append(threading.Thread(target=write_slowly))
    for t in threads:
        t.start()
    seen: list[int] = []
    since = 0
    with server.signed_client("0042", key) as client:
        while True:
            writing = any(t.is_alive() for t in threads)
            reply = client.get(f"{API_PREFIX}/changes", params={"since": since, "limit": 5})
            assert reply.status_code == 200, reply.text
            page = ChangePage.model_validate_json(reply.content)
            assert all(c.seq > since for c in page.changes)
            seen += [c.seq for c in page.changes]
            since = page.cursor
            if not writing and not page.changes:
                break
    for t in threads:
        t.join()
    engine.dispose()
    stored = [seq for (seq,) in server.rows("SELECT seq FROM feed_changes ORDER BY seq")]
    assert len(stored) == (writers_n - 1) * each + 3
    assert seen == stored
