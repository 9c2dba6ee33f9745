"""``shuoshi receipt`` and ``shuoshi submit``: receipts and staff-entered submissions."""

from __future__ import annotations

import argparse
import json
import time
from collections.abc import Callable
from datetime import date, datetime
from pathlib import Path

from pydantic import ValidationError
from sqlalchemy import select
from sqlalchemy.orm import Session

from device.printer import (
    PrinterState,
    PrintJob,
    PrintWorker,
    ReceiptLayout,
    encode_receipt,
    get_profile,
    layout_to_dict,
    load_profiles,
    render_png,
)
from kiosk.config import AppConfig, load_config
from kiosk.fonts import find_cjk_font
from kiosk.receipt import (
    BookEntry,
    printer_test_page,
    queue_slip,
    record_book,
    submission_receipt,
)
from kiosk.wiring import build_glyphs, build_print_worker, hall_info
from sync.contract.protocol import Step
from sync.contract.ticket import group, is_valid_ticket, normalize
from sync.models import Submission
from sync.store import PrintRequest, Store, StoredSubmission, SubmissionDraft, as_wire

SAMPLE_KINDS = ("receipt", "reprint", "queue", "book", "test")


def register(sub: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    sm = sub.add_parser("submit", help="queue a submission without the screen")
    sm.add_argument("--config", type=Path, help="TOML file layered over the defaults")
    sm.add_argument("--category", required=True)
    sm.add_argument("--description", required=True)
    sm.add_argument("--place", default="")
    sm.add_argument("--phone", default=None)
    sm.add_argument("--name", default=None, help="the resident's name, for 回访 only")
    sm.add_argument("--public", action="store_true",
                    help="the resident agrees neighbours may see it (公开)")
    sm.add_argument("--channel", default="staff_in_person",
                    choices=["kiosk", "staff_in_person", "staff_phone", "staff_written"])
    sm.add_argument("--by", default=None, metavar="STAFF",
                    help="the staff member entering it for the resident (代录)")
    sm.set_defaults(handler=run_submit)

    r = sub.add_parser("receipt", help="render or print a receipt")
    r.add_argument("--config", type=Path, help="TOML file layered over the defaults")
    r.add_argument("action", choices=["sample", "print", "book"],
                   help="sample: bytes + preview of a sample; print TICKET; book: 记录簿")
    r.add_argument("ticket", nargs="?", default="")
    r.add_argument("--reprint", action="store_true", help="mark it 补打 with the time")
    r.add_argument("--profile", choices=list(load_profiles()),
                   help="printer profile for the sample (default: the configured one)")
    r.add_argument("--kind", choices=SAMPLE_KINDS, default="receipt",
                   help="which sample to render")
    r.add_argument("--date", type=date.fromisoformat, help="day of the record book (today)")
    r.add_argument("--out", type=Path, help="write the ESC/POS bytes here")
    r.add_argument("--png", type=Path, help="write a preview image here")
    r.set_defaults(handler=run_receipt)


def sample_submission(now: datetime) -> StoredSubmission:
    return StoredSubmission(
        uuid="00000000-0000-4000-8000-000000000000", ticket="0001000015", kiosk_code="0001",
        category="房屋设施与管网", description="下水道堵塞，污水漫到楼道口，晚上气味很大，"
        "老人小孩进出不方便，希望尽快疏通。", place="3栋2单元", contact_phone="13812341234",
        masked_phone="138****1234", created_at=now, step=Step.SAY, step_note="",
        acknowledged=False)


def sample_layout(cfg: AppConfig, kind: str, profile_name: str) -> ReceiptLayout:
    now = datetime.now().astimezone()
    profile = get_profile(profile_name)
    hall = hall_info(cfg).text
    if kind in ("receipt", "reprint"):
        return submission_receipt(sample_submission(now), hall, columns=profile.columns,
                                  reprinted_at=now if kind == "reprint" else None)
    if kind == "queue":
        return queue_slip(12, hall, waiting=3, now=now, columns=profile.columns)
    if kind == "book":
        entries = [BookEntry("0001000015", now, "房屋设施与管网", Step.SAY),
                   BookEntry("0001000023", now, "停车出行", Step.SORT)]
        return record_book(entries, hall, day=now.date(), printed_at=now,
                           columns=profile.columns)
    return printer_test_page(profile, now=now, device=cfg.printer.kind)


PRINT_WAIT_SECONDS = 10.0  # the kiosk may be printing: wait for the printer this long


def print_now(worker: PrintWorker, job: PrintJob | tuple[str, str]) -> int:
    """Send the queue now from this process, once it has the printer; say plainly where
    the job (a PrintJob, or the id and name of one committed in the store) ended up."""
    job_id, name = (job.job_id, job.name) if not isinstance(job, tuple) else job
    worker.drain(wait=PRINT_WAIT_SECONDS)
    if job_id in worker.spool.job_ids("done"):
        print(f"printed {name}")
        return 0
    outcome = worker.last_outcome
    detail = outcome.detail if outcome else "not sent"
    if job_id in worker.spool.job_ids("held"):
        print(f"{name} may be half printed ({detail}); check the paper and reprint")
        return 1
    state = outcome.state if outcome else PrinterState.UNKNOWN
    print(f"{name} is queued: {state.label} ({detail}); the kiosk prints it when the "
          "printer is back")
    return 1


def receipt_job(cfg: AppConfig, columns: int) -> tuple[list[str], Callable[
        [StoredSubmission], PrintRequest]]:
    """Makes the receipt's print job inside the submission's transaction; the list gets
    its job id."""
    made: list[str] = []

    def make(stored: StoredSubmission) -> PrintRequest:
        layout = submission_receipt(stored, hall_info(cfg).text, columns=columns)
        name = f"receipt-{stored.ticket}"
        made.append(f"{time.time_ns():020d}-{name}")
        return PrintRequest(made[-1], name, stored.ticket,
                            json.dumps(layout_to_dict(layout), ensure_ascii=False))

    return made, make


def run_submit(args: argparse.Namespace) -> int:
    cfg = load_config(args.config)
    font = find_cjk_font(cfg.screen.font)
    draft = SubmissionDraft(category=args.category, description=args.description,
                            place=args.place, contact_name=args.name, contact_phone=args.phone,
                            channel=args.channel, entered_by=args.by, public=args.public)
    try:  # the same check as 提交 on the screen: nothing the server would refuse is stored
        as_wire(draft, cfg.hall.kiosk_code)
    except ValidationError as exc:
        problem = exc.errors()[0]
        print(f"not stored: {'.'.join(str(p) for p in problem['loc'])}: {problem['msg']}")
        return 2
    store = Store(cfg.store.path)
    try:
        worker = build_print_worker(cfg, font, feed=lambda: store.relay_prints(worker.spool))
        made, receipt = receipt_job(cfg, worker.printer.profile.columns)
        stored = store.record_submission(draft, cfg.hall.kiosk_code, receipt=receipt)
        print(f"SUBMITTED {stored.ticket}", flush=True)
        print_now(worker, (made[-1], f"receipt-{stored.ticket}"))
    finally:
        store.close()
    return 0


def _book_entries(store: Store, day: date) -> list[BookEntry]:
    with Session(store.engine) as session:
        rows = session.scalars(select(Submission)
                               .where(Submission.created_at.startswith(day.isoformat()))
                               .order_by(Submission.ticket)).all()
        return [BookEntry(row.ticket, datetime.fromisoformat(row.created_at), row.category,
                          Step(row.step)) for row in rows]


def run_receipt(args: argparse.Namespace) -> int:
    cfg = load_config(args.config)
    font = find_cjk_font(cfg.screen.font)
    if args.action == "sample":
        profile = get_profile(args.profile or cfg.printer.profile)
        glyphs = build_glyphs(font)
        data = encode_receipt(sample_layout(cfg, args.kind, profile.name), profile, glyphs)
        out = args.out or Path("var/receipts/sample.bin")
        out.parent.mkdir(parents=True, exist_ok=True)
        out.write_bytes(data)
        print(f"{out} ({len(data)} bytes, profile {profile.name})")
        if args.png:
            print(render_png(data, glyphs, args.png, profile.paper_dots))
        return 0
    store = Store(cfg.store.path)
    worker = build_print_worker(cfg, font, feed=lambda: store.relay_prints(worker.spool))
    hall = hall_info(cfg).text
    columns = worker.printer.profile.columns
    try:
        if args.action == "book":
            day = args.date or date.today()
            now = datetime.now().astimezone()
            layout = record_book(_book_entries(store, day), hall, day=day, printed_at=now,
                                 columns=columns)
            return print_now(worker, worker.submit(f"book-{day:%Y%m%d}", layout))
        ticket = normalize(args.ticket)
        if not is_valid_ticket(ticket):
            print(f"not a ticket number: {args.ticket!r} (10 digits with a valid check digit)")
            return 2
        stored = store.find_by_ticket(ticket)
        if stored is None:
            print(f"no submission with ticket {group(ticket)} on this kiosk")
            return 1
        when = datetime.now().astimezone() if args.reprint else None
        layout = submission_receipt(stored, hall, columns=columns, reprinted_at=when)
        name = f"{'reprint' if args.reprint else 'receipt'}-{ticket}"
        if args.reprint:  # it replaces the receipt not yet printed
            store.drop_prints(ticket)
            worker.spool.replace_pending(ticket)
        job = worker.submit(name, layout, label=ticket)
        if args.reprint:
            worker.spool.resolve_held(ticket)
        return print_now(worker, job)
    finally:
        store.close()
