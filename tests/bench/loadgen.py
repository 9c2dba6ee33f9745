"""A fleet of simulated kiosks against a central server, in one asyncio process.

Each kiosk signs every request with its own key (``KioskSigner``, a fresh nonce each time),
polls ``/api/v1/changes`` every 30 s and posts ``/api/v1/heartbeat`` every 60 s, each at a
random phase, on a new connection each time (a real kiosk's keep-alive of 5 s lapses between
polls). Latency is measured from the moment a request was due, so a load generator falling
behind shows up as latency too; its own lag and CPU are reported so it can be ruled out.

``python -m tests.bench.loadgen KIOSKS.json RESULT.json --url U --seconds S [--healthz-rate R]
[--speedup X]``
KIOSKS.json: ``[[code, private_key], ...]``. RESULT.json gets the figures for ``merge``.
"""

from __future__ import annotations

import argparse
import asyncio
import heapq
import json
import random
import resource
import time
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import httpx
import uvloop

from sync.contract.protocol import API_PREFIX, Heartbeat
from sync.contract.signing import KioskSigner

CHANGES_EVERY_S = 30.0
HEARTBEAT_EVERY_S = 60.0
TIMEOUT_S = 10.0
"""A real kiosk's request timeout (sync.http.DEFAULT_TIMEOUT_S)."""


@dataclass
class Outcome:
    latencies_s: list[float] = field(default_factory=list)
    """Of requests answered 200."""
    statuses: dict[str, int] = field(default_factory=dict)
    errors: dict[str, int] = field(default_factory=dict)
    """Timeouts, refused connections and any status other than 200 or 503."""
    retry_after_missing: int = 0
    lag_s: list[float] = field(default_factory=list)
    """How late each request left the generator."""
    offered: int = 0
    cpu_s: float = 0.0
    wall_s: float = 0.0

    def count(self, table: dict[str, int], key: str) -> None:
        table[key] = table.get(key, 0) + 1


@dataclass
class SimulatedKiosk:
    code: str
    signer: KioskSigner
    cursor: int = 0


def _schedule(kiosks: int, seconds: float, healthz_rate: float, speedup: float,
              rng: random.Random) -> list[tuple[float, int, str]]:
    """(due, kiosk index, what) for the whole run, in time order; ``speedup`` > 1 makes every
    kiosk poll that many times as often (to offer more than the fleet's rate)."""
    due: list[tuple[float, int, str]] = []
    for index in range(kiosks):
        for every, what in ((CHANGES_EVERY_S / speedup, "changes"),
                            (HEARTBEAT_EVERY_S / speedup, "heartbeat")):
            at = rng.uniform(0, every)
            while at < seconds:
                due.append((at, index, what))
                at += every
    if healthz_rate > 0:
        at = rng.expovariate(healthz_rate)
        while at < seconds:
            due.append((at, -1, "healthz"))
            at += rng.expovariate(healthz_rate)
    heapq.heapify(due)
    return [heapq.heappop(due) for _ in range(len(due))]


BEAT = Heartbeat(queue_depth=0, oldest_unsent_seconds=0.0, quarantined=0, printer_state="ok",
                 software_version="loadgen", free_disk_bytes=8 * 10**9).model_dump_json().encode()


@dataclass(frozen=True)
class Reply:
    status_code: int
    headers: dict[str, str]
    body: bytes


async def _exchange(host: str, port: int, request: httpx.Request) -> Reply:
    """One HTTP/1.1 exchange on a new connection. httpx builds and the kiosk's signer signs
    the request exactly as on a kiosk; only the sending is done here, because httpx's own
    async stack costs several times the server's CPU per request and would be the bottleneck."""
    reader, writer = await asyncio.open_connection(host, port)
    try:
        head = [f"{request.method} {request.url.raw_path.decode()} HTTP/1.1".encode()]
        head += [name + b": " + value for name, value in request.headers.raw]
        writer.write(b"\r\n".join(head) + b"\r\nconnection: close\r\n\r\n" + request.content)
        status_line, *lines = (await reader.readuntil(b"\r\n\r\n")).decode().split("\r\n")
        headers = {k.strip().lower(): v.strip()
                   for k, _, v in (line.partition(":") for line in lines if line)}
        body = await reader.readexactly(int(headers.get("content-length", "0")))
        return Reply(int(status_line.split()[1]), headers, body)
    finally:
        writer.close()


def _signed(kiosk: SimulatedKiosk, request: httpx.Request, created: float) -> httpx.Request:
    """``request`` signed by the kiosk's own signer, fresh nonce, ``created`` (epoch s)."""
    at = datetime.fromtimestamp(created, UTC)
    kiosk.signer.clock = lambda: at
    next(kiosk.signer.auth_flow(request))
    return request


