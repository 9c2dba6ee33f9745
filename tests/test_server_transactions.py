"""The central server's transactions: a batch pushed twice at once is stored once, reads never
wait for a writer, every handler ends its own transaction, the feed reaches the right kiosks.

Real server subprocess, real HTTP with signed kiosk requests; SQLite and PostgreSQL.
"""

from __future__ import annotations

import json
import sqlite3
import threading
import time
import tomllib
import uuid
from datetime import datetime
from pathlib import Path

import httpx
import pytest
from sqlalchemy import NullPool, create_engine
from sqlalchemy.orm import Session

from server import deps
from server.app import create_app
from server.auth import KEY_CACHE_S
from server.feed import append_change
from server.provision import add_community, add_kiosk, revoke_kiosk, rotate_key
from sync.contract.protocol import API_PREFIX, ChangePage, PushRequest, PushResponse, SubmissionIn
from sync.contract.ticket import make_ticket
from tests.conftest import ON_BOTH_DATABASES, CentralServer

VOICE = "ab" * 32


def _batch(code: str, count: int) -> PushRequest:
    items = [SubmissionIn(uuid=uuid.uuid4(), ticket=make_ticket(code, n), kiosk_code=code,
                          category="物业服务", description=f"电梯故障 {n}",
                          created_at=datetime.now().astimezone(),
                          voice_sha256=VOICE if n == 1 else None)
             for n in range(1, count + 1)]
    return PushRequest(kiosk_code=code, items=items)


def _push(client: httpx.Client, body: str, key: str | None) -> httpx.Response:
    headers = {"content-type": "application/json"}
    if key:
        headers["idempotency-key"] = key
    return client.post(f"{API_PREFIX}/submissions", content=body, headers=headers)


def _in_community(server: CentralServer, code: str, community: str) -> str:
    add_community(server.db_url, community, "幸福里社区")
    return add_kiosk(server.db_url, f"test kiosk {code}", code, community=community)[1]


@ON_BOTH_DATABASES
def test_the_same_batch_pushed_at_once_is_stored_once(server: CentralServer) -> None:
    key = _in_community(server, "0042", "xingfuli")
    batch = _batch("0042", 3)
    body = batch.model_dump_json()
    keys = ["retry-of-one"] * 4 + [f"key-{n}" for n in range(4)]
    replies: list[httpx.Response] = []
    start = threading.Barrier(len(keys))

    def send(idempotency_key: str) -> None:
        with server.signed_client("0042", key) as client:
            start.wait()
            replies.append(_push(client, body, idempotency_key))

    senders = [threading.Thread(target=send, args=(k,)) for k in keys]
    for s in senders:
        s.start()
    for s in senders:
        s.join()

    assert [r.status_code for r in replies] == [200] * len(keys), [r.text for r in replies]
    answers = [PushResponse.model_validate_json(r.content) for r in replies]
    stored = dict(server.rows("SELECT uuid, id FROM central_submissions"))
    assert set(stored) == {str(i.uuid) for i in batch.items}
    for answer in answers:
        assert [(r.uuid, r.outcome in ("accepted", "duplicate"), r.server_id)
                for r in answer.results] == [(i.uuid, True, stored[str(i.uuid)])
                                             for i in batch.items]
    # Each submission was accepted by exactly one of the transactions that stored a reply.
    replayed = {r.content for r in replies if r.request.headers["idempotency-key"]
                == "retry-of-one"}
    assert len(replayed) == 1
    distinct = [PushResponse.model_validate_json(c) for c in replayed] + [
        a for a, r in zip(answers, replies, strict=True)
        if r.request.headers["idempotency-key"] != "retry-of-one"]
    accepted = [r.uuid for a in distinct for r in a.results if r.outcome == "accepted"]
    assert sorted(accepted) == sorted(i.uuid for i in batch.items)
    assert len(server.rows("SELECT key FROM idempotent_replies")) == 5
    kept = server.rows("SELECT ticket, community_code, voice_sha256 FROM central_submissions "
                       "ORDER BY ticket")
    assert kept == [(make_ticket("0042", 1), "xingfuli", VOICE),
                    (make_ticket("0042", 2), "xingfuli", None),
                    (make_ticket("0042", 3), "xingfuli", None)]


