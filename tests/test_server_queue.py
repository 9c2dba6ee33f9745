"""叫号 on the server: a kiosk reports its queue of the day and hears the console's 叫下一位 in
the reply; staff see today's queues (staff API and the console's 叫号 page) for their own
community only. One server for the module, on SQLite and on PostgreSQL."""

from __future__ import annotations

import re
from datetime import date, datetime, timedelta
from typing import Any

import httpx
import pytest
from playwright.sync_api import Browser, expect

from server.console.auth import digest
from sync.contract.protocol import API_PREFIX
from sync.contract.queue import QUEUE_PATH, QueueCalls
from tests import console_support
from tests.conftest import STAFF_HEADERS
from tests.console_support import (
    HP_STAFF,
    XFL_STAFF,
    Account,
    ConsoleSite,
    csrf_of,
    logged_in_page,
    signed_in_client,
)

console_site = console_support.console_site_on_both
module_db_url = console_support.module_db_url
chromium = console_support.chromium
TODAY = date.today()
YESTERDAY = TODAY - timedelta(days=1)


def _at(hour: int, minute: int, day: date = TODAY) -> str:
    return datetime(day.year, day.month, day.day, hour, minute).astimezone().isoformat()


def _entry(number: int, *, called: str | None = None, served: str | None = None
           ) -> dict[str, Any]:
    return {"number": number, "taken_at": _at(9, number % 60), "called_at": called,
            "served_at": served}


def _report(site: ConsoleSite, kiosk: str, entries: list[dict[str, Any]], *,
            day: date = TODAY, handled: list[int] | None = None,
            reported_at: str | None = None) -> httpx.Response:
    body = {"kiosk_code": kiosk, "day": day.isoformat(), "entries": entries,
            "handled_calls": handled or [],
            "reported_at": reported_at or datetime.now().astimezone().isoformat()}
    return _send(site, kiosk, body)


def _send(site: ConsoleSite, kiosk: str, body: dict[str, Any]) -> httpx.Response:
    with site.server.signed_client(kiosk, site.kiosk_keys[kiosk]) as client:
        return client.post(f"{API_PREFIX}{QUEUE_PATH}", json=body)


def _calls(reply: httpx.Response) -> list[tuple[int, str]]:
    assert reply.status_code == 200, reply.text
    return [(c.id, c.requested_by) for c in QueueCalls.model_validate_json(reply.content).calls]


def _token(site: ConsoleSite, account: Account) -> dict[str, str]:
    """A staff API token of ``account`` (what ``shuoshi server staff-token`` makes)."""
    token = f"queue-token-of-{account.username}"
    if not site.rows(f"SELECT 1 FROM staff_tokens WHERE token_sha256 = '{digest(token)}'"):
        site.execute("INSERT INTO staff_tokens (token_sha256, username, created_at) "
                     "VALUES (:sha, :user, '2026-01-01T00:00:00+08:00')",
                     sha=digest(token), user=account.username)
    return {"authorization": f"Bearer {token}"}


def _queues(site: ConsoleSite, headers: dict[str, str]) -> dict[str, dict[str, Any]]:
    reply = httpx.get(f"{site.url}{API_PREFIX}/staff/queue", headers=headers, timeout=10)
    assert reply.status_code == 200, reply.text
    return {q["kiosk"]: q for q in reply.json()}


def _api_call(site: ConsoleSite, kiosk: str, headers: dict[str, str]) -> httpx.Response:
    return httpx.post(f"{site.url}{API_PREFIX}/staff/queue/{kiosk}/call", headers=headers,
                      timeout=10)


def _console_call(client: httpx.Client, kiosk: str) -> httpx.Response:
    csrf = csrf_of(client.get("/console/calling").text)
    return client.post(f"/console/calling/{kiosk}/call", data={"csrf_token": csrf})


def _numbers(site: ConsoleSite, kiosk: str, day: date = TODAY) -> list[int]:
    return [r[0] for r in site.rows(
        f"SELECT number FROM queue_entries WHERE kiosk_code = '{kiosk}' "
        f"AND day = '{day.isoformat()}' ORDER BY number")]


