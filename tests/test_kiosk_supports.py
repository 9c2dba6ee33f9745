"""附议 at the kiosk: an open public issue of the community comes down the feed, a resident
supports it, gets a 附议回执 of their own, the issue's count of supporters rises on the server
and the resident's phone is gone from the kiosk's files afterwards (the WAL included).

The real server on 127.0.0.1, real SQLite stores, the virtual printer's bytes and PNG.
"""

from __future__ import annotations

import sqlite3
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path

import pytest
import zxingcpp
from PIL import Image

from device.printer import DecodedQR, VirtualPrinter, decode_escpos, decoded_text, render_png
from device.speech import make_speech_service
from kiosk.config import load_config
from kiosk.intake import HallInfo, Intake, SubmissionNotSaved
from kiosk.lookup import LookupOutcome, StatusLookup
from kiosk.receipt_code import ticket_from_scan
from kiosk.session import MESSAGES
from kiosk.wiring import build_glyphs, build_print_worker
from server.provision import add_community, move_kiosk
from sync.contract.migrate import head_revision
from sync.contract.protocol import Change, PublicIssue, Step
from sync.contract.ticket import group, make_ticket
from sync.feedback import FeedbackOutbox
from sync.http import ServerLink
from sync.inbox import Inbox
from sync.store import MIGRATIONS_DIR, Store, SubmissionDraft
from tests.conftest import CentralServer, drain, free_port, kiosk_toml, sync_worker
from tests.test_kiosk_ratings import move

KIOSK_HEAD = head_revision(MIGRATIONS_DIR)

FONT = Path("/usr/share/fonts/truetype/wqy/wqy-microhei.ttc")
pytestmark = pytest.mark.skipif(not FONT.exists(), reason="CJK font not installed")
NAME, PHONE = "王桂兰", "13912345678"
STATUS_URL = "https://shuoshi.example.gov.cn/t/{ticket}"


@dataclass
class Hall:
    """Kiosk 0043 of 幸福里社区, where the issue raised at 0042 is offered for 附议."""

    store: Store
    key: str
    intake: Intake
    folder: Path


@pytest.fixture
def hall(tmp_path: Path, server: CentralServer, kiosk_key: str) -> Iterator[Hall]:
    key = server.provision("0043")
    add_community(server.db_url, "xingfuli", "幸福里社区")
    for code in ("0042", "0043"):
        move_kiosk(server.db_url, code, "xingfuli")
    cfg = load_config(kiosk_toml(tmp_path))
    speech = make_speech_service("silent", voice="cmn", rate=130, volume=1.0,
                                 work_dir=tmp_path / "w", out_dir=tmp_path / "speech")
    worker = build_print_worker(cfg, FONT)
    assert isinstance(worker.printer, VirtualPrinter)
    worker.start()
    store = Store(tmp_path / "kiosk-0043.db")
    intake = Intake(store, worker, speech, HallInfo("幸福里社区", "幸福里社区说事厅",
                                                    "0716-1234567", "0043", STATUS_URL))
    yield Hall(store, key, intake, tmp_path)
    worker.close()
    speech.close()
    store.close()


def raised_at_0042(folder: Path, server: CentralServer, key: str, *, public: bool) -> str:
    store = Store(folder / "kiosk-0042.db")
    draft = SubmissionDraft("环境卫生", "垃圾桶满了没人清运，气味很大", place="幸福里5栋",
                            public=public)
    ticket = store.record_submission(draft, "0042").ticket
    worker = sync_worker(store, server.url, key)
    assert drain(worker, rounds=5, pause_s=0.05).waiting == 0
    worker.close()
    store.close()
    return ticket


def supporters(server: CentralServer, ticket: str) -> int:
    return int(server.rows(f"SELECT count(*) FROM supports WHERE ticket = '{ticket}'")[0][0])


def on_disk(db: Path) -> bytes:
    return b"".join(p.read_bytes() for p in (db, db.with_name(db.name + "-wal")) if p.exists())


