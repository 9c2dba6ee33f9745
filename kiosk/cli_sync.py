"""``shuoshi sync`` and ``shuoshi server``: the sync worker, the central server, staff tools."""

from __future__ import annotations

import argparse
import os
import signal
import sys
import threading
from dataclasses import asdict
from pathlib import Path
from types import FrameType

import httpx

from device.printer import read_report
from kiosk.config import AppConfig, load_config
from kiosk.wiring import state_file
from sync.client import SyncSettings, SyncWorker
from sync.contract.protocol import API_PREFIX, STEP_LABELS, Step
from sync.contract.ticket import normalize
from sync.http import ClientSetupError, ServerLink
from sync.outbox import Outbox
from sync.store import Store

EXIT_CONFIG = 2


def register(sub: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    s = sub.add_parser("sync", help="push queued submissions, pull status (or: sync status)")
    s.add_argument("action", nargs="?", choices=["run", "status"], default="run")
    s.add_argument("--config", type=Path, help="TOML file layered over the defaults")
    s.add_argument("--once", action="store_true", help="one round, then exit")
    s.set_defaults(handler=run_sync)

    sv = sub.add_parser("server", help="the reference central server")
    sv.add_argument("--db", default="sqlite:///var/server.db")
    sv.add_argument("--host", default="127.0.0.1")
    sv.add_argument("--port", type=int, default=8765)
    sv.add_argument("--attachments", type=Path, default=Path("var/attachments"))
    sv.add_argument("--certfile", type=Path, help="serve HTTPS with this certificate (PEM)")
    sv.add_argument("--keyfile", type=Path, help="the certificate's private key (PEM)")
    sv.set_defaults(handler=run_server)
    sv_sub = sv.add_subparsers(dest="server_command")
    st = sv_sub.add_parser("set-status", help="staff: move a ticket to another step")
    st.add_argument("ticket")
    st.add_argument("step", help="say, sort, deliberate, act, evaluate, follow_up (or 说事…查事)")
    st.add_argument("--note", default="")
    st.add_argument("--url", default="http://127.0.0.1:8765")
    st.set_defaults(handler=run_set_status)
    ak = sv_sub.add_parser("add-kiosk", help="provision a kiosk and print its config")
    ak.add_argument("name")
    ak.add_argument("--code", help="4-digit kiosk code; the next free one if not given")
    ak.add_argument("--db", default=argparse.SUPPRESS, help="the server's database URL")
    ak.add_argument("--server-url", default="http://127.0.0.1:8765",
                    help="the URL the kiosk will use to reach this server")
    ak.set_defaults(handler=run_add_kiosk)


def server_link(cfg: AppConfig) -> ServerLink:
    """How this kiosk reaches the central server: for the sync worker and for 查进度 alike."""
    return ServerLink(
        server_url=cfg.sync.server_url, kiosk_code=cfg.hall.kiosk_code,
        signing_key=cfg.sync.signing_key, timeout=cfg.sync.timeout_seconds,
        ca_file=Path(cfg.sync.ca_file) if cfg.sync.ca_file else None,
    )


def sync_settings(cfg: AppConfig) -> SyncSettings:
    return SyncSettings(**asdict(server_link(cfg)), batch_size=cfg.sync.batch_size,
                        max_batch_bytes=cfg.sync.max_batch_bytes)


def run_sync(args: argparse.Namespace) -> int:
    cfg = load_config(args.config)
    if args.action == "status":
        return _print_status(cfg)
    if not cfg.sync.signing_key:
        print("config error: [sync] signing_key is empty; provision this kiosk with "
              "`shuoshi server add-kiosk NAME` on the server and put its lines in the config",
              file=sys.stderr)
        return EXIT_CONFIG
    store = Store(cfg.store.path)
    printer_state_file = state_file(cfg.printer)

    def printer_state() -> str:
        report = read_report(printer_state_file)
        return report.state.value if report else "unknown"

    try:
        worker = SyncWorker(store, sync_settings(cfg), printer_state=printer_state)
    except ClientSetupError as exc:
        store.close()
        print(f"config error: {exc}", file=sys.stderr)
        return EXIT_CONFIG
    try:
        if args.once:
            result = worker.run_once()
            print(f"pushed {result.pushed}, pulled {result.pulled}, waiting {result.waiting}, "
                  f"quarantined {result.quarantined}"
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


def _print_status(cfg: AppConfig) -> int:
    store = Store(cfg.store.path)
    outbox = Outbox(store)
    try:
        quarantined = outbox.quarantined()
        print(f"waiting to send:  {outbox.depth() - len(quarantined)}")
        print(f"oldest waiting:   {outbox.oldest_unsent_seconds() / 60:.0f} minutes")
        print(f"quarantined:      {len(quarantined)}")
        for ticket, reason in quarantined:
            print(f"  {ticket}: {reason}")
        print(f"last success:     {store.get_state('last_success') or 'never'}")
        print(f"last error:       {store.get_state('last_error') or 'none'}")
        paused = store.get_state("paused")
        if paused:
            print(f"sending paused:   {paused}")
    finally:
        store.close()
    return 0


def run_server(args: argparse.Namespace) -> int:
    from sync.server import serve

    if args.db.startswith("sqlite:///"):
        Path(args.db.removeprefix("sqlite:///")).parent.mkdir(parents=True, exist_ok=True)
    serve(args.db, args.host, args.port, staff_token=os.environ.get("SHUOSHI_STAFF_TOKEN"),
          attachments_dir=args.attachments, certfile=args.certfile, keyfile=args.keyfile)
    return 0


def run_add_kiosk(args: argparse.Namespace) -> int:
    from sync.server.provision import ProvisionError, add_kiosk, kiosk_config

    try:
        code, key = add_kiosk(args.db, args.name, args.code)
    except ProvisionError as exc:
        print(f"not provisioned: {exc}", file=sys.stderr)
        return 1
    print(f"# config for kiosk {code} ({args.name}); the server keeps only its public key")
    print(kiosk_config(code, key, args.server_url))
    return 0


def run_set_status(args: argparse.Namespace) -> int:
    by_label = {label: step for step, label in STEP_LABELS.items()}
    try:
        step = by_label.get(args.step) or Step(args.step)
    except ValueError:
        print(f"unknown step {args.step!r}; one of: "
              + ", ".join(f"{s.value} ({s.label})" for s in Step))
        return 2
    token = os.environ.get("SHUOSHI_STAFF_TOKEN")
    headers = {"authorization": f"Bearer {token}"} if token else {}
    reply = httpx.post(f"{args.url}{API_PREFIX}/staff/tickets/{normalize(args.ticket)}/status",
                       json={"step": step.value, "note": args.note}, headers=headers, timeout=10)
    if reply.status_code != 200:
        print(f"not changed: the server answered {reply.status_code}: {reply.text}")
        return 1
    print(f"{args.ticket}: now {step.label} ({step.value})")
    return 0
