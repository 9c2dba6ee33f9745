"""The story of a ticket (查事): what a kiosk reads with GET /tickets/{ticket} and what the feed
brings the kiosk that took it after each change: the issue, the date each step was first
reached, 三事 class, outcome class and promised date, who handles it, staff's reply in full,
附议 count and latest rating, never the contact. Staff work through the console's forms. One
server for the module, on SQLite and on PostgreSQL."""

from __future__ import annotations

from datetime import datetime
from typing import Any

import httpx

from sync.contract.protocol import API_PREFIX, ChangePage, StatusUpdate, TicketStatus
from sync.store import SubmissionDraft
from tests import console_support
from tests.conftest import STAFF_HEADERS
from tests.console_support import XFL_STAFF, ConsoleSite, csrf_of, push_issue, signed_in_client

console_site = console_support.console_site_on_both
module_db_url = console_support.module_db_url
REPLY = ("已列为小事。物业公司周三上午派电工更换楼道灯，"
         "如周四晚上还不亮，请拨打物业电话或再来说事厅。" * 3)  # long: told in full


def _console_form(site: ConsoleSite, ticket: str, action: str, form: dict[str, str]) -> None:
    with signed_in_client(site, XFL_STAFF) as client:
        csrf = csrf_of(client.get(f"/console/issues/{ticket}").text)
        reply = client.post(f"/console/issues/{ticket}/{action}",
                            data={**form, "csrf_token": csrf})
    assert reply.status_code == 303, reply.text


def _read(site: ConsoleSite, kiosk: str, ticket: str) -> TicketStatus:
    with site.server.signed_client(kiosk, site.kiosk_keys[kiosk]) as client:
        reply = client.get(f"{API_PREFIX}/tickets/{ticket}")
    assert reply.status_code == 200, reply.text
    assert "张秀英" not in reply.text and "13800138000" not in reply.text
    return TicketStatus.model_validate_json(reply.content)


def _last_status(site: ConsoleSite, kiosk: str, ticket: str) -> StatusUpdate:
    with site.server.signed_client(kiosk, site.kiosk_keys[kiosk]) as client:
        page = ChangePage.model_validate_json(
            client.get(f"{API_PREFIX}/changes", params={"since": 0, "limit": 500}).content)
    bodies = [c.body for c in page.changes if c.kind == "status" and c.key == ticket]
    assert bodies, "no status change"
    assert "张秀英" not in str(bodies) and "13800138000" not in str(bodies)
    return StatusUpdate.model_validate(bodies[-1])


def _story_fields(status: TicketStatus | StatusUpdate) -> dict[str, Any]:
    return status.model_dump(exclude={"seq", "uuid", "category", "support_ticket"})


def _draft(description: str) -> SubmissionDraft:
    return SubmissionDraft("房屋设施与管网", description, place="幸福里7栋1单元",
                           contact_name="张秀英", contact_phone="13800138000")


def test_the_story_tells_steps_classes_who_and_the_reply_in_full(
    console_site: ConsoleSite
) -> None:
    site = console_site
    ticket = push_issue(site, "0101", _draft("楼道灯坏了一个月，晚上看不见台阶"))
    raised = _read(site, "0102", ticket)  # another kiosk of the same community reads it
    assert (raised.step, raised.description, raised.place) == (
        "say", "楼道灯坏了一个月，晚上看不见台阶", "幸福里7栋1单元")
    assert [s.step for s in raised.steps] == ["say"]
    assert (raised.affair_class, raised.outcome_class, raised.promised_date) == (None,) * 3
    assert (raised.supporters, raised.rating, raised.public) == (0, None, False)

    _console_form(site, ticket, "sort", {"affair_class": "minor", "responsible": "幸福里物业公司",
                                         "deadline": "2030-05-10", "note": REPLY})
    sorted_ = _read(site, "0101", ticket)
    assert (sorted_.step, sorted_.affair_class, sorted_.responsible, sorted_.note) == (
        "sort", "minor", "幸福里物业公司", REPLY)
    assert _story_fields(_last_status(site, "0101", ticket)) == _story_fields(sorted_)

    _console_form(site, ticket, "step", {
        "step": "act", "outcome_class": "promised", "promised_date": "2030-05-08",
        "responsible": "幸福里物业公司", "deadline": "2030-05-10", "note": ""})
    acting = _read(site, "0101", ticket)
    assert [s.step for s in acting.steps] == ["say", "sort", "act"]  # 议事 was skipped
    assert (acting.outcome_class, str(acting.promised_date)) == ("promised", "2030-05-08")
    assert acting.note == REPLY  # moved on without a note: the last reply still stands
    assert _story_fields(_last_status(site, "0101", ticket)) == _story_fields(acting)
    history = site.rows(f"SELECT step, at FROM step_notes WHERE ticket = '{ticket}' "
                        "ORDER BY id")
    reached = {s.step.value: s.at for s in acting.steps}
    assert reached["say"] == datetime.fromisoformat(
        site.rows(f"SELECT created_at FROM central_submissions WHERE ticket = '{ticket}'")[0][0])
    assert [(step, datetime.fromisoformat(at)) for step, at in history] == [
        ("sort", reached["sort"]), ("act", reached["act"])]


def test_a_step_gone_back_from_is_no_longer_told_and_the_first_date_stays(
    console_site: ConsoleSite
) -> None:
    site = console_site
    ticket = push_issue(site, "0101", _draft("单元门禁坏了"))

    def move(step: str, note: str) -> None:
        reply = httpx.post(f"{site.url}{API_PREFIX}/staff/tickets/{ticket}/status",
                           json={"step": step, "note": note}, headers=STAFF_HEADERS,
                           timeout=10)
        assert reply.status_code == 200, reply.text
        assert _story_fields(TicketStatus.model_validate_json(reply.content)) == \
            _story_fields(_read(site, "0101", ticket))

    move("sort", "已受理")
    move("deliberate", "周五议事会商量")
    first_deliberate = _read(site, "0101", ticket).steps[-1].at
    move("act", "已派人维修")
    move("deliberate", "维修方案要重新商量")  # back to 议事
    story = _read(site, "0101", ticket)
    assert [s.step for s in story.steps] == ["say", "sort", "deliberate"]
    assert story.steps[-1].at == first_deliberate
    assert story.note == "维修方案要重新商量"
    assert _story_fields(_last_status(site, "0101", ticket)) == _story_fields(story)
