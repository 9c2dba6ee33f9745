"""``shuoshi rate``: staff record a rating from a 回访 call, as a real process against the real
server; refused with the reason and exit 1, argparse errors exit 2."""

from __future__ import annotations

import json
from pathlib import Path

from kiosk.config import load_config
from sync.contract.protocol import Step
from sync.contract.ticket import group, make_ticket
from sync.store import Store, SubmissionDraft
from tests.conftest import CentralServer, drain, shuoshi, sync_worker
from tests.test_kiosk_ratings import move


def test_staff_rate_by_phone_with_the_kiosks_rules(
    server: CentralServer, kiosk_key: str, kiosk_config: Path
) -> None:
    store = Store(load_config(kiosk_config).store.path)
    ticket = store.record_submission(SubmissionDraft("停车出行", "楼下乱停车"), "0042").ticket
    worker = sync_worker(store, server.url, kiosk_key)
    assert drain(worker, rounds=5, pause_s=0.05).waiting == 0
    worker.close()
    store.close()
    config = ("--config", str(kiosk_config))

    early = shuoshi("rate", ticket, "满意", *config)
    assert early.returncode == 1 and "还没到办事" in early.stderr, early.stderr
    unknown = shuoshi("rate", make_ticket("0042", 555), "满意", *config)
    assert unknown.returncode == 1 and "没有这个回执号码" in unknown.stderr
    wrong = shuoshi("rate", ticket, "很好", *config)
    assert wrong.returncode == 2 and "invalid choice" in wrong.stderr

    move(server, ticket, Step.ACT, "已联系交警")  # the kiosk has not pulled it: asked anew
    spaced = group(ticket)
    done = shuoshi("rate", spaced, "基本满意", "--reason", "办得快", "--reason", "态度好",
                   *config)
    assert done.returncode == 0, done.stderr
    assert done.stdout.startswith(f"recorded 基本满意 for {spaced}")
    assert "replaced" not in done.stdout
    again = shuoshi("rate", ticket, "不满意", *config)
    assert again.returncode == 0 and "replaced the earlier rating" in again.stdout

    sent = shuoshi("sync", "--once", *config)
    assert sent.returncode == 0 and "ratings sent 1" in sent.stdout, sent.stdout + sent.stderr
    rows = server.rows(f"SELECT score, channel, reasons FROM ratings WHERE ticket = '{ticket}'")
    assert [(s, c, json.loads(r)) for s, c, r in rows] == [("unsatisfied", "phone", [])]

    server.stop()  # a ticket this kiosk did not take cannot be confirmed: refused, not queued
    offline = shuoshi("rate", make_ticket("0007", 3), "满意", *config)
    assert offline.returncode == 1 and "无法确认" in offline.stderr
    status = shuoshi("sync", "status", *config)
    assert "ratings, 附议:  0" in status.stdout and "quarantined:      0" in status.stdout
