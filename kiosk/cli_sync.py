"""``shuoshi sync``: the sync worker and its status; how this kiosk reaches the server."""

from __future__ import annotations

import argparse
import signal
import sys
import threading
from dataclasses import asdict
from pathlib import Path
from types import FrameType

from device.printer import read_report
from kiosk.config import AppConfig, load_config
from kiosk.wiring import state_file
from sync.client import SyncSettings, SyncWorker
from sync.http import ClientSetupError, ServerLink
from sync.store import Store

EXIT_CONFIG = 2


def register(sub: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    s = sub.add_parser("sync", help="push queued submissions, pull status (or: sync status)")
    s.add_argument("action", nargs="?", choices=["run", "status"], default="run")
    s.add_argument("--config", type=Path, help="TOML file layered over the defaults")
    s.add_argument("--once", action="store_true", help="one round, then exit")
    s.set_defaults(handler=run_sync)


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
            print(f"pushed {result.pushed}, ratings sent {result.ratings_sent}, "
                  f"附议 sent {result.supports_sent}, pulled {result.pulled}, "
                  f"waiting {result.waiting}, quarantined {result.quarantined}"
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
    from sync.status import SyncStatus

    store = Store(cfg.store.path)
    try:
        status = SyncStatus.read(store)
    finally:
        store.close()
    print(f"waiting to send:  {status.waiting}")
    print(f"  ratings, 附议:  {status.feedback_waiting}")
    print(f"oldest waiting:   {status.oldest_minutes:.0f} minutes")
    print(f"quarantined:      {status.quarantined_count}")
    for ticket, reason in status.quarantined:
        print(f"  {ticket}: {reason}")
    for kind, ticket, reason in status.held:
        print(f"  {kind} {ticket}: {reason}")
    print(f"last success:     {status.last_success or 'never'}")
    print(f"last error:       {status.last_error or 'none'}")
    if status.paused:
        print(f"sending paused:   {status.paused}")
    return 0

