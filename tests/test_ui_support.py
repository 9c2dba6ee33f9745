"""附议 at the real screen: a neighbour's public issue is offered when the same category is
chosen, supported with a phone, given its own receipt, and counted at the centre."""

from __future__ import annotations

import time
from pathlib import Path

import pytest
from sqlalchemy import text

from device.printer import decoded_text
from kiosk.lookup import LookupOutcome, StatusLookup
from server.provision import add_community, move_kiosk
from sync.contract.ticket import group
from sync.http import ServerLink
from sync.store import Store, SubmissionDraft
from tests.conftest import CentralServer, drain, sync_worker
from tests.kiosk_driver import Kiosk
from tests.test_ui_elderly import check_screen, write_config

pytestmark = pytest.mark.ui

CATEGORY = "房屋设施与管网"
PHONE = "13912345678"


def _neighbour_says_it_in_public(tmp_path: Path, server: CentralServer, key: str) -> str:
    """Kiosk 0042 of the same community takes a public issue and sends it."""
    store = Store(tmp_path / "kiosk-0042.db")
    try:
        stored = store.record_submission(
            SubmissionDraft(CATEGORY, "下水道堵塞", place="3号楼", public=True), "0042")
        worker = sync_worker(store, server.url, key)
        assert drain(worker, rounds=5, pause_s=0.05).waiting == 0
        worker.close()
    finally:
        store.close()
    return stored.ticket


def test_a_public_issue_is_offered_supported_and_counted(
    tmp_path: Path, server: CentralServer, display: str
) -> None:
    add_community(f"sqlite:///{server.db}", "xingfuli", "幸福里社区")
    neighbour, key = server.provision("0042"), server.provision("0043")
    for code in ("0042", "0043"):
        move_kiosk(f"sqlite:///{server.db}", code, "xingfuli")
    ticket = _neighbour_says_it_in_public(tmp_path, server, neighbour)
    config = write_config(tmp_path, server_url=server.url, key=key, code="0043")
    store = Store(tmp_path / "kiosk.db")  # this kiosk pulls the community's public issues
    worker = sync_worker(store, server.url, key, code="0043")
    worker.run_once()
    worker.close()
    store.close()

    shots = tmp_path / "shots"
    kiosk = Kiosk(config, display, tmp_path)
    try:
        kiosk.tap("我要说事")
        kiosk.wait_screen("category")
        kiosk.choose(CATEGORY)
        offer = kiosk.wait_screen("support")
        time.sleep(1)
        offer = check_screen(kiosk, 7, shots)
        assert any("下水道堵塞" in i["text"] for i in offer["items"])
        assert "这件事已经有人说了，您也遇到了吗？" in offer["spoken"]
        kiosk.tap("我要说别的")  # not this one: the category's phrases as ever
        kiosk.wait_screen("phrase")
        kiosk.tap("返回")
        kiosk.wait_screen("category")
        kiosk.choose(CATEGORY)
        kiosk.wait_screen("support")
        kiosk.tap("我也遇到了")
        kiosk.wait_screen("contact")
        kiosk.tap("留电话")
        kiosk.wait_screen("phone")
        for digit in PHONE:
            kiosk.tap(digit)
            time.sleep(0.45)
        kiosk.tap("确定")
        time.sleep(1)
        kiosk.tap("确定")  # heard it read back: taken
        kiosk.wait_screen("support_confirm")
        time.sleep(1)
        confirm = check_screen(kiosk, 7, shots)
        assert any(i["text"] == "电话：139****5678" for i in confirm["items"])
        assert "请核对。您要附议的事项是：" in confirm["spoken"]
        kiosk.tap("返回修改")  # back to the phone as it was left (read back already), on again
        kiosk.wait_screen("phone")
        kiosk.tap("确定")
        kiosk.wait_screen("support_confirm")
        kiosk.tap("提交附议")
        kiosk.wait_screen("done")
        lines = [ln for ln in kiosk.output().splitlines() if ln.startswith("SUPPORTED ")]
        assert len(lines) == 1
        own = lines[0].split()[1]
        assert own != ticket and own.startswith("0043")
    finally:
        kiosk.stop()

    printed = sorted((tmp_path / "receipts").glob(f"*{own}.bin"))
    assert len(printed) == 1
    receipt = decoded_text(printed[0].read_bytes())
    assert "附议" in receipt and group(own) in receipt and "139****5678" in receipt

    store = Store(tmp_path / "kiosk.db")
    try:
        worker = sync_worker(store, server.url, key, code="0043")
        assert drain(worker, rounds=5, pause_s=0.05).waiting == 0
        worker.close()
        lookup = StatusLookup(store, ServerLink(server.url, "0043", key, 10.0))
        found = lookup.look_up(ticket)
        lookup.close()
    finally:
        store.close()
    assert found.outcome is LookupOutcome.FOUND and found.view is not None
    assert found.view.supporters == 1  # counted at the centre
    assert server.rows("SELECT contact_phone FROM supports") == [(PHONE,)]
    with_phone = Store(tmp_path / "kiosk.db")
    try:
        with with_phone.session() as s:  # purged at the kiosk once the centre has it
            assert PHONE not in str(s.execute(text("SELECT * FROM supports")).all())
    finally:
        with_phone.close()
