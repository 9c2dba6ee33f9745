"""统计 and 设备: figures for issues pushed by real kiosks and moved by staff; the fleet page's
order. One server for the module (tests.console_support), on SQLite and on PostgreSQL: the
figures are GROUP BY aggregates and date comparisons the two databases must agree on."""

from __future__ import annotations

import csv
import io
import re
import uuid
from datetime import date, datetime, timedelta

import httpx
import pytest

from sync.contract.protocol import API_PREFIX, Heartbeat
from sync.store import SubmissionDraft
from tests import console_support
from tests.conftest import STAFF_HEADERS
from tests.console_support import (
    ADMIN,
    HP_STAFF,
    XFL_STAFF,
    ConsoleSite,
    push_issue,
    signed_in_client,
)

console_site = console_support.console_site_on_both
module_db_url = console_support.module_db_url
TODAY = date.today()
YESTERDAY, TOMORROW = TODAY - timedelta(days=1), TODAY + timedelta(days=1)
NEXT_MONTH = TODAY + timedelta(days=31)

# (kiosk, category, 三事 class, deadline, promised date, step staff move it to, rating)
ISSUES = [
    ("0101", "环境卫生", "major", TOMORROW, None, "evaluate", "satisfied"),  # on time
    ("0102", "环境卫生", "minor", YESTERDAY, None, "evaluate", "unsatisfied"),  # late
    ("0101", "停车出行", "minor", YESTERDAY, NEXT_MONTH, "follow_up", "satisfied"),  # 承诺件
    ("0102", "停车出行", "private", None, None, "evaluate", "fair"),  # closed, no time limit
    ("0101", "噪音扰民", None, None, None, "sort", None),  # not yet sorted
    ("0102", "噪音扰民", "major", YESTERDAY, None, "act", None),  # open, past its deadline
    ("0201", "环境卫生", "minor", None, None, "sort", None),  # 和平社区
]


def _staff_step(site: ConsoleSite, ticket: str, step: str) -> None:
    reply = httpx.post(f"{site.url}{API_PREFIX}/staff/tickets/{ticket}/status",
                       json={"step": step, "note": "已办理"}, headers=STAFF_HEADERS, timeout=10)
    assert reply.status_code == 200, reply.text


def _rate(site: ConsoleSite, kiosk: str, ticket: str, score: str) -> None:
    body = {"uuid": str(uuid.uuid4()), "ticket": ticket, "score": score,
            "created_at": datetime.now().astimezone().isoformat(timespec="seconds")}
    with site.server.signed_client(kiosk, site.kiosk_keys[kiosk]) as client:
        assert client.post(f"{API_PREFIX}/ratings", json=body).json()["status"] == "accepted"


@pytest.fixture(scope="module")
def month(console_site: ConsoleSite) -> str:
    """Push ISSUES from the kiosks, sort them (理事 fields written as the 理事 form keeps them),
    move them through the steps, rate the closed ones; returns the month they were raised."""
    site = console_site
    for kiosk, category, affair, deadline, promised, step, score in ISSUES:
        ticket = push_issue(site, kiosk, SubmissionDraft(category, f"{category}的问题"))
        site.execute("UPDATE central_submissions SET affair_class = :affair, "
                     "deadline = :deadline, promised_date = :promised WHERE ticket = :ticket",
                     affair=affair, deadline=deadline and deadline.isoformat(),
                     promised=promised and promised.isoformat(), ticket=ticket)
        if step != "sort":
            _staff_step(site, ticket, "act")
        _staff_step(site, ticket, step)
        if score:
            _rate(site, kiosk, ticket, score)
    months: set[str] = {m for (m,) in site.rows("SELECT substr(created_at, 1, 7) "
                                                "FROM central_submissions")}
    assert len(months) == 1
    return months.pop()


def _csv(client: httpx.Client, query: str) -> list[dict[str, str]]:
    reply = client.get(f"/console/stats.csv?{query}")
    assert reply.status_code == 200, reply.text
    assert reply.headers["content-type"].startswith("text/csv")
    assert reply.content.startswith(b"\xef\xbb\xbf")  # BOM: Excel reads UTF-8
    return list(csv.DictReader(io.StringIO(reply.content.decode("utf-8-sig"))))


def _figures(rows: list[dict[str, str]], community: str) -> dict[tuple[str, str], str]:
    return {(r["指标"], r["分项"]): r["数值"] for r in rows if r["社区代码"] == community}


