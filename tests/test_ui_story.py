"""查事 and 评事 at the real screen, against a real central server: a ticket staff moved to
办事 (小事, 承诺件 with its date, who handles it, a long reply) typed on the keypad and read
page by page — the dates of the steps, the classes, the whole reply, shown and said; rated
不满意 with a reason (in the kiosk's outbox, then on the server after a sync round) and rated
again (said to replace the first); a 附议 receipt's number tells the issue supported, which at
理事 offers no 评价."""

from __future__ import annotations

import json
import sqlite3
import time
import uuid
from contextlib import closing
from datetime import UTC, date, datetime
from pathlib import Path
from typing import Any

import httpx
import pytest
from sqlalchemy import create_engine, text
from sqlalchemy.pool import NullPool

from kiosk.session import MESSAGES
from sync.contract.protocol import API_PREFIX, SupportIn, TicketStatus
from sync.contract.ticket import group, make_ticket
from sync.store import Store, SubmissionDraft
from tests.conftest import STAFF_HEADERS, CentralServer, drain, sync_worker
from tests.kiosk_driver import Kiosk
from tests.test_ui_elderly import check_screen, write_config

pytestmark = pytest.mark.ui

REPLY = ("您好，您反映的三号楼下水道堵塞问题，社区已经联系物业和市政维修队。"
         "经过现场查看，堵塞点在楼前的主管道，需要开挖更换一段管道，材料已经订好。"
         "维修队已经排期，预计下个月中旬以前完成施工，施工期间请注意安全，绕行楼前通道。"
         "如果施工期间家里出现返水，请直接拨打物业值班电话，物业会在半小时内上门处理。"
         "完工以后社区会上门回访，请您对办理结果进行评价。谢谢您的支持和理解！")
PROMISED = date(2030, 1, 15)
RESPONSIBLE = "幸福里社区物业办"


def _staff_moves(server: CentralServer, ticket: str, *steps: tuple[str, str]) -> None:
    for step, note in steps:
        reply = httpx.post(f"{server.url}{API_PREFIX}/staff/tickets/{ticket}/status",
                           json={"step": step, "note": note}, headers=STAFF_HEADERS, timeout=10)
        assert reply.status_code == 200, reply.text


def _tickets(tmp_path: Path, server: CentralServer, key: str) -> tuple[str, str, str]:
    """On the server: an issue staff took to 办事 as a 小事 and 承诺件, a public one at 理事,
    and a 附议 of that one; made by kiosk 0042 (another store than the kiosk's under test)."""
    store = Store(tmp_path / "made-earlier.db")
    acting = store.record_submission(SubmissionDraft(
        "房屋设施与管网", "下水道堵塞：三号楼二单元门口的下水道堵了好几天，一下雨就往外冒水。",
        place="幸福里3栋"), "0042").ticket
    sorting = store.record_submission(SubmissionDraft("环境卫生", "垃圾没人清运", public=True),
                                      "0042").ticket
    worker = sync_worker(store, server.url, key)
    assert drain(worker, rounds=5, pause_s=0.05).waiting == 0
    worker.close()
    store.close()
    _staff_moves(server, acting, ("sort", "已登记"), ("deliberate", ""), ("act", REPLY))
    _staff_moves(server, sorting, ("sort", "已登记，等候分类"))
    # the classes of 理事 and 议事 are set in the console's forms, not by the status call
    engine = create_engine(server.db_url, poolclass=NullPool)
    with engine.begin() as conn:
        conn.execute(text("UPDATE central_submissions SET affair_class = 'minor', "
                          "outcome_class = 'promised', promised_date = :promised, "
                          "responsible = :who WHERE ticket = :ticket"),
                     {"promised": PROMISED.isoformat(), "who": RESPONSIBLE, "ticket": acting})
    engine.dispose()
    support = make_ticket("0042", 900)
    with server.signed_client("0042", key) as client:
        reply = client.post(f"{API_PREFIX}/supports", content=SupportIn(
            uuid=uuid.uuid4(), ticket=sorting, support_ticket=support, kiosk_code="0042",
            created_at=datetime.now(UTC)).model_dump_json(),
            headers={"content-type": "application/json"})
        assert reply.status_code == 200, reply.text
    return acting, sorting, support


