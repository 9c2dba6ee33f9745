"""``shuoshi sync`` and ``shuoshi server``: the sync worker, the central server, staff tools."""

from __future__ import annotations

import argparse
import signal
import threading
from pathlib import Path
from types import FrameType

import httpx

from kiosk.config import load_config
from sync.client import SyncWorker
from sync.protocol import API_PREFIX, STEP_LABELS, Step
from sync.store import Store
from sync.ticket import normalize


def register(sub: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    s = sub.add_parser("sync", help="push queued submissions, pull status")
    s.add_argument("--config", type=Path, help="TOML file layered over the defaults")
    s.add_argument("--once", action="store_true", help="one round, then exit")
    s.set_defaults(handler=run_sync)

    sv = sub.add_parser("server", help="the reference central server")
    sv.add_argument("--db", default="sqlite:///var/server.db")
    sv.add_argument("--host", default="127.0.0.1")
    sv.add_argument("--port", type=int, default=8765)
    sv.set_defaults(handler=run_server)
    sv_sub = sv.add_subparsers(dest="server_command")
    st = sv_sub.add_parser("set-status", help="staff: move a ticket to another step")
    st.add_argument("ticket")
    st.add_argument("step", help="say, sort, deliberate, act, evaluate, follow_up (or 说事…查事)")
    st.add_argument("--note", default="")
    st.add_argument("--url", default="http://127.0.0.1:8765")
    st.set_defaults(handler=run_set_status)


def run_sync(args: argparse.Namespace) -> int:
    cfg = load_config(args.config)
    store = Store(cfg.store.path)
    worker = SyncWorker(store, server_url=cfg.sync.server_url, kiosk_code=cfg.hall.kiosk_code,
                        batch_size=cfg.sync.batch_size, timeout=cfg.sync.timeout_seconds)
    try:
        if args.once:
            result = worker.run_once()
            print(f"pushed {result.pushed}, pulled {result.pulled}, waiting {result.waiting}"
                  + (f"; error: {result.error}" if result.error else ""))
            return 1 if result.error else 0
        stop = threading.Event()

        def _stop(_signum: int, _frame: FrameType | None) -> None:
            stop.set()

        signal.signal(signal.SIGTERM, _stop)
        signal.signal(signal.SIGINT, _stop)
        worker.run_forever(cfg.sync.interval_seconds, stop)
        return 0
    finally:
        worker.close()
        store.close()


def run_server(args: argparse.Namespace) -> int:
    from sync.server import serve

    if args.db.startswith("sqlite:///"):
        Path(args.db.removeprefix("sqlite:///")).parent.mkdir(parents=True, exist_ok=True)
    serve(args.db, args.host, args.port)
    return 0


def run_set_status(args: argparse.Namespace) -> int:
    by_label = {label: step for step, label in STEP_LABELS.items()}
    try:
        step = by_label.get(args.step) or Step(args.step)
    except ValueError:
        print(f"unknown step {args.step!r}; one of: "
              + ", ".join(f"{s.value} ({s.label})" for s in Step))
        return 2
    reply = httpx.post(f"{args.url}{API_PREFIX}/tickets/{normalize(args.ticket)}/status",
                       json={"step": step.value, "note": args.note}, timeout=10)
    if reply.status_code != 200:
        print(f"not changed: the server answered {reply.status_code}: {reply.text}")
        return 1
    print(f"{args.ticket}: now {step.label} ({step.value})")
    return 0