def test_a_report_is_stored_and_shown_to_its_community(console_site: ConsoleSite) -> None:
    site = console_site
    reply = _report(site, "0101", [_entry(1, called=_at(9, 10), served=_at(9, 20)),
                                   _entry(2, called=_at(9, 21)), _entry(3), _entry(4)])
    assert _calls(reply) == []
    assert _numbers(site, "0101") == [1, 2, 3, 4]
    shown = _queues(site, _token(site, XFL_STAFF))
    assert set(shown) == {"0101", "0102"}
    mine = shown["0101"]
    assert (mine["calling"], mine["waiting"], mine["served"], mine["taken"]) == (
        "A002", ["A003", "A004"], 1, 4)
    assert mine["online"] and mine["reported_today"] and mine["day"] == TODAY.isoformat()
    assert "0101" not in _queues(site, _token(site, HP_STAFF))
    with signed_in_client(site, XFL_STAFF) as client:
        page = client.get("/console/calling")
    assert page.status_code == 200
    html = page.text
    card = html[html.index('id="kiosk-0101"'):html.index('id="kiosk-0102"')]
    assert 'data-field="calling">A002<' in card and 'data-field="waiting">2<' in card
    assert 'data-field="served">1<' in card and "A003" in card and "A004" in card
    assert "说事机在线" in card and "说事机未联网" not in card
    # A kiosk that has not reported today is said to be offline, in words.
    silent = html[html.index('id="kiosk-0102"'):]
    assert "说事机未联网" in silent
    assert '<a href="/console/calling" class="active" aria-current="page">叫号</a>' in html


def test_a_kiosk_silent_while_people_wait_is_shown_offline(console_site: ConsoleSite) -> None:
    """Reports come every few seconds while anyone waits, none while nobody does: only the
    first kind of silence means the network is down."""
    site = console_site
    _calls(_report(site, "0101", [_entry(1, called=_at(9, 40)), _entry(2)]))
    _calls(_report(site, "0102", [_entry(1, served=_at(9, 50))]))
    five_minutes_ago = (datetime.now().astimezone() - timedelta(minutes=5)).isoformat()
    site.execute("UPDATE queue_reports SET received_at = :at WHERE kiosk_code IN "
                 "('0101', '0102')", at=five_minutes_ago)
    shown = _queues(site, _token(site, XFL_STAFF))
    assert (shown["0101"]["online"], shown["0102"]["online"]) == (False, True)
    with signed_in_client(site, XFL_STAFF) as client:
        html = client.get("/console/calling").text
    waiting = html[html.index('id="kiosk-0101"'):html.index('id="kiosk-0102"')]
    assert "说事机未联网：有人在等，但已有 5分钟没有报告" in waiting
    assert 'data-field="calling">A001<' in waiting  # what it said last, still shown
    idle = html[html.index('id="kiosk-0102"'):]
    assert "说事机未联网" not in idle and "没有人等候时它不报告" in idle
    _calls(_report(site, "0101", [_entry(1, called=_at(9, 40)), _entry(2)]))
    assert _queues(site, _token(site, XFL_STAFF))["0101"]["online"] is True