def _request(url: httpx.URL, kiosk: SimulatedKiosk | None, what: str,
             created: float) -> httpx.Request:
    if what == "healthz":
        return httpx.Request("GET", url.join("/healthz"))
    assert kiosk is not None
    if what == "changes":
        return _signed(kiosk, httpx.Request("GET", url.join(f"{API_PREFIX}/changes"),
                                            params={"since": kiosk.cursor}), created)
    return _signed(kiosk, httpx.Request("POST", url.join(f"{API_PREFIX}/heartbeat"),
                                        content=BEAT,
                                        headers={"content-type": "application/json"}), created)


async def _one(url: httpx.URL, kiosk: SimulatedKiosk | None, what: str, due: float,
               started: float, out: Outcome, ready: tuple[httpx.Request, int] | None,
               wall_start: float) -> None:
    if ready is not None and (kiosk is None or ready[1] == kiosk.cursor):
        request = ready[0]
    else:  # the cursor moved since it was signed ahead: sign it again now
        request = _request(url, kiosk, what, wall_start + due)
    try:
        async with asyncio.timeout(TIMEOUT_S):
            reply = await _exchange(url.host, url.port or 80, request)
    except (OSError, TimeoutError, asyncio.IncompleteReadError) as exc:
        out.count(out.errors, type(exc).__name__)
        return
    out.count(out.statuses, str(reply.status_code))
    if reply.status_code == 200:
        out.latencies_s.append(time.monotonic() - started - due)
        if kiosk is not None and what == "changes":
            kiosk.cursor = int(json.loads(reply.body)["cursor"])
    elif reply.status_code == 503:
        out.retry_after_missing += "retry-after" not in reply.headers
    else:
        out.count(out.errors, f"HTTP {reply.status_code}")


async def run(url: str, fleet: list[tuple[str, str]], seconds: float,
              healthz_rate: float = 0.0, speedup: float = 1.0, seed: int = 1) -> Outcome:
    kiosks = [SimulatedKiosk(code, KioskSigner(code, key)) for code, key in fleet]
    plan = _schedule(len(kiosks), seconds, healthz_rate, speedup, random.Random(seed))
    out = Outcome(offered=len(plan))
    base = httpx.URL(url)
    # Every request is signed before the load starts (its own fresh nonce, ``created`` = the
    # wall-clock time it is due), so the generator's signing does not take CPU from the
    # server while the load runs. Signing costs ~0.5 ms a request, so the start is set far
    # enough ahead for it.
    wall_start = time.time() + 1.0 + len(plan) * 0.0008
    ready = [(_request(base, kiosks[index] if index >= 0 else None, what, wall_start + due),
              kiosks[index].cursor if index >= 0 else 0) for due, index, what in plan]
    await asyncio.sleep(max(0.0, wall_start - time.time()))
    cpu_before = resource.getrusage(resource.RUSAGE_SELF)
    started = time.monotonic() - max(0.0, time.time() - wall_start)
    tasks: set[asyncio.Task[None]] = set()
    for (due, index, what), signed in zip(plan, ready, strict=True):
        delay = started + due - time.monotonic()
        if delay > 0:
            await asyncio.sleep(delay)
        out.lag_s.append(max(0.0, -delay))
        task = asyncio.create_task(
            _one(base, kiosks[index] if index >= 0 else None, what, due, started, out, signed,
                 wall_start))
        tasks.add(task)
        task.add_done_callback(tasks.discard)
    if tasks:
        await asyncio.wait(tasks)
    out.wall_s = time.monotonic() - started
    cpu_after = resource.getrusage(resource.RUSAGE_SELF)
    out.cpu_s = (cpu_after.ru_utime - cpu_before.ru_utime) + (cpu_after.ru_stime
                                                              - cpu_before.ru_stime)
    return out


def merge(parts: list[dict[str, Any]]) -> Outcome:
    total = Outcome()
    for part in parts:
        total.latencies_s += part["latencies_s"]
        total.lag_s += part["lag_s"]
        for table in ("statuses", "errors"):
            for key, n in part[table].items():
                getattr(total, table)[key] = getattr(total, table).get(key, 0) + n
        total.retry_after_missing += part["retry_after_missing"]
        total.offered += part["offered"]
        total.cpu_s += part["cpu_s"]
        total.wall_s = max(total.wall_s, part["wall_s"])
    return total


def main() -> None:
    args = argparse.ArgumentParser()
    args.add_argument("kiosks", type=Path)
    args.add_argument("result", type=Path)
    args.add_argument("--url", required=True)
    args.add_argument("--seconds", type=float, required=True)
    args.add_argument("--healthz-rate", type=float, default=0.0)
    args.add_argument("--speedup", type=float, default=1.0)
    args.add_argument("--seed", type=int, default=1)
    opts = args.parse_args()
    fleet = [(code, key) for code, key in json.loads(opts.kiosks.read_text())]
    outcome = uvloop.run(run(opts.url, fleet, opts.seconds, opts.healthz_rate, opts.speedup,
                             opts.seed))
    opts.result.write_text(json.dumps(outcome.__dict__))


if __name__ == "__main__":
    main()
