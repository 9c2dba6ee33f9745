"""``shuoshi receipt`` and ``shuoshi submit``: receipts and staff-entered submissions."""

from __future__ import annotations

import argparse
from datetime import datetime
from pathlib import Path

from device.printer import ReceiptLayout, encode_escpos, render_png
from kiosk.config import AppConfig, load_config
from kiosk.fonts import find_cjk_font
from kiosk.receipt import submission_receipt
from kiosk.wiring import build_printer
from sync.protocol import Step
from sync.store import Store, StoredSubmission, SubmissionDraft
from sync.ticket import normalize


def register(sub: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    sm = sub.add_parser("submit", help="queue a submission without the screen")
    sm.add_argument("--config", type=Path, help="TOML file layered over the defaults")
    sm.add_argument("--category", required=True)
    sm.add_argument("--description", required=True)
    sm.add_argument("--place", default="")
    sm.add_argument("--phone", default=None)
    sm.add_argument("--channel", default="staff_in_person",
                    choices=["kiosk", "staff_in_person", "staff_phone", "staff_written"])
    sm.set_defaults(handler=run_submit)

    r = sub.add_parser("receipt", help="render or print a receipt")
    r.add_argument("--config", type=Path, help="TOML file layered over the defaults")
    r.add_argument("action", choices=["sample", "print"])
    r.add_argument("ticket", nargs="?", default="")
    r.add_argument("--out", type=Path, help="write the ESC/POS bytes here")
    r.add_argument("--png", type=Path, help="write a preview image here")
    r.set_defaults(handler=run_receipt)


def layout_for(cfg: AppConfig, stored: StoredSubmission) -> ReceiptLayout:
    return submission_receipt(stored, community=cfg.hall.community, hall=cfg.hall.name,
                              hotline=cfg.hall.hotline)


def run_submit(args: argparse.Namespace) -> int:
    cfg = load_config(args.config)
    font = find_cjk_font(cfg.screen.font)
    store = Store(cfg.store.path)
    draft = SubmissionDraft(category=args.category, description=args.description,
                            place=args.place, contact_phone=args.phone, channel=args.channel)
    stored = store.record_submission(draft, cfg.hall.kiosk_code)
    print(f"SUBMITTED {stored.ticket}", flush=True)
    outcome = build_printer(cfg, font).print_receipt(layout_for(cfg, stored),
                                                     job_name=f"receipt-{stored.ticket}")
    print(f"receipt: {', '.join(map(str, outcome.files)) if outcome.ok else outcome.detail}")
    store.close()
    return 0


def run_receipt(args: argparse.Namespace) -> int:
    cfg = load_config(args.config)
    font = find_cjk_font(cfg.screen.font)
    if args.action == "sample":
        sample = StoredSubmission(
            uuid="00000000-0000-4000-8000-000000000000", ticket="0001000015", kiosk_code="0001",
            category="房屋设施与管网", description="下水道堵塞", place="3栋2单元",
            contact_phone="13812341234", masked_phone="138****1234",
            created_at=datetime.now().astimezone(),
            step=Step.SAY, step_note="", acknowledged=False)
        data = encode_escpos(layout_for(cfg, sample))
        out = args.out or Path("var/receipts/sample.bin")
        out.parent.mkdir(parents=True, exist_ok=True)
        out.write_bytes(data)
        print(f"{out} ({len(data)} bytes)")
        if args.png:
            print(render_png(data, font, args.png))
        return 0
    store = Store(cfg.store.path)
    stored = store.find_by_ticket(normalize(args.ticket))
    store.close()
    if stored is None:
        print(f"no submission with ticket {args.ticket} on this kiosk")
        return 1
    outcome = build_printer(cfg, font).print_receipt(layout_for(cfg, stored),
                                                     job_name=f"reprint-{stored.ticket}")
    print(", ".join(map(str, outcome.files)) if outcome.ok else outcome.detail)
    return 0 if outcome.ok else 1
