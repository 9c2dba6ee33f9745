"""What each ``shuoshi`` command does. Config is loaded and checked before any data is touched."""

from __future__ import annotations

import argparse
import signal
import threading
from datetime import datetime
from pathlib import Path
from types import FrameType

import httpx

from device.printer import ReceiptLayout
from kiosk.config import AppConfig, load_config
from kiosk.fonts import find_cjk_font
from kiosk.kivy_setup import prepare_kivy, register_font
from kiosk.lookup import StatusLookup
from kiosk.receipt import submission_receipt
from kiosk.wiring import build_intake, build_printer, build_speech
from sync.client import SyncWorker
from sync.protocol import API_PREFIX, STEP_LABELS, Step
from sync.store import Store, StoredSubmission, SubmissionDraft
from sync.ticket import normalize


def dispatch(args: argparse.Namespace) -> int:
    handlers = {
        "kiosk": run_kiosk, "sync": run_sync, "server": run_server, "submit": run_submit,
        "receipt": run_receipt, "speak": run_speak, "doctor": run_doctor, "run": run_all,
    }
    return handlers[args.command](args)


def run_kiosk(args: argparse.Namespace) -> int:
    cfg = load_config(args.config)
    font = find_cjk_font(cfg.screen.font)
    prepare_kivy(cfg.store.path.parent / "kivy", width=cfg.screen.width,
                 height=cfg.screen.height, fullscreen=args.fullscreen or cfg.screen.fullscreen)
    register_font(font)
    store = Store(cfg.store.path)
    speech = build_speech(cfg)
    intake = build_intake(cfg, font, store, speech)

    from kiosk.app import KioskApp, KioskServices
    from kiosk.scripts import lookup_path, resident_path
    from kiosk.walkthrough import Walkthrough

    services = KioskServices(intake=intake, lookup=StatusLookup(store, cfg.sync.server_url),
                             speech=speech, categories=list(cfg.categories),
                             hall_name=cfg.hall.name, hotline=cfg.hall.hotline)
    walk = None
    if args.walkthrough == "resident":
        walk = Walkthrough(resident_path(args.shots, args.category, args.phrase, intake, speech))
    elif args.walkthrough == "lookup":
        walk = Walkthrough(lookup_path(args.shots, normalize(args.ticket), speech))
    KioskApp(services, on_started=walk.start if walk else None).run()
    intake.wait_printed(10.0)
    speech.close()
    store.close()
    return 0


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
    if args.server_command == "set-status":
        return _set_status(args)
    from sync.server import serve

    if args.db.startswith("sqlite:///"):
        Path(args.db.removeprefix("sqlite:///")).parent.mkdir(parents=True, exist_ok=True)
    serve(args.db, args.host, args.port)
    return 0


def _set_status(args: argparse.Namespace) -> int:
    by_label = {label: step for step, label in STEP_LABELS.items()}
    step = by_label.get(args.step) or Step(args.step)
    reply = httpx.post(f"{args.url}{API_PREFIX}/tickets/{normalize(args.ticket)}/status",
                       json={"step": step.value, "note": args.note}, timeout=10)
    if reply.status_code != 200:
        print(f"not changed: the server answered {reply.status_code}: {reply.text}")
        return 1
    print(f"{args.ticket}: now {step.label} ({step.value})")
    return 0


def run_submit(args: argparse.Namespace) -> int:
    cfg = load_config(args.config)
    font = find_cjk_font(cfg.screen.font)
    store = Store(cfg.store.path)
    draft = SubmissionDraft(category=args.category, description=args.description,
                            place=args.place, contact_phone=args.phone, channel=args.channel)
    stored = store.record_submission(draft, cfg.hall.kiosk_code)
    print(f"SUBMITTED {stored.ticket}", flush=True)
    outcome = build_printer(cfg, font).print_receipt(_layout(cfg, stored),
                                                     job_name=f"receipt-{stored.ticket}")
    print(f"receipt: {outcome.detail if not outcome.ok else ', '.join(map(str, outcome.files))}")
    store.close()
    return 0


def run_receipt(args: argparse.Namespace) -> int:
    cfg = load_config(args.config)
    font = find_cjk_font(cfg.screen.font)
    if args.action == "sample":
        from device.printer import encode_escpos, render_png

        sample = StoredSubmission(
            uuid="00000000-0000-4000-8000-000000000000", ticket="0001000015", kiosk_code="0001",
            category="房屋设施与管网", description="下水道堵塞", place="3栋2单元",
            contact_phone="13812341234", created_at=datetime.now().astimezone(),
            step=Step.SAY, step_note="", acknowledged=False)
        data = encode_escpos(_layout(cfg, sample))
        out = args.out or Path("var/receipts/sample.bin")
        out.parent.mkdir(parents=True, exist_ok=True)
        out.write_bytes(data)
        print(f"{out} ({len(data)} bytes)")
        if args.png:
            print(render_png(data, font, args.png))
        return 0
    store = Store(cfg.store.path)
    stored = store.find_by_ticket(normalize(args.ticket))
    if stored is None:
        print(f"no submission with ticket {args.ticket} on this kiosk")
        return 1
    outcome = build_printer(cfg, font).print_receipt(_layout(cfg, stored),
                                                     job_name=f"reprint-{stored.ticket}")
    print(outcome.detail if not outcome.ok else ", ".join(map(str, outcome.files)))
    return 0 if outcome.ok else 1


def run_speak(args: argparse.Namespace) -> int:
    cfg = load_config(args.config)
    speech = build_speech(cfg)
    if args.out:
        speech.backend.synthesize(args.text, args.out)
        print(args.out)
    else:
        speech.say(args.text)
        speech.wait_idle(60)
    speech.close()
    return 0


def run_doctor(args: argparse.Namespace) -> int:
    from kiosk.doctor import report

    return report(load_config(args.config))


def run_all(args: argparse.Namespace) -> int:
    from kiosk.launcher import launch

    load_config(args.config)  # refuse a bad file before anything starts
    return launch(args.config, fullscreen=args.fullscreen)


def _layout(cfg: AppConfig, stored: StoredSubmission) -> ReceiptLayout:
    return submission_receipt(stored, community=cfg.hall.community, hall=cfg.hall.name,
                              hotline=cfg.hall.hotline)