@ON_BOTH_DATABASES
def test_changes_reach_the_kiosk_they_are_for(server: CentralServer) -> None:
    key = _in_community(server, "0042", "xingfuli")
    add_community(server.db_url, "anle", "安乐社区")
    engine = create_engine(server.db_url, poolclass=NullPool)
    addressed = {"mine": {"kiosk_code": "0042"}, "another kiosk's": {"kiosk_code": "0099"},
                 "everyone's": {}, "my community's": {"community_code": "xingfuli"},
                 "another community's": {"community_code": "anle"}}
    with Session(engine) as db, db.begin():
        for name, to in addressed.items():
            append_change(db, kind="notice", key=name, body=json.dumps({"title": name}), **to)
    engine.dispose()
    with server.signed_client("0042", key) as client:
        page = ChangePage.model_validate_json(client.get(f"{API_PREFIX}/changes").content)
    assert [c.key for c in page.changes] == ["mine", "everyone's", "my community's"]


@pytest.mark.parametrize("server_db", ["sqlite"], indirect=True)
def test_reads_answer_while_a_writer_holds_the_lock(server: CentralServer) -> None:
    key = server.provision("0042")
    batch = _batch("0042", 1)
    with server.signed_client("0042", key) as client:
        assert _push(client, batch.model_dump_json(), None).status_code == 200
        writer = sqlite3.connect(server.db, isolation_level=None)
        writer.execute("BEGIN IMMEDIATE")
        writer.execute("INSERT INTO feed_changes (kind, key, body, deleted) "
                       "VALUES ('notice', 'uncommitted', '{}', 0)")
        try:
            changes = client.get(f"{API_PREFIX}/changes")
            ticket = client.get(f"{API_PREFIX}/tickets/{batch.items[0].ticket}")
            voice = client.get(f"{API_PREFIX}/attachments/{VOICE}")
            # The writer still holds the lock: nobody else could have written meanwhile.
            with pytest.raises(sqlite3.OperationalError, match="locked"):
                sqlite3.connect(server.db, timeout=0).execute("BEGIN IMMEDIATE")
        finally:
            writer.rollback()
            writer.close()
    assert changes.status_code == 200 and ChangePage.model_validate_json(
        changes.content).changes == []
    assert ticket.status_code == 200 and ticket.json()["step"] == "say"
    assert voice.status_code == 404


def test_every_handler_taking_a_session_ends_its_own_transaction(tmp_path: Path) -> None:
    app = create_app(f"sqlite:///{tmp_path / 'server.db'}", attachments_dir=tmp_path / "a")
    taking = [route for route in deps._api_routes(app.routes)
              if any(d.call in deps._PROVIDERS for d in route.dependant.dependencies)]
    app.state.database.dispose()
    assert len(taking) > 5  # the staff API, ratings, Open311, the console
    assert [r.path for r in taking if not getattr(r.endpoint, "ends_its_transactions", False)
            ] == []


def test_a_rotated_key_works_at_once_and_a_revoked_kiosk_is_refused_soon(
    server: CentralServer,
) -> None:
    old = server.provision("0042")
    with server.signed_client("0042", old) as client:
        assert client.get(f"{API_PREFIX}/changes").status_code == 200  # the key is remembered
    config = tomllib.loads(rotate_key(server.db_url, "0042", server.url))
    new = config["sync"]["signing_key"]
    with server.signed_client("0042", new) as client:
        assert client.get(f"{API_PREFIX}/changes").status_code == 200
        revoke_kiosk(server.db_url, "0042")
        time.sleep(KEY_CACHE_S)  # the longest a server process keeps using a key it read
        refused = client.get(f"{API_PREFIX}/changes")
    assert refused.status_code == 401
