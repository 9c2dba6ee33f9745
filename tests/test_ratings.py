"""Residents' ratings sent by signed kiosks: idempotent, only for their own community, only
from 办事 on, with reasons and where given; a later rating replaces the earlier one (the story
and the 满意率 count the latest). On SQLite and on PostgreSQL (the community rules are SQL)."""

from __future__ import annotations

import csv
import io
import json
import re
import uuid
from datetime import datetime, timedelta
from typing import Any

import httpx
import pytest

from server.provision import add_kiosk
from sync.contract.protocol import API_PREFIX, ChangePage
from sync.contract.ticket import make_ticket
from sync.store import SubmissionDraft
from tests import console_support
from tests.conftest import STAFF_HEADERS
from tests.console_support import ADMIN, ConsoleSite, push_issue, signed_in_client

console_site = console_support.console_site_on_both
module_db_url = console_support.module_db_url


def _rating(ticket: str, score: str = "satisfied", rating_id: str | None = None,
            **more: Any) -> dict[str, Any]:
    return {"uuid": rating_id or str(uuid.uuid4()), "ticket": ticket, "score": score,
            "created_at": datetime.now().astimezone().isoformat(timespec="seconds"), **more}


def _rate(site: ConsoleSite, kiosk: str, body: dict[str, Any]) -> httpx.Response:
    with site.server.signed_client(kiosk, site.kiosk_keys[kiosk]) as client:
        return client.post(f"{API_PREFIX}/ratings", json=body)


def _stored(site: ConsoleSite) -> list[tuple[str, str, str, str]]:
    return [(u, t, k, s) for u, t, k, s
            in site.rows("SELECT uuid, ticket, kiosk_code, score FROM ratings")]


def _move(site: ConsoleSite, ticket: str, step: str) -> None:
    reply = httpx.post(f"{site.url}{API_PREFIX}/staff/tickets/{ticket}/status",
                       json={"step": step, "note": "已安排清运"}, headers=STAFF_HEADERS,
                       timeout=10)
    assert reply.status_code == 200, reply.text


def _raised_and_done(site: ConsoleSite, kiosk: str, description: str) -> str:
    ticket = push_issue(site, kiosk, SubmissionDraft("环境卫生", description))
    _move(site, ticket, "act")
    return ticket


@pytest.fixture(scope="module")
def xingfuli_ticket(console_site: ConsoleSite) -> str:
    """An issue raised at kiosk 0101 of 幸福里社区, at 办事."""
    return _raised_and_done(console_site, "0101", "垃圾没有及时清运")


def test_a_rating_is_stored_once_however_often_it_is_sent(
    console_site: ConsoleSite, xingfuli_ticket: str
) -> None:
    body = _rating(xingfuli_ticket, "fair")
    first = _rate(console_site, "0102", body)  # another kiosk of the same community
    again = _rate(console_site, "0102", body)
    assert (first.status_code, first.json()) == (200, {"status": "accepted"})
    assert (again.status_code, again.json()) == (200, {"status": "duplicate"})
    assert [r for r in _stored(console_site) if r[0] == body["uuid"]] == [
        (body["uuid"], xingfuli_ticket, "0102", "fair")]
    # The same uuid may not be reused by another kiosk for something else.
    assert _rate(console_site, "0101", body).status_code == 409


def test_a_kiosk_of_another_community_cannot_rate(
    console_site: ConsoleSite, xingfuli_ticket: str
) -> None:
    body = _rating(xingfuli_ticket, "unsatisfied")
    reply = _rate(console_site, "0201", body)  # 和平社区
    assert reply.status_code == 403
    assert body["uuid"] not in {r[0] for r in _stored(console_site)}


def test_a_kiosk_without_a_community_rates_only_its_own_tickets(
    console_site: ConsoleSite, xingfuli_ticket: str
) -> None:
    site = console_site
    for code in ("0901", "0902"):
        site.kiosk_keys[code] = add_kiosk(site.db_url, f"流动说事点 {code}", code)[1]
    own = push_issue(site, "0901", SubmissionDraft("噪音扰民", "夜里广场舞声音太大"))
    _move(site, own, "act")
    assert _rate(site, "0902", _rating(own)).status_code == 403
    assert _rate(site, "0901", _rating(xingfuli_ticket)).status_code == 403
    assert _rate(site, "0901", _rating(own)).json() == {"status": "accepted"}


