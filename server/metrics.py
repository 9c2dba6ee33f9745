"""Prometheus metrics at ``/metrics``: requests by route template and status, latency, requests
shed, requests in flight, and the fleet's state read from the ``kiosks`` table when scraped.

With several workers (``serve(workers=N)``) every process writes its figures to files in
``PROMETHEUS_MULTIPROC_DIR`` (a temporary folder ``serve`` makes) and a scrape, answered by any
one worker, adds them up. Only aggregates are exported: no kiosk codes, tickets or contact data.
"""

from __future__ import annotations

import json
import os
from collections.abc import Iterator
from datetime import datetime, timedelta
from pathlib import Path

from prometheus_client import CollectorRegistry, Counter, Gauge, Histogram, generate_latest
from prometheus_client.core import GaugeMetricFamily, Metric
from prometheus_client.multiprocess import MultiProcessCollector, mark_process_dead
from prometheus_client.registry import Collector
from sqlalchemy import select
from sqlalchemy.orm import Session, sessionmaker

from server.db import Kiosk

CONTENT_TYPE = "text/plain; version=0.0.4; charset=utf-8"
STALE_AFTER = timedelta(minutes=5)
"""A kiosk is stale when its last heartbeat (every 60 s) is older than this or it has none."""
MULTIPROC_ENV = "PROMETHEUS_MULTIPROC_DIR"

_own = CollectorRegistry()
REQUESTS = Counter("shuoshi_http_requests", "HTTP requests answered",
                   ["method", "route", "status"], registry=_own)
LATENCY = Histogram("shuoshi_http_request_duration_seconds",
                    "Time from the request's arrival to its last response byte",
                    ["method", "route", "status"], registry=_own,
                    buckets=(.005, .01, .025, .05, .1, .2, .5, 1.0, 2.5, 5.0, 10.0))
SHED = Counter("shuoshi_http_requests_shed", "Requests answered 503 because the server was busy",
               registry=_own)
IN_FLIGHT = Gauge("shuoshi_http_requests_in_flight", "Requests inside the application now",
                  registry=_own, multiprocess_mode="livesum")


class FleetCollector(Collector):
    """What the kiosks last reported, computed from the database at scrape time."""

    def __init__(self, sessions: sessionmaker[Session]) -> None:
        self.sessions = sessions

    def collect(self) -> Iterator[Metric]:
        with self.sessions() as s:
            rows = s.execute(select(Kiosk.heartbeat_at, Kiosk.heartbeat)
                             .where(Kiosk.revoked_at.is_(None))).all()
        now = datetime.now().astimezone()
        stale, oldest_unsent, queued = 0, 0.0, 0
        for heartbeat_at, heartbeat in rows:
            if heartbeat_at is None or now - _aware(heartbeat_at) > STALE_AFTER:
                stale += 1
            if heartbeat:
                beat = json.loads(heartbeat)
                oldest_unsent = max(oldest_unsent, float(beat.get("oldest_unsent_seconds", 0.0)))
                queued += int(beat.get("queue_depth", 0))
        yield GaugeMetricFamily("shuoshi_kiosks", "Kiosks provisioned and not revoked", len(rows))
        yield GaugeMetricFamily("shuoshi_kiosks_stale",
                                "Kiosks with no heartbeat for over 5 minutes (or none yet)", stale)
        yield GaugeMetricFamily("shuoshi_kiosk_oldest_unsent_seconds",
                                "Age of the oldest submission any kiosk still has to send, "
                                "as of its last heartbeat", oldest_unsent)
        yield GaugeMetricFamily("shuoshi_kiosk_queue_depth",
                                "Submissions waiting on all kiosks, as of their last heartbeats",
                                queued)


def _forget_dead_workers(folder: Path) -> None:
    """A worker uvicorn replaced after it died leaves its in-flight gauge behind; drop it."""
    for gauge in folder.glob("gauge_livesum_*.db"):
        pid = int(gauge.stem.rsplit("_", 1)[1])
        if not Path(f"/proc/{pid}").exists():
            mark_process_dead(pid)  # type: ignore[no-untyped-call]


def _aware(iso: str) -> datetime:
    return datetime.fromisoformat(iso).astimezone()


def exposition(sessions: sessionmaker[Session]) -> bytes:
    """The text a scrape gets: this process's (or every worker's) figures, then the fleet's."""
    if folder := os.environ.get(MULTIPROC_ENV):
        _forget_dead_workers(Path(folder))
        requests = CollectorRegistry()
        MultiProcessCollector(requests)  # type: ignore[no-untyped-call]
    else:
        requests = _own
    fleet = CollectorRegistry()
    fleet.register(FleetCollector(sessions))
    return generate_latest(requests) + generate_latest(fleet)
