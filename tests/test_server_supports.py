"""附议 on the server: a kiosk sends a resident's support of a public issue of its community;
idempotent by uuid, refused for unknown, foreign or private issues; the count shows in the
issue's story, in the feed (status for the taking kiosk, public_issue for the community) and
in the console. One server for the module, on SQLite and on PostgreSQL."""

from __future__ import annotations

import itertools
import uuid
from datetime import datetime
from typing import Any

import httpx
import pytest

from server.provision import add_kiosk
from sync.contract.protocol import API_PREFIX, Change, ChangePage, PublicIssue
from sync.contract.ticket import make_ticket
from sync.store import SubmissionDraft
from tests import console_support
from tests.conftest import STAFF_HEADERS
from tests.console_support import (
    HP_STAFF,
    XFL_STAFF,
    ConsoleSite,
    csrf_of,
    push_issue,
    signed_in_client,
)

console_site = console_support.console_site_on_both
module_db_url = console_support.module_db_url
_receipts = itertools.count(70_001)  # far past what the kiosks' own stores number


def _support(ticket: str, kiosk: str = "0102", **more: Any) -> dict[str, Any]:
    return {"uuid": str(uuid.uuid4()), "ticket": ticket,
            "support_ticket": make_ticket(kiosk, next(_receipts)), "kiosk_code": kiosk,
            "created_at": datetime.now().astimezone().isoformat(timespec="seconds"), **more}


def _send(site: ConsoleSite, kiosk: str, body: dict[str, Any]) -> httpx.Response:
    with site.server.signed_client(kiosk, site.kiosk_keys[kiosk]) as client:
        return client.post(f"{API_PREFIX}/supports", json=body)


def _story(site: ConsoleSite, kiosk: str, ticket: str) -> httpx.Response:
    with site.server.signed_client(kiosk, site.kiosk_keys[kiosk]) as client:
        return client.get(f"{API_PREFIX}/tickets/{ticket}")


def _changes(site: ConsoleSite, kiosk: str, kind: str, ticket: str) -> list[Change]:
    with site.server.signed_client(kiosk, site.kiosk_keys[kiosk]) as client:
        page = ChangePage.model_validate_json(
            client.get(f"{API_PREFIX}/changes", params={"since": 0, "limit": 500}).content)
    return [c for c in page.changes if c.kind == kind and c.key == ticket]


def _move(site: ConsoleSite, ticket: str, step: str) -> None:
    reply = httpx.post(f"{site.url}{API_PREFIX}/staff/tickets/{ticket}/status",
                       json={"step": step, "note": "已转物业"}, headers=STAFF_HEADERS,
                       timeout=10)
    assert reply.status_code == 200, reply.text


def _supporters_stored(site: ConsoleSite, ticket: str) -> int:
    return int(site.rows(f"SELECT count(*) FROM supports WHERE ticket = '{ticket}'")[0][0])


@pytest.fixture(scope="module")
def public_issue(console_site: ConsoleSite) -> str:
    """A public issue raised at kiosk 0101 of 幸福里社区."""
    return push_issue(console_site, "0101", SubmissionDraft(
        "停车出行", "小区门口乱停车，消防通道被堵", place="幸福里北门", public=True,
        contact_name="李建国", contact_phone="13900139000"))


def test_a_support_raises_the_count_once_however_often_it_is_sent(
    console_site: ConsoleSite, public_issue: str
) -> None:
    site = console_site
    before = _story(site, "0101", public_issue).json()["supporters"]
    body = _support(public_issue, contact_name="王秀兰", contact_phone="13700137000")
    first, again = _send(site, "0102", body), _send(site, "0102", body)
    assert (first.status_code, first.json()) == (200, {"status": "accepted"})
    assert (again.status_code, again.json()) == (200, {"status": "duplicate"})
    assert _story(site, "0101", public_issue).json()["supporters"] == before + 1
    assert site.rows(f"SELECT ticket, kiosk_code, contact_name, contact_phone FROM supports "
                     f"WHERE uuid = '{body['uuid']}'") == [
        (public_issue, "0102", "王秀兰", "13700137000")]
    # The same uuid for another issue is a conflict, not a second support.
    other = push_issue(site, "0101", SubmissionDraft("环境卫生", "垃圾桶满了", public=True))
    reused = _send(site, "0102", {**body, "ticket": other})
    assert reused.status_code == 409
    assert _supporters_stored(site, other) == 0
    # The receipt number of a support is its own: another uuid may not take it.
    taken = _send(site, "0102", {**_support(other), "support_ticket": body["support_ticket"]})
    assert taken.status_code == 409
    assert _supporters_stored(site, other) == 0


