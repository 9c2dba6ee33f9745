"""Sync under bad networks and bad servers: nothing crashes, nothing is lost or duplicated."""

from __future__ import annotations

import random
import sqlite3
import time
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import httpx
import pytest

from sync.client import SyncSettings, SyncWorker
from sync.outbox import Outbox
from sync.store import Store, SubmissionDraft
from tests.conftest import CentralServer, drain, shuoshi, sync_worker
from tests.faults import BadServer, FaultProxy, random_faults

FAST_RETRY = {"retry_base_s": 0.001, "retry_cap_s": 0.01}


def _worker(store: Store, url: str, key: str, transport: httpx.BaseTransport | None = None,
            **kw: Any) -> SyncWorker:
    return sync_worker(store, url, key, transport=transport, **{**FAST_RETRY, **kw})


def _new_connection_per_request() -> httpx.HTTPTransport:
    """So that the proxy picks a fault for every request, not once per kept-alive connection."""
    return httpx.HTTPTransport(limits=httpx.Limits(max_keepalive_connections=0))


def _submit(store: Store, n: int) -> list[str]:
    return [store.record_submission(SubmissionDraft("环境卫生", f"第{i}件"), "0042").uuid
            for i in range(n)]


def _central_uuids(server: CentralServer) -> list[str]:
    with sqlite3.connect(server.db) as db:
        return [u for (u,) in db.execute("SELECT uuid FROM central_submissions")]


@pytest.mark.parametrize(
    "bad",
    [
        BadServer(body=b"{not json"),
        BadServer(body=b'{"results": [{"uuid": 5, "outcome": 7}]}'),
        BadServer(body=b"[" + b"0," * 25_000_000 + b"0]"),  # a 50 MB reply
        BadServer(body=b'{"results": []}' * 20, drip_s=0.2),  # a slow drip
        BadServer(status=500, body=b"oops"),
        BadServer(status=404, body=b"<html>not here</html>"),
    ],
    ids=["bad-json", "wrong-types", "50MB", "slow-drip", "500", "404"],
)
def test_malformed_replies_never_crash_nor_lose(tmp_path: Path, kiosk_key_only: str,
                                                bad: BadServer) -> None:
    store = Store(tmp_path / "k.db")
    _submit(store, 3)
    with bad:
        worker = _worker(store, bad.url, kiosk_key_only, timeout=0.5)
        for _ in range(2):
            result = worker.run_once()
            assert result.error and result.waiting == 3
        worker.close()
    assert Outbox(store).depth() == 3
    assert store.get_state("last_error") == result.error
    store.close()


def test_retry_after_is_honoured(tmp_path: Path, kiosk_key_only: str) -> None:
    store = Store(tmp_path / "k.db")
    _submit(store, 1)
    with BadServer(status=429, headers={"retry-after": "120"}) as bad:
        worker = _worker(store, bad.url, kiosk_key_only)
        assert "429" in worker.run_once().error
        worker.run_once()  # not due yet: this round only pulls
        worker.close()
    assert bad.paths.count("POST /api/v1/submissions") == 1
    assert Outbox(store).due(time.time() + 119, 10) == []
    assert len(Outbox(store).due(time.time() + 121, 10)) == 1
    store.close()


def test_poison_item_is_quarantined_and_reported_without_blocking_the_rest(
    tmp_path: Path, server: CentralServer, kiosk_key: str, kiosk_config: Path
) -> None:
    store = Store(tmp_path / "kiosk.db")
    good = _submit(store, 6)
    poison = store.record_submission(SubmissionDraft("其他", "长" * 3000), "0042")  # too long
    good += _submit(store, 3)
    worker = _worker(store, server.url, kiosk_key, batch_size=50)
    result = worker.run_once()
    assert (result.pushed, result.error) == (9, "")
    assert sorted(_central_uuids(server)) == sorted(good)
    assert Outbox(store).quarantined() == [
        (poison.ticket, "cannot be sent: description: String should have at most 2000 characters")]
    with sqlite3.connect(server.db) as db:
        assert db.execute("SELECT ticket FROM quarantine_records").fetchall() == [(poison.ticket,)]
    assert worker.run_once().pushed == 0  # never retried, never in the way
    worker.close()
    store.close()
    status = shuoshi("sync", "status", "--config", str(kiosk_config))
    assert "quarantined:      1" in status.stdout and poison.ticket in status.stdout


