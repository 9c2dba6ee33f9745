"""Personal data is never logged, never printed in full, and is gone from the kiosk's files
once the server has it, while the kiosk runs (the WAL included)."""

from __future__ import annotations

import logging
import sqlite3
from pathlib import Path

import pytest

from device.printer import VirtualPrinter, decoded_text
from device.speech import make_speech_service
from kiosk.config import load_config
from kiosk.intake import Intake
from kiosk.wiring import build_print_worker, hall_info
from sync.client import SyncSettings, SyncWorker
from sync.contract.logs import QUIET_LOGGERS
from sync.outbox import CHECKPOINT_DUE
from sync.store import Store, SubmissionDraft
from tests.conftest import CentralServer, kiosk_toml, shuoshi, sync_worker

NAME, PHONE = "张秀英", "13987654321"
SECRETS = (NAME.encode(), PHONE.encode())
FONT = Path("/usr/share/fonts/truetype/wqy/wqy-microhei.ttc")


def _draft() -> SubmissionDraft:
    return SubmissionDraft("养老助残", "老人需要上门照看", contact_name=NAME, contact_phone=PHONE)


def _on_disk(db: Path) -> dict[str, bytes]:
    """The store's files as they are now, read while the store is open."""
    return {p.name: p.read_bytes() for p in (db, db.with_name(db.name + "-wal")) if p.exists()}


def _holding(files: dict[str, bytes]) -> list[str]:
    return [name for name, data in files.items() if any(s in data for s in SECRETS)]


def test_no_personal_data_in_logs_and_purged_after_ack(
    tmp_path: Path, server: CentralServer, kiosk_key: str, kiosk_config: Path,
    caplog: pytest.LogCaptureFixture,
) -> None:
    caplog.set_level(logging.DEBUG)
    for name in QUIET_LOGGERS:  # quietened by a command run in this process before: heard here
        caplog.set_level(logging.DEBUG, logger=name)
    db = tmp_path / "kiosk.db"
    ui = Store(db)  # as in production: the UI process takes it down ...
    ticket = ui.record_submission(_draft(), "0042").ticket
    store = Store(db)  # ... and the sync worker, another connection, sends it
    assert _holding(_on_disk(db)) == ["kiosk.db-wal"]  # the test can see it there
    server.stop()  # first a failing round: errors are logged ...
    worker = SyncWorker(store, SyncSettings(server_url=server.url, kiosk_code="0042",
                                            signing_key=kiosk_key, retry_cap_s=0.01))
    assert worker.run_once().error
    server.start()  # ... then a good one
    assert worker.run_once().pushed == 1
    seen = ui.find_by_ticket(ticket)  # the UI's connection sees the purge, and stays open
    assert seen is not None and seen.acknowledged and seen.contact_phone is None
    # Both processes still have the store open: neither file may hold the name or phone.
    files = _on_disk(db)
    assert _holding(files) == []
    assert b"139****4321" in b"".join(files.values())  # the masked phone stays, in plain bytes
    worker.close()
    store.close()
    ui.close()
    cli = shuoshi("sync", "--once", "--config", str(kiosk_config))
    status = shuoshi("sync", "status", "--config", str(kiosk_config))

    logged = "\n".join(r.getMessage() for r in caplog.records) + cli.stdout + cli.stderr
    logged += status.stdout + status.stderr
    assert caplog.records  # something was logged, and none of it is personal
    for secret in (NAME, PHONE, PHONE[-8:]):
        assert secret not in logged
    with sqlite3.connect(db) as conn:
        dump = "\n".join(conn.iterdump())
    assert NAME not in dump and PHONE not in dump and "139****4321" in dump
    with sqlite3.connect(server.db) as conn:  # the centre keeps it for the call back
        assert conn.execute("SELECT contact_phone FROM central_submissions").fetchone() == (PHONE,)


def test_a_reader_holding_the_wal_delays_the_purge_to_the_next_round(
    tmp_path: Path, server: CentralServer, kiosk_key: str
) -> None:
    db = tmp_path / "kiosk.db"
    store = Store(db, busy_timeout_ms=100)
    store.record_submission(_draft(), "0042")
    reader = sqlite3.connect(db, isolation_level=None)  # the UI in the middle of a read
    reader.execute("BEGIN")
    assert reader.execute("SELECT count(*) FROM submissions").fetchone() == (1,)
    worker = sync_worker(store, server.url, kiosk_key)
    assert worker.run_once().pushed == 1
    assert _holding(_on_disk(db)) == ["kiosk.db-wal"]  # the checkpoint could not finish ...
    assert store.get_state(CHECKPOINT_DUE)  # ... and is remembered
    reader.execute("COMMIT")

    assert worker.run_once().pushed == 0  # the next round finishes the purge
    assert _holding(_on_disk(db)) == []
    assert store.get_state(CHECKPOINT_DUE) == ""
    reader.close()
    worker.close()
    store.close()


@pytest.mark.skipif(not FONT.exists(), reason="CJK font not installed")
def test_the_receipt_shows_the_phone_masked_and_never_the_name(tmp_path: Path) -> None:
    cfg = load_config(kiosk_toml(tmp_path))
    speech = make_speech_service("silent", voice="cmn", rate=130, volume=1.0,
                                 work_dir=tmp_path / "w", out_dir=tmp_path / "speech")
    worker = build_print_worker(cfg, FONT)
    assert isinstance(worker.printer, VirtualPrinter)
    worker.start()
    store = Store(tmp_path / "kiosk.db")
    try:
        intake = Intake(store, worker, speech, hall_info(cfg))
        stored = intake.submit(_draft())
        assert intake.wait_printed(10)
    finally:
        worker.close()
        speech.close()
        store.close()
    data = (tmp_path / "receipts" / f"receipt-{stored.ticket}.bin").read_bytes()
    text = decoded_text(data)
    assert "139****4321" in text and "老人需要上门照看" in text
    assert PHONE not in text and NAME not in text
    for raw in (PHONE.encode(), NAME.encode("gb18030"), NAME.encode()):
        assert raw not in data