def test_figures_of_one_community_and_month(console_site: ConsoleSite, month: str) -> None:
    with signed_in_client(console_site, ADMIN) as client:
        rows = _csv(client, f"community=xingfuli&month={month}")
        assert list(rows[0]) == ["社区代码", "社区", "月份", "指标", "分项", "数值"]
        assert {(r["社区"], r["月份"]) for r in rows} == {("幸福里社区", month)}
        fig = _figures(rows, "xingfuli")
        assert fig[("事项数", "")] == "6"
        assert [fig[("按类别", c)] for c in ("环境卫生", "停车出行", "噪音扰民")] == ["2"] * 3
        assert [fig[("按三事", c)] for c in ("大事", "小事", "私事", "未分流")] == \
            ["2", "2", "1", "1"]
        assert (fig[("已办结", "")], fig[("办结率(%)", "")]) == ("4", "66.7")
        assert (fig[("有时限的办结件", "")], fig[("按时办结", "")],
                fig[("按时办结率(%)", "")]) == ("3", "2", "66.7")
        assert [fig[("评价", s)] for s in ("满意", "基本满意", "不满意")] == ["2", "1", "1"]
        assert fig[("满意率(%)", "满意+基本满意")] == "75.0"
        assert fig[("满意率(%)", "仅满意")] == "50.0"

        page = client.get(f"/console/stats?community=xingfuli&month={month}")
        assert page.status_code == 200
        assert re.search(r'id="closure-rate">66\.7%', page.text)
        assert re.search(r'id="satisfaction-rate">75\.0%', page.text)
        chart = page.text[page.text.index('aria-label="按三事分流（件）"'):]
        chart = chart[:chart.index("</svg>")]
        assert "<rect" in chart and ">私事<" in chart and ">大事<" in chart
        assert "<script" not in page.text


def test_all_communities_side_by_side_and_summed(console_site: ConsoleSite,
                                                  month: str) -> None:
    with signed_in_client(console_site, ADMIN) as client:
        rows = _csv(client, f"month={month}")
        heping, total = _figures(rows, "heping"), _figures(rows, "")
        assert (heping[("事项数", "")], heping[("办结率(%)", "")]) == ("1", "0.0")
        assert heping[("按时办结率(%)", "")] == "" and heping[("满意率(%)", "仅满意")] == ""
        assert (total[("事项数", "")], total[("已办结", "")], total[("办结率(%)", "")]) == \
            ("7", "4", "57.1")
        assert total[("按类别", "环境卫生")] == "3"
        assert total[("满意率(%)", "满意+基本满意")] == "75.0"
        page = client.get(f"/console/stats?month={month}").text
        assert "和平社区" in page and "幸福里社区" in page
        empty = _figures(_csv(client, "community=xingfuli&month=2001-01"), "xingfuli")
        assert empty[("事项数", "")] == "0" and empty[("办结率(%)", "")] == ""
        assert client.get("/console/stats?month=2026-13").status_code == 400


def test_community_staff_see_only_their_own_community(console_site: ConsoleSite,
                                                       month: str) -> None:
    with signed_in_client(console_site, XFL_STAFF) as client:
        assert _figures(_csv(client, f"month={month}"), "xingfuli")[("事项数", "")] == "6"
        assert client.get(f"/console/stats?community=heping&month={month}").status_code == 403
        assert client.get(f"/console/stats.csv?community=heping&month={month}"
                          ).status_code == 403
        notice = client.get(f"/console/notices?monthly={month}").text
        assert "共收到居民说事6件（大事2件、小事2件、私事1件、未分流1件）" in notice
        assert "办结率66.7%" in notice and "满意率75.0%" in notice
        assert 'value="monthly" selected' in notice
        assert client.get(f"/console/notices?monthly={month}&community=heping"
                          ).status_code == 403
    with signed_in_client(console_site, HP_STAFF) as client:
        rows = _csv(client, f"month={month}")
        assert {r["社区代码"] for r in rows} == {"heping"}
        assert _figures(rows, "heping")[("事项数", "")] == "1"


def _beat(site: ConsoleSite, kiosk: str, printer_state: str) -> None:
    beat = Heartbeat(queue_depth=2, oldest_unsent_seconds=90.0, quarantined=0,
                     printer_state=printer_state, software_version="0.9.1",
                     free_disk_bytes=5 * 2**30)
    with site.server.signed_client(kiosk, site.kiosk_keys[kiosk]) as client:
        reply = client.post(f"{API_PREFIX}/heartbeat", content=beat.model_dump_json(),
                            headers={"content-type": "application/json"})
        assert reply.status_code == 200


def test_fleet_puts_silent_and_paperless_kiosks_on_top(console_site: ConsoleSite) -> None:
    site = console_site
    _beat(site, "0101", "online")
    _beat(site, "0102", "paper_out")
    _beat(site, "0201", "online")
    ten_minutes_ago = (datetime.now().astimezone() - timedelta(minutes=10)).isoformat(
        timespec="seconds")
    site.execute("UPDATE kiosks SET heartbeat_at = :at WHERE code = '0201'", at=ten_minutes_ago)
    with signed_in_client(site, ADMIN) as client:
        page = client.get("/console/fleet").text
    order = re.findall(r'<tr data-kiosk="(\d{4})" class="([a-z]*)"', page)
    assert [code for code, _ in order] == ["0201", "0102", "0101"]  # silent, no paper, fine
    marks = dict(order)
    assert marks["0201"] == marks["0102"] == "attention" and marks["0101"] == ""
    assert "缺纸" in page and "失联" in page and "0.9.1" in page
    with signed_in_client(site, XFL_STAFF) as client:
        mine = re.findall(r'<tr data-kiosk="(\d{4})"', client.get("/console/fleet").text)
    assert mine == ["0102", "0101"]