def test_a_support_gets_its_receipt_raises_the_count_and_its_phone_is_purged(
    server: CentralServer, kiosk_key: str, hall: Hall
) -> None:
    issue_ticket = raised_at_0042(hall.folder, server, kiosk_key, public=True)
    worker = sync_worker(hall.store, server.url, hall.key, code="0043")
    assert not worker.run_once().error  # the public issue comes down the feed
    [issue] = Inbox(hall.store).public_issues("环境卫生")
    assert (issue.ticket, issue.step, issue.supporters) == (issue_ticket, Step.SAY, 0)
    assert Inbox(hall.store).public_issues("停车出行") == []

    stored = hall.intake.support(issue, NAME, PHONE)
    assert (stored.ticket, stored.masked_phone) == (issue_ticket, "139****5678")
    assert stored.support_ticket.startswith("0043") and stored.support_ticket != issue_ticket
    assert hall.intake.last_announcement[0] == MESSAGES["supported"] == "附议成功。您的回执号码是："
    assert hall.intake.wait_printed(10)

    data = (hall.folder / "receipts" / f"receipt-{stored.support_ticket}.bin").read_bytes()
    text = decoded_text(data)
    for expected in ("附议回执", group(stored.support_ticket), group(issue_ticket), "环境卫生",
                     "垃圾桶满了", "139****5678", "0716-1234567", "【说事】"):
        assert expected in text, expected
    assert PHONE not in text and NAME not in text and len(data) <= 1500
    url = STATUS_URL.replace("{ticket}", stored.support_ticket)
    assert [i.data for i in decode_escpos(data) if isinstance(i, DecodedQR)] == [url]
    profile = hall.intake.printer.printer.profile
    png = render_png(data, build_glyphs(FONT), hall.folder / "support.png", profile.paper_dots)
    with Image.open(png) as paper:
        [code] = [c.text for c in zxingcpp.read_barcodes(paper)]
    assert ticket_from_scan(code) == stored.support_ticket  # the kiosk's scanner reads it

    assert PHONE.encode() in on_disk(hall.store.path)  # until the server has it
    result = worker.run_once()
    worker.close()
    assert not result.error and result.supports_sent == 1 and result.waiting == 0
    assert supporters(server, issue_ticket) == 1
    assert PHONE.encode() not in on_disk(hall.store.path)
    assert NAME.encode() not in on_disk(hall.store.path)
    with sqlite3.connect(hall.store.path) as conn:
        assert conn.execute("SELECT contact_name, contact_phone, masked_phone FROM supports"
                            ).fetchall() == [(None, None, "139****5678")]

    # The receipt's number tells the story of the issue supported, with its count.
    lookup = StatusLookup(hall.store, ServerLink(server.url, "0043", hall.key, timeout=5))
    asked = lookup.look_up(stored.support_ticket)
    lookup.close()
    assert asked.outcome is LookupOutcome.FOUND and asked.view is not None
    assert (asked.via_support, asked.view.ticket, asked.view.supporters) == (
        stored.support_ticket, issue_ticket, 1)
    # Offline, it is told as the receipt showed it; never "not found".
    closed = ServerLink(f"http://127.0.0.1:{free_port()}", "0043", hall.key, timeout=1)
    offline = StatusLookup(hall.store, closed).look_up(stored.support_ticket)
    assert offline.outcome is LookupOutcome.FOUND and offline.view is not None
    assert (offline.via_support, offline.view.ticket, offline.view.category) == (
        stored.support_ticket, issue_ticket, "环境卫生")
    # At 评事 the issue is no longer offered for 附议.
    move(server, issue_ticket, Step.EVALUATE)
    worker = sync_worker(hall.store, server.url, hall.key, code="0043")
    assert not worker.run_once().error
    worker.close()
    assert Inbox(hall.store).public_issues("环境卫生") == []


def test_a_support_not_saved_stores_nothing_and_a_refused_one_is_quarantined(
    server: CentralServer, kiosk_key: str, hall: Hall
) -> None:
    private = raised_at_0042(hall.folder, server, kiosk_key, public=False)
    issue = PublicIssue(ticket=private, category="环境卫生", description="垃圾桶满了",
                        step=Step.SAY, created_at=datetime(2026, 3, 1, 8).astimezone())
    with pytest.raises(SubmissionNotSaved) as bad_phone:
        hall.intake.support(issue, None, "1391234")
    assert bad_phone.value.message == MESSAGES["not_saved_phone"]
    assert FeedbackOutbox(hall.store).depth() == 0
    # A private issue takes no support: the server refuses it, staff see it, it is not retried.
    refused = hall.intake.support(issue, None, None)
    assert refused.support_ticket == make_ticket("0043", 1)  # nothing was numbered before
    worker = sync_worker(hall.store, server.url, hall.key, code="0043")
    first = worker.run_once()
    second = worker.run_once()
    worker.close()
    assert (first.quarantined, first.supports_sent, second.quarantined) == (1, 0, 0)
    [(kind, ticket, reason)] = FeedbackOutbox(hall.store).quarantined()
    assert (kind, ticket) == ("附议", private) and reason.startswith("refused by the server: 409")
    assert supporters(server, private) == 0


