"""理事 in the console: the queue, sorting, the six steps, contacts, search, the staff API."""

from __future__ import annotations

import hashlib
import re
import sqlite3

import httpx
from playwright.sync_api import Browser, expect

from server.console.auth import digest
from server.console.issues import PAGE_SIZE
from sync.contract.protocol import API_PREFIX, Step
from sync.contract.ticket import group
from sync.store import Store, SubmissionDraft
from tests import console_support
from tests.conftest import STAFF_HEADERS, drain, sync_worker
from tests.console_support import (
    ADMIN,
    HP_STAFF,
    XFL_STAFF,
    ConsoleSite,
    csrf_of,
    logged_in_page,
    push_issue,
    signed_in_client,
)

console_site, chromium = console_support.console_site, console_support.chromium


def _draft(description: str, *, urgent: bool = False) -> SubmissionDraft:
    return SubmissionDraft("房屋设施与管网", description, place="幸福里3栋2单元", urgent=urgent,
                           contact_name="张秀英", contact_phone="13800138000")


def _audits(site: ConsoleSite, ticket: str) -> list[tuple[str, str]]:
    with sqlite3.connect(site.server.db) as db:
        return list(db.execute("SELECT staff, action FROM audit_events WHERE ticket = ?"
                               " ORDER BY id", (ticket,)))


def test_staff_sort_an_issue_and_move_it_through_the_steps_back_to_the_kiosk(
        console_site: ConsoleSite, chromium: Browser) -> None:
    ticket = push_issue(console_site, "0101", _draft("楼道下水道堵塞，污水漫到门口"))
    urgent = push_issue(console_site, "0102", _draft("电动车在楼道里充电，电线从窗户吊下来",
                                                     urgent=True))
    elsewhere = push_issue(console_site, "0201", _draft("和平社区路灯不亮"))
    page = logged_in_page(chromium, console_site, XFL_STAFF)
    try:
        cards = page.locator("section.card")
        expect(cards.first).to_have_attribute("data-ticket", urgent)  # 急事 first
        card = page.locator(f"#issue-{ticket}")
        expect(card).to_contain_text("楼道下水道堵塞")
        expect(card).to_contain_text("张*")
        expect(card).not_to_contain_text("张秀英")
        expect(card).not_to_contain_text("13800138000")
        expect(page.locator(f"#issue-{elsewhere}")).to_have_count(0)

        card.get_by_label("小事").check()
        card.get_by_label("责任方").fill("幸福里居委会")
        card.locator("input[name=deadline]").fill("2030-06-30")
        card.locator("textarea[name=note]").fill("已受理，列为小事，居委会三日内上门查看")
        card.get_by_role("button", name="分流，转入理事").click()
        expect(page).to_have_url(re.compile(rf"/console/issues/{ticket}\?saved=1$"))
        expect(page.locator("ol.steps li.current")).to_have_text("2. 理事")
        expect(page.locator("dd.affair")).to_have_text("小事")

        steps = [("deliberate", "周五晚上在居委会开议事会，请楼里居民参加"),
                 ("act", "物业已派人疏通，预计本周内完成")]
        for step, note in steps:
            page.locator("form.step-form select[name=step]").select_option(step)
            page.locator("form.step-form textarea[name=note]").fill(note)
            page.get_by_role("button", name="保存并通知说事机").click()
            expect(page.locator("ol.steps li.current")).to_contain_text(Step(step).label)
            expect(page.locator("dd.current-step")).to_contain_text(note)

        form = page.locator("form.step-form")
        form.locator("select[name=outcome_class]").select_option("promised")
        form.locator("textarea[name=note]").fill("承诺月底前换好管道")
        page.get_by_role("button", name="保存并通知说事机").click()
        expect(page.get_by_role("alert")).to_contain_text("承诺件必须填写承诺办结日期")
        form = page.locator("form.step-form")
        form.locator("select[name=step]").select_option("evaluate")
        form.locator("select[name=outcome_class]").select_option("promised")
        form.locator("input[name=promised_date]").fill("2030-07-15")
        final_note = "管道已更换，结果已在公示栏公布，欢迎评价"
        form.locator("textarea[name=note]").fill(final_note)
        page.get_by_role("button", name="保存并通知说事机").click()
        expect(page.locator("dd.outcome")).to_have_text("承诺件（承诺 2030-07-15 前办结）")
        expect(page.locator("ol.steps li.current")).to_have_text("5. 评事")
        history = page.locator("table.history tbody tr")
        expect(history).to_have_count(4)
        expect(history.nth(1)).to_contain_text("周五晚上在居委会开议事会")
        expect(history.nth(3)).to_contain_text(XFL_STAFF.username)

        expect(page.locator("audio")).to_have_count(0)  # no voice note with this one
        expect(page.locator("dd.contact")).not_to_contain_text("13800138000")
        page.get_by_role("button", name="查看联系方式（会记录）").click()
        expect(page.locator("dd.contact")).to_contain_text("张秀英　13800138000")
        expect(page.locator("table.audits")).to_contain_text("查看联系方式")
        expect(page.locator("table.audits")).to_contain_text(XFL_STAFF.username)
    finally:
        page.context.close()
    assert _audits(console_site, ticket) == [(XFL_STAFF.username, "reveal_contact")]

    store = Store(console_site.tmp / "kiosk-0101.db")
    worker = sync_worker(store, console_site.url, console_site.kiosk_keys["0101"], code="0101")
    try:
        assert worker.run_once().error == ""
        back = store.find_by_ticket(ticket)
        assert back is not None
        assert back.step == Step.EVALUATE and back.step_note == final_note
    finally:
        worker.close()
        store.close()