def _story(server: CentralServer, key: str, ticket: str) -> TicketStatus:
    with server.signed_client("0042", key) as client:
        reply = client.get(f"{API_PREFIX}/tickets/{ticket}")
    assert reply.status_code == 200, reply.text
    return TicketStatus.model_validate_json(reply.content)


def _look_up(kiosk: Kiosk, ticket: str) -> None:
    kiosk.tap("查进度")
    kiosk.wait_screen("lookup")
    for n, digit in enumerate(ticket):
        if n and digit == ticket[n - 1]:
            time.sleep(0.45)  # a person's pace: quicker taps on one key count once
        kiosk.tap(digit)
    time.sleep(0.1)
    assert kiosk.settled()["spoken"][-1] == ticket[-1]  # every key said, the last one too
    kiosk.tap("查询")
    kiosk.wait_screen("status", timeout=15)


def _buttons(report: dict[str, Any]) -> list[str]:
    return [i["text"] for i in report["items"] if i["kind"] == "button"]


def _read_every_page(kiosk: Kiosk, shots: Path, *, measure_all: bool = True
                     ) -> list[tuple[list[str], list[str]]]:
    """Each page of the story (texts shown, what it said); measured, or only the first."""
    pages: list[tuple[list[str], list[str]]] = []
    while True:
        report = check_screen(kiosk, 7, shots) if measure_all or not pages \
            else kiosk.settled()
        spoken = report["spoken"]
        starts = [n for n, said in enumerate(spoken) if said.startswith("第")
                  and "页，共" in said]
        shown = [i["text"] for i in report["items"] if i["kind"] == "text"]
        pages.append((shown, spoken[starts[-1]:] if starts else spoken))
        if "下一页" not in _buttons(report):
            return pages
        kiosk.tap("下一页")
        time.sleep(0.3)


def _day(at: datetime) -> str:
    local = at.astimezone()
    return f"{local.month}月{local.day}日"


def _rate(kiosk: Kiosk, shots: Path, score: str, reasons: list[str], finish: str, *,
          measure: bool = True) -> dict[str, Any]:
    """我要评价, ``score``, the ``reasons`` tapped, then 提交 or 跳过; each screen measured
    (``measure``) or only read; returns the last screen's report."""
    def look() -> dict[str, Any]:
        return check_screen(kiosk, 7, shots) if measure else kiosk.settled()

    kiosk.tap("我要评价")
    kiosk.wait_screen("rate")
    asked = look()
    assert asked["spoken"][-1] == MESSAGES["rate_ask"]
    assert {"满意", "基本满意", "不满意"} <= set(_buttons(asked))
    kiosk.tap(score)
    time.sleep(0.3)
    offered = look()
    assert offered["spoken"][-3:-1] == [score, MESSAGES["rate_reasons"]]
    for reason in reasons:
        kiosk.tap(reason)
        time.sleep(0.3)
    if reasons:
        chosen = look()
        assert f"已选：{'、'.join(reasons)}" in [i["text"] for i in chosen["items"]]
        assert chosen["spoken"][-2:] == [reasons[-1], MESSAGES["rate_reason_on"]]
    kiosk.tap(finish)
    time.sleep(0.3)
    return check_screen(kiosk, 7, shots)  # the thanks, measured every time: it differs


