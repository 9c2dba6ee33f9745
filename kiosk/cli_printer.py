"""``shuoshi printer status|test``: what the printer says, and a test page."""

from __future__ import annotations

import argparse
import json
from datetime import datetime
from pathlib import Path

from device.printer import DeviceBusy, PrinterState, Spool, encode_receipt, read_report
from kiosk.config import load_config
from kiosk.fonts import find_cjk_font
from kiosk.receipt import printer_test_page
from kiosk.wiring import build_glyphs, build_printer, printer_lock, spool_dir, state_file
from sync.contract.ticket import group

STATUS_WAIT_SECONDS = 3.0  # a job printing now is not interrupted: its state is the kiosk's
TEST_WAIT_SECONDS = 30.0


def register(sub: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    p = sub.add_parser("printer", help="printer status, queue and test page")
    p.add_argument("--config", type=Path, help="TOML file layered over the defaults")
    p.add_argument("action", choices=["status", "test"],
                   help="status: ask the printer now, show the queue and held jobs; "
                        "test: print a test page")
    p.add_argument("--json", action="store_true", help="status as JSON")
    p.set_defaults(handler=run_printer)


def run_printer(args: argparse.Namespace) -> int:
    cfg = load_config(args.config)
    glyphs = build_glyphs(find_cjk_font(cfg.screen.font))
    printer = build_printer(cfg, glyphs)
    where = f"{cfg.printer.kind} {cfg.printer.device}".strip()
    lock = printer_lock(printer, cfg.printer)
    if args.action == "test":
        page = printer_test_page(printer.profile, now=datetime.now().astimezone(), device=where)
        try:
            with lock.held(wait=TEST_WAIT_SECONDS, what="shuoshi printer test"):
                outcome = printer.send(encode_receipt(page, printer.profile, glyphs), "test-page")
        except DeviceBusy as busy:
            print(f"printer busy ({busy.owner}); try again when it is done")
            return 1
        print(outcome.detail)
        return 0 if outcome.ok else 1
    busy_with = ""
    try:  # never a status request in the middle of someone else's job
        with lock.held(wait=STATUS_WAIT_SECONDS, what="shuoshi printer status"):
            state = printer.status()
    except DeviceBusy as busy:
        busy_with = busy.owner
        last_known = read_report(state_file(cfg.printer))
        state = last_known.state if last_known is not None else PrinterState.UNKNOWN
    spool = Spool(spool_dir(cfg.printer))
    held = spool.held()
    last = read_report(state_file(cfg.printer))
    counts = {**spool.counts(), "committed": _committed(cfg.store.path)}
    if args.json:
        print(json.dumps({
            "state": state.value, "label": state.label, "printer": where, "busy": busy_with,
            "profile": printer.profile.name, **counts,
            "held_jobs": [{"job": job.name, "ticket": job.label, "note": job.note}
                          for job in held],
            "last_report": json.loads(last.to_json()) if last else None,
        }, ensure_ascii=False))
        return 0 if state.can_print else 1
    if busy_with:
        print(f"printer {where} is printing ({busy_with}); not asked now, last known: "
              f"{state.value} ({state.label})")
    else:
        print(f"printer {where} ({printer.profile.name}): {state.value} ({state.label})")
    print(f"queue: {counts['committed']} committed, not yet queued (the kiosk queues them), "
          f"{counts['pending']} waiting, {counts['printing']} printing, "
          f"{counts['held']} held for a staff reprint")
    for job in held:
        ticket = group(job.label) if job.label else job.name
        print(f"  held {ticket}: {job.note}  ->  shuoshi receipt print {job.label} --reprint")
    if last is not None:
        when = datetime.fromtimestamp(last.updated_at).astimezone()
        print(f"kiosk's last report ({when:%Y-%m-%d %H:%M:%S}): {last.state.value} {last.detail}")
    return 0 if state.can_print else 1


def _committed(db: Path) -> int:
    """Receipts committed in the store's print outbox and not yet in the spool."""
    from sync.store import Store

    if not db.exists():
        return 0
    store = Store(db)
    try:
        return store.prints_waiting()
    finally:
        store.close()