def test_a_console_call_goes_to_that_kiosk_until_it_is_handled(
    console_site: ConsoleSite
) -> None:
    site = console_site
    assert _calls(_report(site, "0102", [_entry(1), _entry(2)])) == []
    with signed_in_client(site, XFL_STAFF) as client:
        asked = _console_call(client, "0102")
        assert asked.status_code == 303
        page = client.get(asked.headers["location"]).text
    assert "已请求，等待说事机响应" in page[page.index('id="kiosk-0102"'):]
    assert site.rows("SELECT staff, action FROM audit_events WHERE action LIKE 'queue_call%' "
                     "AND staff = 'xfl'") == [("xfl", "queue_call:0102")]
    # Another kiosk, even of the same community, is not asked; nor can it handle the call.
    call = _calls(_report(site, "0102", [_entry(1), _entry(2)]))
    assert [by for _, by in call] == ["xfl"]
    (call_id, _), = call
    assert _calls(_report(site, "0101", [_entry(1)], handled=[call_id])) == []
    # Until the kiosk says it has carried the call out, each report carries it again.
    assert _calls(_report(site, "0102", [_entry(1), _entry(2)])) == [(call_id, "xfl")]
    served = [_entry(1, called=_at(10, 1)), _entry(2)]
    assert _calls(_report(site, "0102", served, handled=[call_id])) == []
    assert _calls(_report(site, "0102", served, handled=[call_id])) == []
    assert _queues(site, STAFF_HEADERS)["0102"]["calling"] == "A001"
    with signed_in_client(site, XFL_STAFF) as client:
        page = client.get("/console/calling").text
    assert "已请求，等待说事机响应" not in page[page.index('id="kiosk-0102"'):]
    # Calls come back oldest first.
    first = _api_call(site, "0102", STAFF_HEADERS)
    second = _api_call(site, "0102", _token(site, XFL_STAFF))
    assert (first.status_code, second.status_code) == (201, 201)
    assert _calls(_report(site, "0102", served)) == [(first.json()["id"], "server"),
                                                     (second.json()["id"], "xfl")]
    _report(site, "0102", served, handled=[first.json()["id"], second.json()["id"]])


def test_a_call_from_yesterday_is_never_returned(console_site: ConsoleSite) -> None:
    site = console_site
    site.execute("INSERT INTO queue_calls (kiosk_code, day, requested_by, requested_at) "
                 "VALUES ('0201', :day, 'hp', :at)", day=YESTERDAY.isoformat(),
                 at=_at(16, 0, YESTERDAY))
    assert _calls(_report(site, "0201", [_entry(1)])) == []
    assert site.rows(f"SELECT count(*) FROM queue_calls WHERE kiosk_code = '0201' "
                     f"AND day = '{YESTERDAY.isoformat()}' AND handled_at IS NULL") == [(0,)]
    # Nor is it shown as waiting for the kiosk.
    assert _queues(site, _token(site, HP_STAFF))["0201"]["pending_calls"] == []


def test_an_earlier_report_does_not_wipe_a_later_one(console_site: ConsoleSite) -> None:
    site = console_site
    late = datetime.now().astimezone()
    _calls(_report(site, "0201", [_entry(1, called=_at(9, 5)), _entry(2), _entry(3)],
                   reported_at=late.isoformat()))
    # Yesterday's last report, arriving late: stored as yesterday's, today's untouched.
    _calls(_report(site, "0201", [_entry(7)], day=YESTERDAY,
                   reported_at=_at(17, 0, YESTERDAY)))
    assert _numbers(site, "0201") == [1, 2, 3]
    # A slow retry of an earlier report of today, overtaken by a later one: ignored.
    _calls(_report(site, "0201", [_entry(1)],
                   reported_at=(late - timedelta(seconds=30)).isoformat()))
    assert _numbers(site, "0201") == [1, 2, 3]
    shown = _queues(site, _token(site, HP_STAFF))["0201"]
    assert (shown["calling"], shown["waiting"], shown["reported_today"]) == (
        "A001", ["A002", "A003"], True)
    # A later report of today replaces the day's numbers, an empty one too.
    _calls(_report(site, "0201", []))
    assert _numbers(site, "0201") == []


def test_another_community_can_neither_see_nor_call_the_kiosk(
    console_site: ConsoleSite
) -> None:
    site = console_site
    before = site.rows("SELECT count(*) FROM queue_calls")
    assert _api_call(site, "0101", _token(site, HP_STAFF)).status_code == 403
    assert _api_call(site, "9999", STAFF_HEADERS).status_code == 404
    assert set(_queues(site, _token(site, HP_STAFF))) == {"0201"}
    with signed_in_client(site, HP_STAFF) as client:
        page = client.get("/console/calling").text
        assert 'data-kiosk="0201"' in page and 'data-kiosk="0101"' not in page
        assert _console_call(client, "0101").status_code == 404
        csrf = csrf_of(page)
        assert client.post("/console/calling/0201/call",
                           data={"csrf_token": "forged"}).status_code == 403
    assert httpx.post(f"{site.url}/console/calling/0201/call", data={"csrf_token": csrf},
                      timeout=10, follow_redirects=False).status_code == 303  # to sign in
    assert site.rows("SELECT count(*) FROM queue_calls") == before
    assert httpx.get(f"{site.url}{API_PREFIX}/staff/queue", timeout=10).status_code == 401