def test_the_receipt_of_a_support_reads_the_story_of_the_issue_supported(
    console_site: ConsoleSite, public_issue: str
) -> None:
    site = console_site
    body = _support(public_issue)
    assert _send(site, "0102", body).json() == {"status": "accepted"}
    by_receipt = _story(site, "0102", body["support_ticket"])
    assert by_receipt.status_code == 200
    story = by_receipt.json()
    assert story == {**_story(site, "0102", public_issue).json(),
                     "support_ticket": body["support_ticket"]}
    assert (story["ticket"], story["description"]) == (public_issue, "小区门口乱停车，消防通道被堵")
    assert story["supporters"] == _supporters_stored(site, public_issue)
    assert "李建国" not in by_receipt.text and "13900139000" not in by_receipt.text
    # Another community's kiosk: as if the receipt did not exist.
    foreign = _story(site, "0201", body["support_ticket"])
    assert foreign.status_code == 404
    assert foreign.json() == {"detail": f"no submission with ticket {body['support_ticket']}"}


def test_supports_are_refused_for_unknown_foreign_private_and_malformed(
    console_site: ConsoleSite, public_issue: str
) -> None:
    site = console_site
    before = site.rows("SELECT count(*) FROM supports")
    assert _send(site, "0102", _support(make_ticket("0101", 99_999))).status_code == 404
    heping = push_issue(site, "0201", SubmissionDraft("环境卫生", "路灯不亮", public=True))
    assert _send(site, "0102", _support(heping)).status_code == 403
    private = push_issue(site, "0101", SubmissionDraft("物业服务", "电梯异响"))
    refused = _send(site, "0102", _support(private))
    assert refused.status_code == 409
    assert "not public" in refused.json()["detail"]
    # A kiosk sends only its own supports, numbered on its own receipts.
    assert _send(site, "0101", _support(public_issue, kiosk="0102")).status_code == 403
    assert _send(site, "0102", {**_support(public_issue),
                                "support_ticket": make_ticket("0101", 88_888)}).status_code == 403
    unsigned = httpx.post(f"{site.url}{API_PREFIX}/supports", json=_support(public_issue),
                          timeout=10)
    assert unsigned.status_code == 401
    assert _send(site, "0102", _support(public_issue, contact_phone="12345")).status_code == 422
    assert _send(site, "0102", _support("12345")).status_code == 422
    assert site.rows("SELECT count(*) FROM supports") == before


def test_an_issue_closed_meanwhile_still_takes_the_support(console_site: ConsoleSite) -> None:
    site = console_site
    ticket = push_issue(site, "0101", SubmissionDraft("环境卫生", "绿化带有枯树", public=True))
    _move(site, ticket, "evaluate")
    assert _send(site, "0102", _support(ticket)).json() == {"status": "accepted"}
    assert _story(site, "0101", ticket).json()["supporters"] == 1


def test_a_support_tells_the_taking_kiosk_and_the_community_the_new_count(
    console_site: ConsoleSite
) -> None:
    site = console_site
    ticket = push_issue(site, "0101", SubmissionDraft("噪音扰民", "夜里装修噪音", public=True))
    for n in (1, 2):
        assert _send(site, "0102", _support(ticket)).json() == {"status": "accepted"}
        status = _changes(site, "0101", "status", ticket)
        assert status[-1].body["supporters"] == n
        assert status[-1].body["description"] == "夜里装修噪音"
        offered = _changes(site, "0102", "public_issue", ticket)
        assert PublicIssue.model_validate(offered[-1].body).supporters == n
    # Only the kiosk that took it gets its status changes.
    assert _changes(site, "0102", "status", ticket) == []