def test_ratings_are_refused_unsigned_unknown_or_malformed(
    console_site: ConsoleSite, xingfuli_ticket: str
) -> None:
    before = len(_stored(console_site))
    unsigned = httpx.post(f"{console_site.url}{API_PREFIX}/ratings",
                          json=_rating(xingfuli_ticket), timeout=10)
    assert unsigned.status_code == 401
    assert _rate(console_site, "0101", _rating(make_ticket("0101", 99_999))).status_code == 404
    assert _rate(console_site, "0101", _rating(xingfuli_ticket, "great")).status_code == 422
    assert _rate(console_site, "0101", _rating("12345")).status_code == 422
    assert len(_stored(console_site)) == before


def test_an_issue_is_rated_only_once_it_has_reached_banshi(console_site: ConsoleSite) -> None:
    site = console_site
    ticket = push_issue(site, "0101", SubmissionDraft("环境卫生", "楼下垃圾桶坏了"))
    for step in ("say", "sort", "deliberate"):
        if step != "say":
            _move(site, ticket, step)
        body = _rating(ticket)
        reply = _rate(site, "0101", body)
        assert reply.status_code == 409, (step, reply.text)
        assert "办事" in reply.json()["detail"]
        assert body["uuid"] not in {r[0] for r in _stored(site)}
    _move(site, ticket, "act")
    assert _rate(site, "0101", _rating(ticket)).json() == {"status": "accepted"}


def _stats_ratings(site: ConsoleSite, month: str) -> dict[str, str]:
    with signed_in_client(site, ADMIN) as client:
        reply = client.get(f"/console/stats.csv?community=xingfuli&month={month}")
    assert reply.status_code == 200, reply.text
    rows = csv.DictReader(io.StringIO(reply.content.decode("utf-8-sig")))
    return {r["分项"] or r["指标"]: r["数值"] for r in rows
            if r["指标"] in ("评价数", "评价", "满意率(%)")}


def _status_changes(site: ConsoleSite, kiosk: str, ticket: str) -> list[dict[str, Any]]:
    with site.server.signed_client(kiosk, site.kiosk_keys[kiosk]) as client:
        page = ChangePage.model_validate_json(
            client.get(f"{API_PREFIX}/changes", params={"since": 0, "limit": 500}).content)
    return [c.body for c in page.changes if c.kind == "status" and c.key == ticket]


