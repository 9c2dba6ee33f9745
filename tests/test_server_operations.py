"""The central server under operation: several workers, /metrics, the access log, shedding."""

from __future__ import annotations

import re
import sqlite3
import subprocess
import sys
import threading
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from contextlib import contextmanager
from pathlib import Path

import httpx

from server.provision import add_kiosk
from sync.contract.protocol import API_PREFIX, Heartbeat
from sync.contract.signing import KioskSigner
from sync.store import Store, SubmissionDraft
from tests.conftest import REPO, STAFF_ENV, drain, free_port, sync_worker

PHONE = "13912345678"
CONTACT = "李秀英"
ACCESS_LINE = re.compile(r"\[(\d+)\] shuoshi\.access INFO (\S+) (\S+) (\d{3}) ([\d.]+)ms "
                         r"kiosk=(\S+) ip=(\S+)$")


METRICS_TOKEN = "metrics-token-5b2e"


class RunningServer:
    def __init__(self, url: str, db: Path, log: Path, proc: subprocess.Popen[bytes]) -> None:
        self.url, self.db, self.log, self.proc = url, db, log, proc
        self.metrics_headers: dict[str, str] = {}

    def output(self) -> str:
        return self.log.read_text(encoding="utf-8", errors="replace")

    def access_lines(self) -> list[tuple[str, ...]]:
        return [m.groups() for line in self.output().splitlines()
                if (m := ACCESS_LINE.search(line))]

    def metric(self, name: str, **labels: str) -> float:
        """One sample of /metrics (0 when absent), matched on the labels given."""
        reply = httpx.get(f"{self.url}/metrics", headers=self.metrics_headers, timeout=10)
        assert reply.status_code == 200
        text = reply.text
        total = 0.0
        for line in text.splitlines():
            head, _, value = line.rpartition(" ")
            if head.split("{")[0] == name and all(f'{k}="{v}"' in head
                                                  for k, v in labels.items()):
                total += float(value)
        return total

    def signed(self, code: str, key: str) -> httpx.Client:
        return httpx.Client(base_url=self.url, auth=KioskSigner(code, key), timeout=10)


@contextmanager
def running_server(tmp_path: Path, *args: str,
                   env: dict[str, str] | None = None) -> Iterator[RunningServer]:
    db = tmp_path / "server.db"
    log = tmp_path / "server.log"
    port = free_port()
    with log.open("wb") as out:
        proc = subprocess.Popen(
            [sys.executable, "-m", "server", "--port", str(port), "--db", f"sqlite:///{db}",
             "--attachments", str(tmp_path / "attachments"), *args],
            cwd=REPO, env={**STAFF_ENV, **(env or {})}, stdout=out, stderr=subprocess.STDOUT)
    server = RunningServer(f"http://127.0.0.1:{port}", db, log, proc)
    try:
        for _ in range(300):
            try:
                if httpx.get(f"{server.url}/healthz", timeout=1).status_code == 200:
                    break
            except httpx.HTTPError:
                pass
            assert proc.poll() is None, server.output()
            threading.Event().wait(0.1)
        else:
            raise RuntimeError(f"server did not start:\n{server.output()}")
        yield server
    finally:
        proc.terminate()
        proc.wait(15)


def test_two_workers_share_the_requests_and_the_metrics(tmp_path: Path) -> None:
    with running_server(tmp_path, "--workers", "2") as server:
        sent = 0
        with ThreadPoolExecutor(8) as pool:
            for _ in range(10):  # new connections, concurrently, until both workers answered
                codes = list(pool.map(
                    lambda _: httpx.get(f"{server.url}/healthz", timeout=10).status_code,
                    range(40)))
                assert set(codes) == {200}
                sent += len(codes)
                if len({line[0] for line in server.access_lines()}) >= 2:
                    break
        pids = {int(line[0]) for line in server.access_lines() if line[2] == "/healthz"}
        assert len(pids) == 2, pids
        for pid in pids:  # both are workers of the one server process
            assert int(Path(f"/proc/{pid}/stat").read_text().split(") ")[1].split()[1]) == \
                server.proc.pid
        # Whichever worker answers the scrape, it counts every worker's requests.
        assert server.metric("shuoshi_http_requests_total", route="/healthz",
                             status="200") >= sent
    # Migrated once, before the workers started, to the newest revision.
    with sqlite3.connect(server.db) as conn:
        assert len(conn.execute("SELECT version_num FROM alembic_version").fetchall()) == 1