def test_the_whole_story_is_shown_said_and_rated(
    tmp_path: Path, server: CentralServer, kiosk_key: str, display: str
) -> None:
    acting, sorting, support = _tickets(tmp_path, server, kiosk_key)
    story = _story(server, kiosk_key, acting)
    assert [s.step.value for s in story.steps] == ["say", "sort", "deliberate", "act"]
    config = write_config(tmp_path, server_url=server.url, key=kiosk_key)
    shots = tmp_path / "shots"
    kiosk = Kiosk(config, display, tmp_path)
    try:
        _look_up(kiosk, acting)
        pages = _read_every_page(kiosk, shots)
        assert len(pages) >= 4  # what, the steps, how it is handled, the reply (and more)
        shown = [text for texts, _said in pages for text in texts]
        said = "".join(s for _texts, spoken in pages for s in spoken)
        assert f"回执号码 {group(acting)}" == pages[0][0][0]
        assert "您的事项当前在办事阶段。" in pages[0][1]
        assert "类别：房屋设施与管网" in shown and "地点：幸福里3栋" in shown
        # the six steps with the date each was reached; the current one marked, two ahead
        steps = next(texts for texts, _said in pages if texts[0] == "办理进度")
        for reached in story.steps[:-1]:
            assert _day(reached.at) in steps
        assert f"当前 {_day(story.steps[-1].at)}" in steps
        assert steps.count("未到") == 2
        assert all(f"{s.step.label}，{_day(s.at)}。" in said for s in story.steps)
        # the classes, the promised date, who handles it
        assert "分类：小事，承诺件" in shown
        assert "承诺2030年1月15日前办好" in shown and f"负责：{RESPONSIBLE}" in shown
        assert "三事分流，这件事分为小事。办理方式是承诺件。" in said
        assert "承诺在2030年1月15日前办好。" in said
        # staff's reply in full, over pages, each part said as shown
        reply_pages = [(texts[1:], spoken) for texts, spoken in pages
                       if texts[0].startswith("工作人员答复")]
        assert len(reply_pages) >= 2, "a long reply is paged, not squeezed"
        assert "".join(t for texts, _said in reply_pages for t in texts) == REPLY
        for texts, spoken in reply_pages:
            assert all(part in spoken for part in texts)
        assert pages[-1][1][-1] == MESSAGES["story_rate_offer"]

        thanks = _rate(kiosk, shots, "不满意", ["没解决"], "提交")
        assert MESSAGES["rate_thanks"] in thanks["spoken"][-2:]
        assert MESSAGES["rate_replaced"] not in thanks["spoken"]
        with closing(sqlite3.connect(tmp_path / "kiosk.db")) as db:
            waiting = db.execute("SELECT ticket, score, reasons, sent_at FROM ratings").fetchall()
        assert [(t, s, json.loads(r), sent) for t, s, r, sent in waiting] == \
            [(acting, "unsatisfied", ["没解决"], None)]
        store = Store(tmp_path / "kiosk.db")
        worker = sync_worker(store, server.url, kiosk_key)
        assert drain(worker, rounds=5, pause_s=0.05).waiting == 0
        worker.close()
        store.close()
        held = server.rows(f"SELECT score, reasons, channel FROM ratings WHERE ticket = '{acting}'")
        assert [(s, json.loads(r), c) for s, r, c in held] == \
            [("unsatisfied", ["没解决"], "kiosk")]

        kiosk.tap("返回首页")
        kiosk.wait_screen("home")
        _look_up(kiosk, acting)
        while "我要评价" not in _buttons(kiosk.settled()):
            kiosk.tap("下一页")
        again = _rate(kiosk, shots, "满意", [], "跳过", measure=False)
        assert again["spoken"][-2:] == [MESSAGES["rate_thanks"], MESSAGES["rate_replaced"]]
        assert "您之前的评价已经更新" in [i["text"] for i in again["items"]]
        assert f"RATED {acting} satisfied replaced" in kiosk.output()

        # a 附议 receipt tells the issue supported; at 理事 it cannot be rated yet
        kiosk.tap("返回首页")
        kiosk.wait_screen("home")
        _look_up(kiosk, support)
        pages = _read_every_page(kiosk, shots, measure_all=False)  # the others: as above
        shown = [text for texts, _said in pages for text in texts]
        assert pages[0][0][0] == "您附议的事项"
        assert f"事项号码：{group(sorting)}" in shown and "已有1位居民附议" in shown
        assert MESSAGES["story_via_support"] in pages[0][1]
        assert "您的事项当前在理事阶段。" in pages[0][1]
        assert MESSAGES["story_rate_offer"] not in pages[-1][1]
        assert "我要评价" not in _buttons(kiosk.settled())
    finally:
        kiosk.stop()
