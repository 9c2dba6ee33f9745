"""One submission model from the kiosk's 提交 to the server's row: the draft is checked
against the wire model before anything is stored, the fields are copied by name in one
place, and a store that cannot take the submission tells the resident instead of crashing."""

from __future__ import annotations

import sqlite3
from collections.abc import Iterator
from dataclasses import dataclass, fields
from pathlib import Path
from typing import Any

import pytest
from pydantic import ValidationError
from sqlalchemy import event

from device.printer import PrintWorker
from device.speech import SpeechService, make_speech_service
from kiosk.config import load_config
from kiosk.intake import Intake, SubmissionNotSaved
from kiosk.session import MESSAGES
from kiosk.wiring import build_print_worker, hall_info
from server.db import CentralSubmission
from sync.contract.protocol import (
    SubmissionIn,
    entered_fields,
    is_valid_phone,
    submission_fields,
)
from sync.contract.ticket import make_ticket
from sync.files import sha256_of, write_durably
from sync.models import Submission
from sync.store import Store, SubmissionDraft, as_wire
from tests.conftest import CentralServer, drain, kiosk_toml, sync_worker

FONT = Path("/usr/share/fonts/truetype/wqy/wqy-microhei.ttc")
GOOD = SubmissionDraft("环境卫生", "楼道里堆满了杂物", place="3栋2单元",
                       contact_name="王大妈", contact_phone="13912345678", public=True)


@dataclass
class Kiosk:
    db: Path
    store: Store
    intake: Intake
    receipts: Path

    def rows(self) -> dict[str, int]:
        """How many rows 提交 writes to: none of them may change when it fails."""
        with sqlite3.connect(self.db) as conn:
            return {t: conn.execute(f"SELECT count(*) FROM {t}").fetchone()[0]
                    for t in ("submissions", "outbox", "ticket_counter")}


def _printer_and_speech(tmp_path: Path) -> tuple[PrintWorker, SpeechService, Any]:
    cfg = load_config(kiosk_toml(tmp_path))
    speech = make_speech_service("silent", voice="cmn", rate=130, volume=1.0,
                                 work_dir=tmp_path / "w", out_dir=tmp_path / "speech")
    return build_print_worker(cfg, FONT), speech, cfg


@pytest.fixture
def kiosk(tmp_path: Path) -> Iterator[Kiosk]:
    if not FONT.exists():
        pytest.skip("CJK font not installed")
    worker, speech, cfg = _printer_and_speech(tmp_path)
    worker.start()
    # A short busy timeout through the store's own parameter, so "locked" comes quickly.
    store = Store(tmp_path / "kiosk.db", busy_timeout_ms=200)
    yield Kiosk(tmp_path / "kiosk.db", store, Intake(store, worker, speech, hall_info(cfg)),
                tmp_path / "receipts")
    worker.close()
    speech.close()
    store.close()


def _refused(kiosk: Kiosk, draft: SubmissionDraft) -> SubmissionNotSaved:
    before = kiosk.rows()
    with pytest.raises(SubmissionNotSaved) as caught:
        kiosk.intake.submit(draft)
    assert kiosk.rows() == before  # nothing stored, not even a ticket number used
    assert not kiosk.receipts.exists() or not any(kiosk.receipts.iterdir())
    assert caught.value.__cause__ is None  # the database's error text (with the phone) is dropped
    for secret in (draft.contact_phone, draft.contact_name):
        assert not secret or secret not in f"{caught.value} {caught.value.message}"
    return caught.value


def test_the_wire_fields_are_the_draft_the_store_and_the_server_row() -> None:
    draft_fields = {f.name for f in fields(SubmissionDraft)}
    assert entered_fields() <= draft_fields
    assert draft_fields - entered_fields() == {"voice_path"}  # stays on the kiosk
    assert submission_fields() <= set(Submission.__table__.columns.keys())
    assert submission_fields() <= set(CentralSubmission.__table__.columns.keys())
    assert "public" in entered_fields() and not SubmissionDraft("其他", "x").public


@pytest.mark.parametrize("phone", ["13912345678", "19912345678", "01087654321",
                                   "057187654321", "87654321", "8765432"])
def test_phones_the_wire_accepts(phone: str) -> None:
    assert is_valid_phone(phone)
    assert as_wire(SubmissionDraft("其他", "x", contact_phone=phone), "0042").contact_phone == phone


@pytest.mark.parametrize("phone", ["1391234567", "139123456789", "12912345678", "139-1234-5678",
                                   "138 1234 5678", "0108765", "1234567", "0571876543210",
                                   "+8613912345678", "", "１３９１２３４５６７８"])
