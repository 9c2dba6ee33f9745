"""Sync benchmark: drain 10,000 queued submissions batched vs one per request, same run;
and the commit latency of 提交 with synchronous=FULL.

Run with ``make bench``; figures go to stdout and docs/PERFORMANCE.md.
"""

from __future__ import annotations

import os
import statistics
import time
import uuid
from datetime import datetime
from pathlib import Path

from sync.client import SyncSettings, SyncWorker
from sync.contract.ticket import make_ticket
from sync.models import OutboxEntry, Submission, TicketCounter
from sync.outbox import Outbox
from sync.store import Store, SubmissionDraft
from tests.conftest import CentralServer

QUEUED = int(os.environ.get("SHUOSHI_BENCH_QUEUED", "10000"))
COMMITS = 500


def _fill(store: Store, code: str, n: int) -> None:
    """Queue n submissions in one transaction (setup, not measured)."""
    stamp = datetime.now().astimezone().isoformat(timespec="seconds")
    with store.session() as s:
        s.add(TicketCounter(kiosk_code=code, last_sequence=n))
        uuids = [str(uuid.uuid4()) for _ in range(n)]
        for seq, sub_uuid in enumerate(uuids, start=1):
            s.add(Submission(uuid=sub_uuid, ticket=make_ticket(code, seq), kiosk_code=code,
                             category="环境卫生", description=f"垃圾没有及时清运，第{seq}次反映",
                             place="3栋2单元", urgent=False, contact_name=None,
                             contact_phone="13800001111", channel="kiosk", created_at=stamp,
                             step="say", step_note="", masked_phone="138****1111"))
        s.flush()
        s.add_all(OutboxEntry(submission_uuid=u) for u in uuids)


def _drain(tmp: Path, batch_size: int) -> float:
    """Seconds to push every queued submission to a fresh local server."""
    server = CentralServer(tmp / f"server-{batch_size}.db")
    server.start()
    key = server.provision("0042")
    store = Store(tmp / f"kiosk-{batch_size}.db")
    _fill(store, "0042", QUEUED)
    worker = SyncWorker(store, SyncSettings(server_url=server.url, kiosk_code="0042",
                                            signing_key=key, batch_size=batch_size,
                                            max_batch_bytes=1_000_000))
    started = time.perf_counter()
    while worker.run_once().waiting:
        pass
    elapsed = time.perf_counter() - started
    assert Outbox(store).depth() == 0
    worker.close()
    store.close()
    server.stop()
    return elapsed


def _commit_latencies(tmp: Path) -> list[float]:
    store = Store(tmp / "commit.db")
    times = []
    for i in range(COMMITS):
        started = time.perf_counter()
        store.record_submission(SubmissionDraft("噪音扰民", f"夜间施工噪音大 {i}"), "0042")
        times.append(time.perf_counter() - started)
    store.close()
    return times


def test_drain_batched_vs_one_by_one(tmp_path: Path) -> None:
    batched = _drain(tmp_path, 200)
    single = _drain(tmp_path, 1)
    latencies = sorted(_commit_latencies(tmp_path))
    p50 = statistics.median(latencies) * 1000
    p99 = latencies[int(len(latencies) * 0.99) - 1] * 1000
    lines = [
        f"queued submissions drained: {QUEUED}",
        f"batched (200 per request): {batched:.2f} s = {QUEUED / batched:,.0f} submissions/s",
        f"one request per item:      {single:.2f} s = {QUEUED / single:,.0f} submissions/s",
        f"batched / one-by-one:      {single / batched:.1f}x",
        f"提交 commit latency (synchronous=FULL, {COMMITS} commits): "
        f"p50 {p50:.2f} ms, p99 {p99:.2f} ms",
    ]
    print("\n" + "\n".join(lines))
    assert batched > 0 and single > 0  # figures, not pass/fail thresholds