@pytest.mark.parametrize("change", [
    {"kiosk_code": "01a2"}, {"day": "2026-13-01"}, {"reported_at": None},
    {"entries": [_entry(0)]}, {"entries": [_entry(1000)]},
    {"entries": [_entry(5), _entry(5)]}, {"entries": [{"number": 1}]},
    {"handled_calls": ["first"]},
])
def test_a_malformed_report_is_refused_and_nothing_stored(
    console_site: ConsoleSite, change: dict[str, Any]
) -> None:
    site = console_site
    before = site.rows("SELECT kiosk_code, day, number FROM queue_entries ORDER BY 1, 2, 3")
    reports = site.rows("SELECT kiosk_code, day, reported_at FROM queue_reports ORDER BY 1")
    body = {"kiosk_code": "0102", "day": TODAY.isoformat(), "entries": [_entry(9)],
            "handled_calls": [], "reported_at": datetime.now().astimezone().isoformat(),
            **change}
    assert _send(site, "0102", body).status_code == 422
    assert site.rows("SELECT kiosk_code, day, number FROM queue_entries ORDER BY 1, 2, 3") \
        == before
    assert site.rows("SELECT kiosk_code, day, reported_at FROM queue_reports ORDER BY 1") \
        == reports


def test_a_report_must_be_signed_by_the_kiosk_it_names(console_site: ConsoleSite) -> None:
    site = console_site
    before = _numbers(site, "0101")
    body = {"kiosk_code": "0101", "day": TODAY.isoformat(), "entries": [_entry(8)],
            "reported_at": datetime.now().astimezone().isoformat()}
    assert httpx.post(f"{site.url}{API_PREFIX}{QUEUE_PATH}", json=body,
                      timeout=10).status_code == 401
    assert _send(site, "0102", body).status_code == 403
    assert _numbers(site, "0101") == before


def test_staff_call_the_next_number_in_the_browser(console_site: ConsoleSite,
                                                   chromium: Browser) -> None:
    """The 叫号 page as staff use it: from the menu, by role and name (as a screen reader
    finds it), with the call shown as waiting for the kiosk. Chromium on SQLite only."""
    site = console_site
    if not site.db_url.startswith("sqlite"):
        pytest.skip("the page is the same on PostgreSQL; the browser runs once")
    _calls(_report(site, "0101", [_entry(1, called=_at(9, 30)), _entry(2), _entry(3)]))
    page = logged_in_page(chromium, site, XFL_STAFF)
    try:
        page.get_by_role("link", name="叫号").click()
        expect(page.get_by_role("heading", level=1)).to_contain_text("叫号")
        kiosk = page.get_by_role("region", name=re.compile("0101"))
        expect(kiosk.locator('[data-field="calling"]')).to_have_text("A001")
        expect(kiosk.locator('[data-field="waiting"]')).to_have_text("2")
        kiosk.get_by_role("button", name="叫下一位").click()
        expect(page.locator(".flash")).to_contain_text("叫下一位，等待说事机响应")
        expect(page.get_by_role("region", name=re.compile("0101"))
               .get_by_role("list", name="等待说事机响应的叫号请求")).to_contain_text(
            "已请求，等待说事机响应")
    finally:
        page.context.close()
    (call_id, by), = _calls(_report(site, "0101", [_entry(1, called=_at(9, 30)), _entry(2),
                                                   _entry(3)]))
    assert by == XFL_STAFF.username
    _report(site, "0101", [_entry(1, served=_at(10, 0)), _entry(2, called=_at(10, 0)),
                           _entry(3)], handled=[call_id])