def test_metrics_by_route_and_kiosk_staleness(tmp_path: Path) -> None:
    with running_server(tmp_path, env={"SHUOSHI_METRICS_TOKEN": METRICS_TOKEN}) as server:
        assert httpx.get(f"{server.url}/metrics", timeout=10).status_code == 401
        server.metrics_headers = {"authorization": f"Bearer {METRICS_TOKEN}"}
        _, key = add_kiosk(f"sqlite:///{server.db}", "幸福里大厅", "0042")
        assert server.metric("shuoshi_kiosks") == 1
        assert server.metric("shuoshi_kiosks_stale") == 1  # never heard from yet
        beat = Heartbeat(queue_depth=3, oldest_unsent_seconds=420.0, quarantined=0,
                         printer_state="ok", software_version="test", free_disk_bytes=10**9)
        with server.signed("0042", key) as kiosk:
            assert kiosk.post(f"{API_PREFIX}/heartbeat", content=beat.model_dump_json().encode(),
                              headers={"content-type": "application/json"}).status_code == 200
            for _ in range(3):
                assert kiosk.get(f"{API_PREFIX}/changes", params={"since": 0}).status_code == 200
        assert server.metric("shuoshi_http_requests_total", route=f"{API_PREFIX}/changes",
                             status="200", method="GET") == 3
        assert server.metric("shuoshi_http_requests_total", route=f"{API_PREFIX}/heartbeat",
                             status="200") == 1
        assert server.metric("shuoshi_http_request_duration_seconds_count",
                             route=f"{API_PREFIX}/changes") == 3
        assert server.metric("shuoshi_kiosks_stale") == 0
        assert server.metric("shuoshi_kiosk_queue_depth") == 3
        assert server.metric("shuoshi_kiosk_oldest_unsent_seconds") == 420
        assert server.metric("shuoshi_http_requests_shed_total") == 0


def test_access_log_names_routes_and_kiosks_but_no_personal_data(tmp_path: Path) -> None:
    with running_server(tmp_path) as server:
        _, key = add_kiosk(f"sqlite:///{server.db}", "幸福里大厅", "0042")
        store = Store(tmp_path / "kiosk.db")
        stored = store.record_submission(
            SubmissionDraft("房屋设施与管网", "楼道灯坏了", place="幸福里5栋",
                            contact_name=CONTACT, contact_phone=PHONE), "0042")
        worker = sync_worker(store, server.url, key)
        assert drain(worker, rounds=5, pause_s=0.05).waiting == 0
        worker.close()
        store.close()
        with server.signed("0042", key) as kiosk:
            assert kiosk.get(f"{API_PREFIX}/tickets/{stored.ticket}").status_code == 200
        httpx.get(f"{server.url}/no/such/page?phone={PHONE}", timeout=10)
        scrape = httpx.get(f"{server.url}/metrics", timeout=10).text
        output = server.output()
    lines = server.access_lines()
    assert ("POST", f"{API_PREFIX}/submissions", "200", "0042") in \
        {(m, r, s, k) for _, m, r, s, _, k, _ in lines}
    assert ("GET", f"{API_PREFIX}/tickets/{{ticket}}", "200", "0042") in \
        {(m, r, s, k) for _, m, r, s, _, k, _ in lines}
    assert ("GET", "unmatched", "404", "-") in {(m, r, s, k) for _, m, r, s, _, k, _ in lines}
    assert all(ip == "127.0.0.1" for *_, ip in lines)
    for private in (PHONE, f"*{PHONE[-4:]}", CONTACT, stored.ticket, "since="):
        assert private not in output
        assert private not in scrape


def test_past_saturation_sheds_with_retry_after_then_recovers(tmp_path: Path) -> None:
    with running_server(tmp_path, "--max-concurrency", "1") as server:
        _, key = add_kiosk(f"sqlite:///{server.db}", "幸福里大厅", "0042")
        health: list[int] = []
        stop = threading.Event()

        def watch_health() -> None:
            while not stop.is_set():
                health.append(httpx.get(f"{server.url}/healthz", timeout=10).status_code)

        def kiosk_burst(_: int) -> list[httpx.Response]:
            # No try/except: a timeout or a refused connection fails the test.
            with server.signed("0042", key) as kiosk:
                return [kiosk.get(f"{API_PREFIX}/changes", params={"since": 0})
                        for _ in range(8)]

        watcher = threading.Thread(target=watch_health)
        watcher.start()
        try:
            with ThreadPoolExecutor(32) as pool:
                replies = [r for burst in pool.map(kiosk_burst, range(32)) for r in burst]
        finally:
            stop.set()
            watcher.join()
        shed = [r for r in replies if r.status_code == 503]
        assert {r.status_code for r in replies} == {200, 503}
        assert all(1 <= int(r.headers["retry-after"]) <= 60 for r in shed)
        assert health and set(health) == {200}  # never shed
        assert server.metric("shuoshi_http_requests_shed_total") == len(shed)
        assert server.metric("shuoshi_http_requests_total", route=f"{API_PREFIX}/changes",
                             status="503") == len(shed)
        # The load is gone: the server is itself again.
        with server.signed("0042", key) as kiosk:
            assert [kiosk.get(f"{API_PREFIX}/changes").status_code for _ in range(20)] == \
                [200] * 20
        assert server.metric("shuoshi_http_requests_in_flight") == 0
