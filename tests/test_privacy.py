"""Personal data is never logged, and is gone from the kiosk once the server has it."""

from __future__ import annotations

import logging
import sqlite3
from pathlib import Path

import pytest

from sync.client import SyncSettings, SyncWorker
from sync.store import Store, SubmissionDraft
from tests.conftest import CentralServer, shuoshi

NAME, PHONE = "张秀英", "13987654321"


def test_no_personal_data_in_logs_and_purged_after_ack(
    tmp_path: Path, server: CentralServer, kiosk_key: str, kiosk_config: Path,
    caplog: pytest.LogCaptureFixture,
) -> None:
    caplog.set_level(logging.DEBUG)
    store = Store(tmp_path / "kiosk.db")
    store.record_submission(SubmissionDraft("养老助残", "老人需要上门照看", contact_name=NAME,
                                            contact_phone=PHONE), "0042")
    server.stop()  # first a failing round: errors are logged ...
    worker = SyncWorker(store, SyncSettings(server_url=server.url, kiosk_code="0042",
                                            signing_key=kiosk_key, retry_cap_s=0.01))
    assert worker.run_once().error
    server.start()  # ... then a good one
    assert worker.run_once().pushed == 1
    worker.close()
    store.close()
    cli = shuoshi("sync", "--once", "--config", str(kiosk_config))
    status = shuoshi("sync", "status", "--config", str(kiosk_config))

    logged = "\n".join(r.getMessage() for r in caplog.records) + cli.stdout + cli.stderr
    logged += status.stdout + status.stderr
    assert caplog.records  # something was logged, and none of it is personal
    for secret in (NAME, PHONE, PHONE[-8:]):
        assert secret not in logged
    with sqlite3.connect(tmp_path / "kiosk.db") as db:
        dump = "\n".join(db.iterdump())
    assert NAME not in dump and PHONE not in dump and "139****4321" in dump
    with sqlite3.connect(server.db) as db:  # the centre keeps it for the call back
        assert db.execute("SELECT contact_phone FROM central_submissions").fetchone() == (PHONE,)