def test_a_later_rating_replaces_the_earlier_one_in_the_story_and_the_satisfaction_rate(
    console_site: ConsoleSite
) -> None:
    site = console_site
    # Another month than the other tests' ratings, so these two are all that month has.
    month_ago = datetime.now().astimezone() - timedelta(days=62)
    month = month_ago.isoformat()[:7]
    ticket = _raised_and_done(site, "0102", "健身器材松动")
    first = _rating(ticket, "unsatisfied", reasons=["没人回复"],
                    created_at=month_ago.isoformat(timespec="seconds"))
    assert _rate(site, "0102", first).json() == {"status": "accepted"}
    assert _stats_ratings(site, month)["评价数"] == "1"
    assert _status_changes(site, "0102", ticket)[-1]["rating"] == "unsatisfied"

    # The 回访 call a little later: the resident is now satisfied.
    later = _rating(ticket, "satisfied", reasons=["办得快", "态度好"], channel="phone",
                    created_at=(month_ago + timedelta(hours=1)).isoformat(timespec="seconds"))
    assert _rate(site, "0101", later).json() == {"status": "accepted"}
    figures = _stats_ratings(site, month)
    assert (figures["评价数"], figures["满意"], figures["不满意"]) == ("1", "1", "0")
    assert figures["满意+基本满意"] == "100.0"
    # Both are kept, with their reasons and where they were given.
    kept = site.rows(f"SELECT uuid, score, reasons, channel FROM ratings "
                     f"WHERE ticket = '{ticket}'")
    assert sorted((u, s, json.loads(r), c) for u, s, r, c in kept) == sorted([
        (first["uuid"], "unsatisfied", ["没人回复"], "kiosk"),
        (later["uuid"], "satisfied", ["办得快", "态度好"], "phone")])
    # The story says the latest, read or pushed to the kiosk that took it.
    with site.server.signed_client("0101", site.kiosk_keys["0101"]) as client:
        assert client.get(f"{API_PREFIX}/tickets/{ticket}").json()["rating"] == "satisfied"
    assert _status_changes(site, "0102", ticket)[-1]["rating"] == "satisfied"

    # An older rating arriving late (made offline) does not replace a newer one.
    stale = _rating(ticket, "fair", created_at=month_ago.isoformat(timespec="seconds"))
    assert _rate(site, "0102", stale).json() == {"status": "accepted"}
    assert _stats_ratings(site, month)["满意"] == "1"
    with site.server.signed_client("0101", site.kiosk_keys["0101"]) as client:
        assert client.get(f"{API_PREFIX}/tickets/{ticket}").json()["rating"] == "satisfied"
    # The console lists all three, the latest first and marked as the one counted.
    with signed_in_client(site, ADMIN) as client:
        page = client.get(f"/console/issues/{ticket}").text
    rows = re.findall(r"<tr( class=\"counted\")?><td>[^<]*</td><td class=\"score\">([^<]+)</td>"
                      r"<td>([^<]+)</td><td>([^<]+)</td>", page)
    assert rows[0] == (' class="counted"', "满意", "办得快、态度好", "电话回访")
    assert sorted(rows[1:]) == [("", "不满意", "没人回复", "现场"), ("", "基本满意", "—", "现场")]
    assert page.count("计入满意率") == 1 and page.count("已被后来的评价取代") == 2


def test_staff_record_a_rating_given_in_a_phone_call_under_the_same_rules(
    console_site: ConsoleSite, xingfuli_ticket: str
) -> None:
    site = console_site

    def by_phone(body: dict[str, Any], headers: dict[str, str] = STAFF_HEADERS
                 ) -> httpx.Response:
        return httpx.post(f"{site.url}{API_PREFIX}/staff/ratings", json=body, headers=headers,
                          timeout=10)

    body = _rating(xingfuli_ticket, "fair", reasons=["办得慢"])
    assert by_phone(body).json() == {"status": "accepted"}
    assert by_phone(body).json() == {"status": "duplicate"}
    assert site.rows(f"SELECT kiosk_code, score, channel FROM ratings "
                     f"WHERE uuid = '{body['uuid']}'") == [("", "fair", "phone")]
    assert by_phone(_rating(make_ticket("0101", 99_998))).status_code == 404
    early = push_issue(site, "0102", SubmissionDraft("环境卫生", "公厕没有纸"))
    refused = by_phone(_rating(early))
    assert refused.status_code == 409 and "办事" in refused.json()["detail"]
    assert by_phone(_rating(xingfuli_ticket), headers={}).status_code == 401


def test_of_two_ratings_in_the_same_second_the_later_counts(console_site: ConsoleSite) -> None:
    site = console_site
    ticket = _raised_and_done(site, "0102", "路灯不亮")
    at = datetime.now().astimezone().replace(microsecond=100_000)
    # the earlier one has the larger uuid: a tie on the second would make it the latest
    first = _rating(ticket, "unsatisfied", rating_id="ffffffff-0000-4000-8000-000000000000",
                    created_at=at.isoformat())
    later = _rating(ticket, "satisfied", rating_id="00000000-0000-4000-8000-000000000000",
                    created_at=(at + timedelta(milliseconds=600)).isoformat())
    for body in (first, later):
        assert _rate(site, "0102", body).json() == {"status": "accepted"}
    with site.server.signed_client("0102", site.kiosk_keys["0102"]) as client:
        assert client.get(f"{API_PREFIX}/tickets/{ticket}").json()["rating"] == "satisfied"
