"""Sync against the real central server on 127.0.0.1."""

from __future__ import annotations

import sqlite3
import time
from pathlib import Path

import httpx

from server.db import IDEMPOTENCY_RETENTION
from sync.contract.protocol import API_PREFIX, PushRequest, PushResponse
from sync.inbox import Inbox
from sync.outbox import Outbox
from sync.store import Store, SubmissionDraft
from tests.conftest import STAFF_ENV, CentralServer, shuoshi, sync_worker


def _server_rows(server: CentralServer) -> list[tuple[str, str, str]]:
    with sqlite3.connect(server.db) as db:
        return db.execute("SELECT uuid, ticket, description FROM central_submissions").fetchall()


def test_store_is_wal_with_full_sync(tmp_path: Path) -> None:
    store = Store(tmp_path / "k.db")
    with store.engine.connect() as conn:
        assert conn.exec_driver_sql("PRAGMA journal_mode").scalar() == "wal"
        assert conn.exec_driver_sql("PRAGMA synchronous").scalar() == 2  # FULL
    store.close()


def test_same_submission_pushed_twice_exists_once(
    tmp_path: Path, server: CentralServer, kiosk_key: str
) -> None:
    store = Store(tmp_path / "k.db")
    stored = store.record_submission(SubmissionDraft("环境卫生", "垃圾没有及时清运"), "0042")
    batch = PushRequest(kiosk_code="0042", items=Outbox(store).due(1e12, 10))
    outcomes = []
    with server.signed_client("0042", kiosk_key) as client:
        for _ in range(2):  # as if the first reply were lost and the kiosk sent it again
            reply = client.post(f"{API_PREFIX}/submissions", content=batch.model_dump_json(),
                                headers={"content-type": "application/json"})
            assert reply.status_code == 200, reply.text
            outcomes.append(PushResponse.model_validate_json(reply.content).results[0])
    assert [o.outcome for o in outcomes] == ["accepted", "duplicate"]
    assert outcomes[0].server_id == outcomes[1].server_id
    assert _server_rows(server) == [(stored.uuid, stored.ticket, "垃圾没有及时清运")]

    # The worker's own push after that is a duplicate too, and empties the outbox.
    worker = sync_worker(store, server.url, kiosk_key)
    assert worker.run_once().error == ""
    assert Outbox(store).depth() == 0
    assert len(_server_rows(server)) == 1
    worker.close()
    store.close()


def _push(client: httpx.Client, body: str, key: str) -> httpx.Response:
    reply = client.post(f"{API_PREFIX}/submissions", content=body,
                        headers={"content-type": "application/json", "idempotency-key": key})
    assert reply.status_code == 200, reply.text
    return reply


def test_old_idempotency_replies_are_pruned_and_recent_ones_kept(
    tmp_path: Path, server: CentralServer, kiosk_key: str
) -> None:
    store = Store(tmp_path / "k.db")
    for words in ("旧的一件", "近的一件"):
        store.record_submission(SubmissionDraft("环境卫生", words), "0042")
    items = {item.description: item for item in Outbox(store).due(1e12, 10)}
    bodies = {key: PushRequest(kiosk_code="0042", items=[items[words]]).model_dump_json()
              for key, words in (("k-old", "旧的一件"), ("k-recent", "近的一件"))}
    with server.signed_client("0042", kiosk_key) as client:
        first = {key: _push(client, body, key).content for key, body in bodies.items()}

    # Days pass: one reply is past the retention, the other just within it.
    server.stop()
    day = 86400.0
    ages = {"k-old": IDEMPOTENCY_RETENTION.total_seconds() + day,
            "k-recent": IDEMPOTENCY_RETENTION.total_seconds() - day}
    with sqlite3.connect(server.db) as db:
        for key, age in ages.items():
            db.execute("UPDATE idempotent_replies SET created_at = ? WHERE key = ?",
                       (time.time() - age, key))
    server.start()

    def stored_keys() -> set[str]:
        with sqlite3.connect(server.db) as db:
            return {k for (k,) in db.execute("SELECT key FROM idempotent_replies")}

    assert stored_keys() == {"k-old", "k-recent"}  # pruned by a request, not by the clock
    with server.signed_client("0042", kiosk_key) as client:
        # Within the retention the retry gets the stored reply itself.
        assert _push(client, bodies["k-recent"], "k-recent").content == first["k-recent"]
        assert stored_keys() == {"k-recent"}
        # Past it the submission is still recognised by its UUID and stored once.
        again = PushResponse.model_validate_json(_push(client, bodies["k-old"], "k-old").content)
    before = PushResponse.model_validate_json(first["k-old"]).results[0]
    assert (again.results[0].outcome, again.results[0].server_id) == ("duplicate",
                                                                        before.server_id)
    assert len(_server_rows(server)) == 2
    store.close()


def test_status_set_by_staff_comes_back(
    tmp_path: Path, server: CentralServer, kiosk_key: str
) -> None:
    store = Store(tmp_path / "k.db")
    worker = sync_worker(store, server.url, kiosk_key, batch_size=2)
    tickets = [store.record_submission(SubmissionDraft("噪音扰民", f"第{i}件"), "0042").ticket
               for i in range(5)]
    result = worker.run_once()
    assert (result.pushed, result.waiting, result.error) == (5, 0, "")

    staff = shuoshi("server", "set-status", tickets[3], "议事", "--note", "下周三开协商会",
                    "--url", server.url, env=STAFF_ENV)
    assert staff.returncode == 0, staff.stdout
    assert worker.run_once().pulled == 1
    found = store.find_by_ticket(tickets[3])
    assert found is not None and found.step.label == "议事" and found.step_note == "下周三开协商会"
    assert Inbox(store).cursor() > 0
    assert store.find_by_ticket(tickets[0]).step.label == "说事"  # type: ignore[union-attr]
    worker.close()
    store.close()


def test_server_down_keeps_everything_queued(
    tmp_path: Path, server: CentralServer, kiosk_key: str
) -> None:
    store = Store(tmp_path / "k.db")
    store.record_submission(SubmissionDraft("安全隐患", "小巷没有路灯"), "0042")
    server.stop()
    worker = sync_worker(store, server.url, kiosk_key, timeout=2)
    result = worker.run_once()
    assert result.error == "cannot reach the server"
    assert Outbox(store).depth() == 1
    assert store.get_state("last_error") == "cannot reach the server"
    worker.close()
    store.close()