def test_public_issues_are_offered_to_their_community_until_pingshi(
    console_site: ConsoleSite
) -> None:
    site = console_site
    ticket = push_issue(site, "0101", SubmissionDraft(
        "房屋设施与管网", "楼顶漏水", place="幸福里5栋", public=True,
        contact_name="赵大妈", contact_phone="13600136000"))
    private = push_issue(site, "0101", SubmissionDraft("房屋设施与管网", "我家水管漏水"))
    for kiosk in ("0101", "0102"):
        offered = _changes(site, kiosk, "public_issue", ticket)
        assert len(offered) == 1 and not offered[0].deleted
        issue = PublicIssue.model_validate(offered[0].body)
        assert (issue.ticket, issue.category, issue.description, issue.place, issue.step,
                issue.supporters) == (ticket, "房屋设施与管网", "楼顶漏水", "幸福里5栋", "say", 0)
        assert "赵大妈" not in str(offered[0].body) and "13600136000" not in str(offered[0].body)
        assert _changes(site, kiosk, "public_issue", private) == []
    assert _changes(site, "0201", "public_issue", ticket) == []  # 和平社区

    _move(site, ticket, "act")
    latest = _changes(site, "0102", "public_issue", ticket)[-1]
    assert (latest.deleted, latest.body["step"]) == (False, "act")
    _move(site, ticket, "evaluate")
    assert _changes(site, "0102", "public_issue", ticket)[-1].deleted
    _move(site, private, "evaluate")
    assert _changes(site, "0102", "public_issue", private) == []


def test_a_kiosk_without_a_community_offers_its_public_issues_to_itself_only(
    console_site: ConsoleSite
) -> None:
    site = console_site
    for code in ("0901", "0902"):
        site.kiosk_keys[code] = add_kiosk(site.db_url, f"流动说事点 {code}", code)[1]
    ticket = push_issue(site, "0901", SubmissionDraft("环境卫生", "集市散场垃圾多", public=True))
    assert len(_changes(site, "0901", "public_issue", ticket)) == 1
    for kiosk in ("0902", "0101", "0201"):
        assert _changes(site, kiosk, "public_issue", ticket) == []
    assert _send(site, "0902", _support(ticket, kiosk="0902")).status_code == 403
    assert _send(site, "0901", _support(ticket, kiosk="0901")).json() == {"status": "accepted"}


def _issue_page(site: ConsoleSite, ticket: str) -> str:
    with signed_in_client(site, XFL_STAFF) as client:
        reply = client.get(f"/console/issues/{ticket}")
    assert reply.status_code == 200, reply.text
    return reply.text


def test_the_console_shows_the_supporters_with_their_contacts_masked(
    console_site: ConsoleSite
) -> None:
    site = console_site
    ticket = push_issue(site, "0101", SubmissionDraft("停车出行", "共享单车堆满人行道",
                                                      public=True))
    supports = [_support(ticket, contact_name="陈志强", contact_phone="13500135000"),
                _support(ticket)]
    for body in supports:
        assert _send(site, "0102", body).json() == {"status": "accepted"}
    page = _issue_page(site, ticket)
    assert '<dd class="supporters">2 人</dd>' in page
    assert "附议（2 人）" in page
    for body in supports:
        assert f'data-ticket="{body["support_ticket"]}"' in page
    assert "陈**" in page and "135****5000" in page
    assert "陈志强" not in page and "13500135000" not in page
    with signed_in_client(site, XFL_STAFF) as client:
        listed = client.get("/console/issues", params={"q": "共享单车"}).text
        assert '<td class="supporters">2</td>' in listed
        revealed = client.post(f"/console/issues/{ticket}/reveal",
                               data={"csrf_token": csrf_of(client.get(
                                   f"/console/issues/{ticket}").text)})
    assert revealed.status_code == 200
    assert "陈志强　13500135000" in revealed.text
    assert site.rows(f"SELECT staff, action FROM audit_events WHERE ticket = '{ticket}'") == [
        (XFL_STAFF.username, "reveal_contact")]
    with signed_in_client(site, HP_STAFF) as client:  # another community's staff
        assert client.get(f"/console/issues/{ticket}").status_code == 404