def test_items_the_server_refuses_are_found_by_halving_the_batch(
    tmp_path: Path, kiosk_key_only: str
) -> None:
    store = Store(tmp_path / "k.db")
    _submit(store, 5)
    with BadServer(status=422, body=b'{"detail": "no"}') as bad:
        worker = _worker(store, bad.url, kiosk_key_only)
        result = worker.run_once()
        worker.close()
    assert result.quarantined == 5 and Outbox(store).depth() == 5
    # 5 -> 2 + 3 -> 1 + 1 + 1 + 2 -> ... every item alone once: 9 pushes in all.
    assert bad.paths.count("POST /api/v1/submissions") == 9
    store.close()


def test_a_batch_too_large_for_the_server_is_split_not_lost(
    tmp_path: Path, server: CentralServer, kiosk_key: str
) -> None:
    store = Store(tmp_path / "k.db")
    sent = _submit(store, 0) + [
        store.record_submission(SubmissionDraft("环境卫生", f"{i}" + "很" * 1500), "0042").uuid
        for i in range(400)]
    worker = _worker(store, server.url, kiosk_key, batch_size=400, max_batch_bytes=5_000_000)
    result = worker.run_once()
    worker.close()
    assert (result.pushed, result.quarantined, result.error) == (400, 0, "")
    assert sorted(_central_uuids(server)) == sorted(sent)
    store.close()


def test_refused_key_pauses_sending(tmp_path: Path, server: CentralServer, kiosk_key: str) -> None:
    from sync.contract.signing import new_private_key

    store = Store(tmp_path / "k.db")
    _submit(store, 2)
    worker = _worker(store, server.url, new_private_key())
    result = worker.run_once()
    assert "refused this kiosk" in result.error and "401" in result.error
    assert store.get_state("paused")
    assert Outbox(store).depth() == 2 and _central_uuids(server) == []
    worker.close()
    store.close()


def test_no_sending_while_the_clock_is_clearly_wrong(
    tmp_path: Path, server: CentralServer, kiosk_key: str
) -> None:
    store = Store(tmp_path / "k.db")
    _submit(store, 1)
    settings = SyncSettings(server_url=server.url, kiosk_code="0042", signing_key=kiosk_key)
    worker = SyncWorker(store, settings, clock=lambda: datetime(1970, 1, 1, tzinfo=UTC))
    assert "clock is wrong" in worker.run_once().error
    assert _central_uuids(server) == []
    worker.close()
    store.close()


def test_thousands_through_a_faulty_network_arrive_exactly_once(
    tmp_path: Path, server: CentralServer, kiosk_key: str
) -> None:
    store = Store(tmp_path / "k.db")
    sent = _submit(store, 2000)
    rng = random.Random(5)
    with FaultProxy(server.port, random_faults(rng, 0.35)) as proxy:
        worker = _worker(store, proxy.url, kiosk_key, _new_connection_per_request(),
                         batch_size=37, timeout=2)
        drain(worker, rounds=400, pause_s=0.01)
        worker.close()
    assert Outbox(store).depth() == 0
    central = _central_uuids(server)
    assert len(central) == len(set(central)) == 2000
    assert set(central) == set(sent)
    faults = {m: n for m, n in proxy.counts.items() if m != "pass"}
    assert set(faults) == {"drop", "delay", "reset", "swallow", "truncate"}, proxy.counts
    store.close()