def test_a_store_of_the_previous_schema_upgrades(tmp_path: Path) -> None:
    from alembic import command
    from alembic.config import Config

    from sync.store import MIGRATIONS_DIR, open_engine

    db = tmp_path / "kiosk.db"
    engine = open_engine(db)
    cfg = Config()
    cfg.set_main_option("script_location", str(MIGRATIONS_DIR))
    with engine.begin() as conn:
        cfg.attributes["connection"] = conn
        command.upgrade(cfg, "0003")
    engine.dispose()
    with sqlite3.connect(db) as conn:  # what the last release stored
        conn.execute(
            "INSERT INTO submissions (uuid, ticket, kiosk_code, category, description, place,"
            " urgent, channel, public, created_at, step, step_note, masked_phone) VALUES"
            " ('u1', :t, '0043', '环境卫生', '垃圾没人收', '', 0, 'kiosk', 1,"
            " '2026-03-01T08:00:00+08:00', 'act', '已派人', '匿名')", {"t": make_ticket("0043", 1)})
        conn.execute("INSERT INTO ticket_counter VALUES ('0043', 1)")
    store = Store(db)
    with sqlite3.connect(db) as conn:
        assert conn.execute("SELECT version_num FROM alembic_version").fetchone() == (KIOSK_HEAD,)
        assert conn.execute("SELECT story FROM submissions").fetchall() == [(None,)]
        assert conn.execute("PRAGMA integrity_check").fetchone() == ("ok",)
    old = store.find_by_ticket(make_ticket("0043", 1))
    assert old is not None and old.story is None and old.step is Step.ACT
    issue = PublicIssue(ticket=old.ticket, category="环境卫生", description="垃圾没人收",
                        step=Step.ACT, created_at=old.created_at)
    assert store.record_support(issue, "0043").support_ticket == make_ticket("0043", 2)
    uuid, held = store.record_rating(old.ticket, "satisfied", [], "kiosk")
    assert uuid and held is False
    assert FeedbackOutbox(store).depth() == 2
    store.close()


def test_the_inbox_keeps_the_story_and_offers_only_open_issues_newest_first(
    tmp_path: Path,
) -> None:
    store = Store(tmp_path / "kiosk.db")
    inbox = Inbox(store)
    assert inbox.last_pulled_at() is None
    mine = store.record_submission(SubmissionDraft("环境卫生", "垃圾没人收"), "0043")

    def issue(n: int, category: str, step: str, day: int) -> Change:
        ticket = make_ticket("0042", n)
        return Change(seq=n, kind="public_issue", key=ticket, body={
            "ticket": ticket, "category": category, "description": f"第{n}件", "step": step,
            "supporters": n, "created_at": f"2026-03-{day:02d}T08:00:00+08:00"})

    status = Change(seq=10, kind="status", key=mine.ticket, body={
        "seq": 10, "ticket": mine.ticket, "uuid": mine.uuid, "step": "deliberate",
        "note": "周五议事会讨论", "changed_at": "2026-03-04T09:00:00+08:00",
        "description": "垃圾没人收", "affair_class": "minor", "supporters": 2,
        "steps": [{"step": "say", "at": "2026-03-01T08:00:00+08:00"},
                  {"step": "deliberate", "at": "2026-03-04T09:00:00+08:00"}]})
    unreadable = Change(seq=7, kind="public_issue", key="x", body={"ticket": "x"})
    changes = [issue(1, "环境卫生", "say", 1), issue(2, "环境卫生", "act", 3),
               issue(3, "环境卫生", "evaluate", 4), issue(4, "停车出行", "say", 5),
               issue(5, "环境卫生", "sort", 2), unreadable, status]
    assert inbox.apply(changes, cursor=10) == len(changes)
    assert [i.ticket for i in inbox.public_issues("环境卫生")] == [
        make_ticket("0042", n) for n in (2, 5, 1)]
    inbox.apply([Change(seq=11, kind="public_issue", key=make_ticket("0042", 2), body={},
                        deleted=True)], cursor=11)
    assert [i.ticket for i in inbox.public_issues("环境卫生")] == [
        make_ticket("0042", n) for n in (5, 1)]

    closed = ServerLink(f"http://127.0.0.1:{free_port()}", "0043", "", timeout=1)
    told = StatusLookup(store, closed).look_up(mine.ticket)
    assert told.outcome is LookupOutcome.FOUND and told.view is not None
    assert (told.view.step, told.view.note, told.view.affair_class, told.view.supporters) == (
        Step.DELIBERATE, "周五议事会讨论", "minor", 2)
    assert [s.step for s in told.view.steps] == [Step.SAY, Step.DELIBERATE]

    store.set_state(last_success="2026-03-04T09:30:00+08:00")
    assert inbox.last_pulled_at() == datetime.fromisoformat("2026-03-04T09:30:00+08:00")
    store.close()