def test_phones_the_wire_refuses(phone: str) -> None:
    assert not is_valid_phone(phone)
    with pytest.raises(ValidationError, match="contact_phone"):
        SubmissionIn(uuid="00000000-0000-0000-0000-000000000000",  # type: ignore[arg-type]
                     ticket=make_ticket("0042", 1), kiosk_code="0042", category="其他",
                     description="x", contact_phone=phone, created_at="2026-01-01T08:00:00+08:00")


@pytest.mark.parametrize(("change", "message"), [
    ({"contact_phone": "1391234567"}, "not_saved_phone"),
    ({"contact_phone": "12345"}, "not_saved_phone"),
    ({"description": "很" * 2001}, "not_saved_too_long"),
    ({"place": "楼" * 201}, "not_saved_too_long"),
    ({"contact_name": "名" * 51}, "not_saved_too_long"),
    ({"category": ""}, "not_saved_invalid"),
    ({"channel": "fax"}, "not_saved_invalid"),
])
def test_a_draft_the_server_would_refuse_is_not_stored(
    kiosk: Kiosk, change: dict[str, Any], message: str
) -> None:
    draft = SubmissionDraft(**{**GOOD.entered(), **change})
    assert _refused(kiosk, draft).message == MESSAGES[message]
    stored = kiosk.intake.submit(GOOD)  # the store is fine: a good draft goes through
    assert stored.ticket == make_ticket("0042", 1) and stored.public


def test_a_full_disk_at_submit_keeps_the_draft_and_stores_nothing(kiosk: Kiosk) -> None:
    # SQLite's own limit on the file's pages: the statement fails with the real SQLITE_FULL
    # ("database or disk is full") that a full disk gives, in record_submission's transaction.
    with sqlite3.connect(kiosk.db) as conn:
        pages = conn.execute("PRAGMA page_count").fetchone()[0]

    def full(dbapi_connection: Any, _record: Any) -> None:
        dbapi_connection.execute(f"PRAGMA max_page_count={pages}")

    event.listen(kiosk.store.engine, "connect", full)
    kiosk.store.engine.dispose()  # connections from now on have the limit
    long = SubmissionDraft(**{**GOOD.entered(), "description": "电动车在楼道里充电" * 200})
    assert _refused(kiosk, long).message == MESSAGES["not_saved_full"]
    assert _refused(kiosk, long).message == MESSAGES["not_saved_full"]  # and again, no crash

    event.remove(kiosk.store.engine, "connect", full)
    kiosk.store.engine.dispose()  # room again: the same draft, kept by the screen, goes in
    stored = kiosk.intake.submit(long)
    assert stored.ticket == make_ticket("0042", 1)
    assert stored.description == long.description and stored.masked_phone == "139****5678"


def test_a_store_locked_past_its_timeout_keeps_the_draft_and_stores_nothing(
    kiosk: Kiosk
) -> None:
    other = sqlite3.connect(kiosk.db, isolation_level=None)  # another process's long write
    other.execute("BEGIN IMMEDIATE")
    try:
        assert _refused(kiosk, GOOD).message == MESSAGES["not_saved_busy"]
    finally:
        other.execute("ROLLBACK")
        other.close()
    assert kiosk.intake.submit(GOOD).ticket == make_ticket("0042", 1)


def test_every_field_reaches_the_server_as_entered(
    tmp_path: Path, server: CentralServer, kiosk_key: str
) -> None:
    store = Store(tmp_path / "kiosk.db")
    voice = write_durably(tmp_path / "voice", "note.wav", b"RIFF\x24\x00\x00\x00WAVEfmt " * 64)
    draft = SubmissionDraft("邻里纠纷", "楼上漏水到我家", place="幸福里7栋3单元", urgent=True,
                            contact_name="李大爷", contact_phone="057187654321",
                            channel="staff_phone", public=True, voice_path=voice,
                            voice_sha256=sha256_of(voice))
    as_wire(draft, "0042")  # what Intake checks first
    stored = store.record_submission(draft, "0042")  # the voice referenced in the same commit
    with sqlite3.connect(tmp_path / "kiosk.db") as conn:
        assert conn.execute("SELECT voice_path, voice_sha256, public FROM submissions").fetchone(
        ) == (str(voice), draft.voice_sha256, 1)
    worker = sync_worker(store, server.url, kiosk_key)
    assert drain(worker, rounds=5, pause_s=0.05).waiting == 0
    worker.close()
    store.close()
    assert not voice.exists()  # the server has it: gone from the kiosk

    columns = sorted(entered_fields())
    row = server.rows(f"SELECT {', '.join(columns)}, uuid, ticket, kiosk_code "
                      f"FROM central_submissions")[0]
    got = dict(zip([*columns, "uuid", "ticket", "kiosk_code"], row, strict=True))
    assert got == {**{c: getattr(draft, c) for c in columns}, "uuid": stored.uuid,
                   "ticket": stored.ticket, "kiosk_code": "0042"}