def test_admin_sees_every_community_and_searches(console_site: ConsoleSite,
                                                 chromium: Browser) -> None:
    xfl = push_issue(console_site, "0101", _draft("小区门口垃圾桶满了没人清"))
    hp = push_issue(console_site, "0201", _draft("和平社区菜市场噪音扰民"))
    page = logged_in_page(chromium, console_site, ADMIN)
    try:
        expect(page.locator(f"#issue-{xfl}")).to_have_count(1)
        expect(page.locator(f"#issue-{hp}")).to_have_count(1)
        page.get_by_role("link", name="全部事项").click()
        page.get_by_label("回执号或关键词").fill(group(hp))
        page.get_by_role("button", name="查找").click()
        rows = page.locator("table.issues tbody tr")
        expect(rows).to_have_count(1)
        expect(rows.first).to_contain_text("噪音扰民")
        page.get_by_label("回执号或关键词").fill("")
        page.get_by_label("社区").select_option("xingfuli")
        page.get_by_role("button", name="查找").click()
        expect(page.locator(f"tr[data-ticket='{xfl}']")).to_have_count(1)
        expect(page.locator(f"tr[data-ticket='{hp}']")).to_have_count(0)
    finally:
        page.context.close()


def _post_form(client: httpx.Client, page_path: str, action: str,
               data: dict[str, str]) -> httpx.Response:
    token = csrf_of(client.get(page_path).text)
    return client.post(action, data={**data, "csrf_token": token})


def test_overdue_issues_are_marked_and_found(console_site: ConsoleSite) -> None:
    ticket = push_issue(console_site, "0102", _draft("单元门禁坏了两周"))
    with signed_in_client(console_site, XFL_STAFF) as client:
        reply = _post_form(client, "/console/", f"/console/issues/{ticket}/sort",
                           {"affair_class": "major", "responsible": "街道城管科",
                            "deadline": "2020-01-31", "note": "已转街道"})
        assert reply.status_code == 303
        again = _post_form(client, "/console/", f"/console/issues/{ticket}/sort",
                           {"affair_class": "private", "note": "同时分流"})
        assert again.status_code == 409 and "已经分流过了" in again.text
        assert "已逾期" in client.get(f"/console/issues/{ticket}").text
        found = client.get("/console/issues", params={"overdue": "1"}).text
        assert re.search(rf'<tr class="overdue" data-ticket="{ticket}">', found)
        reply = _post_form(client, f"/console/issues/{ticket}", f"/console/issues/{ticket}/step",
                           {"step": "evaluate", "note": "已修好", "deadline": "2020-01-31"})
        assert reply.status_code == 303
        assert "已逾期" not in client.get(f"/console/issues/{ticket}").text  # 办结
        assert ticket not in client.get("/console/issues", params={"overdue": "1"}).text


def test_search_pages_through_many_issues(console_site: ConsoleSite) -> None:
    store = Store(console_site.tmp / "kiosk-0201.db")
    worker = sync_worker(store, console_site.url, console_site.kiosk_keys["0201"], code="0201")
    try:
        for n in range(PAGE_SIZE + 1):
            store.record_submission(SubmissionDraft("环境卫生", f"分页核对第{n}件"), "0201")
        assert drain(worker, rounds=5, pause_s=0.05).waiting == 0
    finally:
        worker.close()
        store.close()
    with signed_in_client(console_site, HP_STAFF) as client:
        first = client.get("/console/issues", params={"q": "分页核对"}).text
        assert f"共 {PAGE_SIZE + 1} 件" in first and "第 1 / 2 页" in first
        second = client.get("/console/issues", params={"q": "分页核对", "page": "2"}).text
        on_first, on_second = (set(re.findall(r'data-ticket="(\d+)"', p)) for p in (first, second))
        assert len(on_first) == PAGE_SIZE and len(on_second) == 1
        assert not on_first & on_second
        words = client.get("/console/issues", params={"q": "核对第1件"}).text
        assert words.count("data-ticket=") == 1  # the digit in the words is not a ticket search
    with signed_in_client(console_site, XFL_STAFF) as client:
        assert "共 0 件" in client.get("/console/issues", params={"q": "分页核对"}).text


def test_forms_without_the_csrf_token_are_refused(console_site: ConsoleSite) -> None:
    ticket = push_issue(console_site, "0101", _draft("楼顶漏水"))
    with signed_in_client(console_site, XFL_STAFF) as client:
        for action in ("sort", "step", "reveal"):
            reply = client.post(f"/console/issues/{ticket}/{action}",
                                data={"affair_class": "minor", "step": "sort", "note": "x"})
            assert reply.status_code == 403, action
    with sqlite3.connect(console_site.server.db) as db:
        step = db.execute("SELECT step FROM central_submissions WHERE ticket = ?",
                          (ticket,)).fetchone()[0]
    assert step == "say" and _audits(console_site, ticket) == []


def test_community_staff_cannot_reach_another_communitys_issue(
        console_site: ConsoleSite) -> None:
    ticket = push_issue(console_site, "0201", _draft("和平社区井盖松动"))
    with signed_in_client(console_site, XFL_STAFF) as client:
        assert client.get(f"/console/issues/{ticket}").status_code == 404
        assert client.get(f"/console/issues/{ticket}/voice").status_code == 404
        token = csrf_of(client.get("/console/").text)
        for action in ("sort", "step", "reveal"):
            reply = client.post(f"/console/issues/{ticket}/{action}",
                                data={"csrf_token": token, "affair_class": "minor",
                                      "step": "sort", "note": "x"})
            assert reply.status_code == 404, action
        found = client.get("/console/issues", params={"q": ticket}).text
        assert "没有符合条件的事项" in found and f'data-ticket="{ticket}"' not in found
        assert ticket not in client.get("/console/").text
    with signed_in_client(console_site, HP_STAFF) as client:
        assert client.get(f"/console/issues/{ticket}").status_code == 200
    assert _audits(console_site, ticket) == []


def test_voice_note_plays_for_staff_and_is_recorded(console_site: ConsoleSite) -> None:
    ticket = push_issue(console_site, "0102", _draft("录音：楼下烧烤油烟太大"))
    voice = b"RIFF" + bytes(range(256)) * 8
    sha = hashlib.sha256(voice).hexdigest()
    console_site.server.attachments.mkdir(parents=True, exist_ok=True)
    (console_site.server.attachments / sha).write_bytes(voice)
    with sqlite3.connect(console_site.server.db) as db:
        db.execute("INSERT INTO attachments (sha256, kiosk_code, size, received, complete)"
                   " VALUES (?, '0102', ?, ?, 1)", (sha, len(voice), len(voice)))
        db.execute("UPDATE central_submissions SET voice_sha256 = ? WHERE ticket = ?",
                   (sha, ticket))
    with signed_in_client(console_site, XFL_STAFF) as client:
        for page in ("/console/", f"/console/issues/{ticket}"):
            assert f'src="/console/issues/{ticket}/voice"' in client.get(page).text
        reply = client.get(f"/console/issues/{ticket}/voice")
        assert reply.status_code == 200 and reply.content == voice
        assert reply.headers["content-type"] == "audio/wav"
    assert httpx.get(f"{console_site.url}/console/issues/{ticket}/voice",
                     timeout=10).status_code == 303
    assert _audits(console_site, ticket) == [(XFL_STAFF.username, "play_voice")]


def _issue_token(site: ConsoleSite, username: str) -> str:
    token = f"token-of-{username}-7c1e"
    with sqlite3.connect(site.server.db) as db:
        db.execute("INSERT OR IGNORE INTO staff_tokens (token_sha256, username, created_at)"
                   " VALUES (?, ?, '2026-01-01T00:00:00+08:00')", (digest(token), username))
    return token


def test_staff_api_tokens_are_limited_to_their_community(console_site: ConsoleSite) -> None:
    own = push_issue(console_site, "0101", _draft("幸福里健身器材坏了"))
    other = push_issue(console_site, "0201", _draft("和平社区停车难"))
    xfl = {"authorization": f"Bearer {_issue_token(console_site, XFL_STAFF.username)}"}
    admin = {"authorization": f"Bearer {_issue_token(console_site, ADMIN.username)}"}
    body = {"step": "sort", "note": "已受理"}

    def set_status(ticket: str, headers: dict[str, str]) -> int:
        return httpx.post(f"{console_site.url}{API_PREFIX}/staff/tickets/{ticket}/status",
                          json=body, headers=headers, timeout=10).status_code

    assert set_status(other, xfl) == 403
    assert set_status(own, xfl) == 200
    assert set_status(other, admin) == 200
    assert set_status(own, STAFF_HEADERS) == 200
    assert set_status(own, {"authorization": "Bearer not-a-token",
                            "x-forwarded-for": "127.0.0.1"}) == 401
    with sqlite3.connect(console_site.server.db) as db:
        by = {t: [r[0] for r in db.execute(
            "SELECT staff FROM step_notes WHERE ticket = ? ORDER BY id", (t,))]
            for t in (own, other)}
    assert by == {own: [XFL_STAFF.username, None], other: [ADMIN.username]}
    seen = httpx.get(f"{console_site.url}{API_PREFIX}/staff/kiosks", headers=xfl,
                     timeout=10).json()
    assert sorted(k["code"] for k in seen) == ["0101", "0102"]


def test_api_docs_need_sign_in_and_list_the_routes(console_site: ConsoleSite) -> None:
    assert httpx.get(f"{console_site.url}/docs", timeout=10).status_code == 404
    assert httpx.get(f"{console_site.url}/console/api", timeout=10).status_code == 303
    with signed_in_client(console_site, HP_STAFF) as client:
        page = client.get("/console/api").text
        assert f"{API_PREFIX}/staff/tickets/{{ticket}}/status" in page
        assert "SetStatusRequest" in page and "<script" not in page
        spec = client.get("/console/openapi.json").json()
        assert f"{API_PREFIX}/submissions" in spec["paths"]
        assert not any(p.startswith("/console") for p in spec["paths"])
