"""公示, 日程, 便民服务 and categories published from the console reach the kiosks of the
community they are for (real server, real kiosk stores and sync rounds), and only those."""

from __future__ import annotations

import re
from typing import Any

import httpx
from playwright.sync_api import Browser, expect

from sync.contract.protocol import API_PREFIX
from sync.inbox import Inbox
from sync.store import Store
from tests import console_support
from tests.conftest import STAFF_HEADERS, sync_worker
from tests.console_support import (
    ADMIN,
    HP_STAFF,
    XFL_STAFF,
    ConsoleSite,
    csrf_of,
    logged_in_page,
    signed_in_client,
)

console_site, chromium = console_support.console_site, console_support.chromium


def _catalog(site: ConsoleSite, kiosk: str, kind: str) -> list[dict[str, Any]]:
    """One real sync round of kiosk ``kiosk`` (its own store, kept for the module); then what
    its store holds of ``kind``."""
    store = Store(site.tmp / f"content-{kiosk}.db")
    try:
        worker = sync_worker(store, site.url, site.kiosk_keys[kiosk], code=kiosk)
        try:
            assert worker.run_once().error == ""
        finally:
            worker.close()
        return Inbox(store).catalog(kind)
    finally:
        store.close()


def _post(client: httpx.Client, page: str, fields: dict[str, str],
          action: str | None = None) -> httpx.Response:
    token = csrf_of(client.get(page).text)
    return client.post(action or page, data={"csrf_token": token, **fields})


def test_community_staff_publish_only_to_their_own_community(console_site: ConsoleSite) -> None:
    notice = {"title": "停水通知", "text": "周三9点到12点停水", "notice_type": "other"}
    with signed_in_client(console_site, XFL_STAFF) as client:
        page = client.get("/console/notices").text
        assert re.findall(r'<option value="(\w*)"', page.split('id="community"')[1]
                          .split("</select>")[0]) == ["xingfuli"]
        for other in ("heping", ""):
            refused = _post(client, "/console/notices", {**notice, "community": other})
            assert refused.status_code == 403
        assert _post(client, "/console/notices",
                     {**notice, "community": "xingfuli"}).status_code == 303
        bad_date = _post(client, "/console/notices", {**notice, "title": "旧通知",
                                                      "expires_on": "2020-13-01",
                                                      "community": "xingfuli"})
        assert bad_date.status_code == 400 and "年-月-日" in bad_date.text
        assert _post(client, "/console/notices", {**notice, "title": "旧通知",
                                                  "expires_on": "2020-01-31",
                                                  "community": "xingfuli"}).status_code == 303
        assert "已过期" in client.get("/console/notices").text
    with signed_in_client(console_site, ADMIN) as client:
        _post(client, "/console/notices", {**notice, "title": "全街道停电检修",
                                           "community": ""})
        key = re.search(r'<tr data-key="([^"]+)">(?:(?!</tr>).)*停水通知',
                        client.get("/console/notices").text, re.DOTALL)
    assert key is not None
    assert {n["title"] for n in _catalog(console_site, "0102", "notice")} >= \
        {"停水通知", "全街道停电检修"}
    assert {n["title"] for n in _catalog(console_site, "0201", "notice")} >= {"全街道停电检修"}
    assert "停水通知" not in {n["title"] for n in _catalog(console_site, "0201", "notice")}
    with signed_in_client(console_site, HP_STAFF) as client:
        assert "停水通知" not in client.get("/console/notices").text
        withdraw = {"kind": "notice", "key": key.group(1), "community": "xingfuli"}
        assert _post(client, "/console/notices", withdraw,
                     "/console/content/withdraw").status_code == 403
    with signed_in_client(console_site, XFL_STAFF) as client:
        assert _post(client, "/console/notices", withdraw,
                     "/console/content/withdraw").status_code == 303
        assert "停水通知" not in client.get("/console/notices").text
    assert "停水通知" not in {n["title"] for n in _catalog(console_site, "0102", "notice")}


def test_schedule_directory_and_categories_in_the_shape_kiosks_read(
    console_site: ConsoleSite,
) -> None:
    with signed_in_client(console_site, XFL_STAFF) as client:
        missing = _post(client, "/console/schedule", {
            "entry_type": "council", "date": "", "text": "充电桩议事会",
            "community": "xingfuli"})
        assert missing.status_code == 400 and "要填写日期" in missing.text
        for page, fields in (
            ("/console/schedule", {"entry_type": "say_day", "date": "", "time": "9:00-11:30",
                                   "place": "社区说事厅", "text": "逢五说事：每月5日、15日、25日"}),
            ("/console/schedule", {"entry_type": "council", "date": "2026-12-11",
                                   "time": "14:30", "place": "二楼会议室",
                                   "text": "充电桩设置方案"}),
            ("/console/schedule/directory", {"name": "管道疏通维修", "phone": "0716-8123456",
                                             "hours": "每天8:00-20:00",
                                             "helps_with": "下水道堵塞、水管漏水"}),
            ("/console/categories", {"name": "环境卫生", "order": "1",
                                     "phrases": "垃圾没有及时清运\n\n楼道堆放杂物\n"}),
        ):
            reply = _post(client, page, {**fields, "community": "xingfuli"})
            assert reply.status_code == 303, reply.text
        assert "逢五说事" in client.get("/console/schedule").text
        assert "管道疏通维修" in client.get("/console/schedule/directory").text
    schedule = _catalog(console_site, "0101", "schedule")
    assert {(s["type"], s["type_label"], s["date"]) for s in schedule} == {
        ("say_day", "说事日", ""), ("council", "议事会", "2026-12-11")}
    assert _catalog(console_site, "0101", "directory") == [{
        "name": "管道疏通维修", "phone": "0716-8123456", "hours": "每天8:00-20:00",
        "helps_with": "下水道堵塞、水管漏水", "kind": "其他"}]
    assert _catalog(console_site, "0101", "category") == [
        {"name": "环境卫生", "phrases": ["垃圾没有及时清运", "楼道堆放杂物"], "order": 1}]
    assert _catalog(console_site, "0201", "category") == []


def test_a_community_version_wins_and_withdrawing_it_brings_back_the_shared_one(
    console_site: ConsoleSite,
) -> None:
    shared = {"name": "停车出行", "order": "2", "phrases": "乱停车", "community": ""}
    with signed_in_client(console_site, ADMIN) as client:
        assert _post(client, "/console/categories", shared).status_code == 303
    with signed_in_client(console_site, HP_STAFF) as client:
        own = {**shared, "phrases": "电动车占用消防通道", "community": "heping"}
        assert _post(client, "/console/categories", own).status_code == 303
        edit = client.get("/console/categories?edit=停车出行&community=heping").text
        assert "电动车占用消防通道</textarea>" in edit
        from_shared = client.get("/console/categories?edit=停车出行&community=").text
        assert "乱停车</textarea>" in from_shared and "本社区另设" in from_shared
    phrases = {c["name"]: c["phrases"] for c in _catalog(console_site, "0201", "category")}
    assert phrases["停车出行"] == ["电动车占用消防通道"]
    assert {c["name"]: c["phrases"] for c in _catalog(console_site, "0102", "category")
            }["停车出行"] == ["乱停车"]
    with signed_in_client(console_site, HP_STAFF) as client:
        reply = _post(client, "/console/categories", {
            "kind": "category", "key": "停车出行", "community": "heping"},
            "/console/content/withdraw")
        assert reply.status_code == 303
    phrases = {c["name"]: c["phrases"] for c in _catalog(console_site, "0201", "category")}
    assert phrases["停车出行"] == ["乱停车"]


def test_a_service_has_a_kind_chosen_in_the_form_and_old_ones_read_as_other(
    console_site: ConsoleSite,
) -> None:
    old = {"name": "开锁换锁", "phone": "0716-8000110", "hours": "", "helps_with": "钥匙丢了"}
    assert httpx.put(f"{console_site.url}{API_PREFIX}/staff/content/directory/old-lock",
                     params={"community": "heping"}, json=old, headers=STAFF_HEADERS,
                     timeout=10).status_code == 200
    with signed_in_client(console_site, HP_STAFF) as client:
        page = client.get("/console/schedule/directory").text
        kinds = re.findall(r'<option value="([^"]*)"', page.split('id="kind"')[1]
                           .split("</select>")[0])
        assert kinds == ["维修", "家政", "医疗", "法律", "养老", "其他"]
        fields = {"name": "社区卫生服务站", "phone": "0716-8222333", "hours": "8:00-17:00",
                  "helps_with": "量血压、开药", "community": "heping"}
        refused = _post(client, "/console/schedule/directory", {**fields, "kind": "美食"})
        assert refused.status_code == 400 and "请选择服务类别" in refused.text
        assert 'value="社区卫生服务站"' in refused.text  # what was typed is kept
        assert _post(client, "/console/schedule/directory",
                     {**fields, "kind": "医疗"}).status_code == 303
        rows = re.findall(r"<tr data-key[^>]*>\s*<td><strong>([^<]+)</strong></td>"
                          r"\s*<td>([^<]+)</td>", client.get("/console/schedule/directory").text)
        assert ("社区卫生服务站", "医疗") in rows and ("开锁换锁", "其他") in rows
        # listed in the kiosk's order of kinds: 医疗 before 其他
        assert rows.index(("社区卫生服务站", "医疗")) < rows.index(("开锁换锁", "其他"))
    got = {d["name"]: d for d in _catalog(console_site, "0201", "directory")}
    assert got["社区卫生服务站"]["kind"] == "医疗"
    assert "kind" not in got["开锁换锁"]  # passed through as published; the kiosk reads 其他


def test_the_staff_api_publishes_through_the_same_list(console_site: ConsoleSite) -> None:
    body = {"name": "家电维修", "phone": "12345", "hours": "", "helps_with": "空调、洗衣机"}
    reply = httpx.put(f"{console_site.url}{API_PREFIX}/staff/content/directory/appliance",
                      params={"community": "heping"}, json=body, headers=STAFF_HEADERS,
                      timeout=10)
    assert reply.status_code == 200
    with signed_in_client(console_site, HP_STAFF) as client:
        assert "家电维修" in client.get("/console/schedule/directory").text
    assert body in _catalog(console_site, "0201", "directory")
    assert body not in _catalog(console_site, "0101", "directory")
    nowhere = httpx.put(f"{console_site.url}{API_PREFIX}/staff/content/directory/x",
                        params={"community": "nosuch"}, json=body, headers=STAFF_HEADERS,
                        timeout=10)
    assert nowhere.status_code == 404


def test_a_notice_published_in_the_browser_reaches_that_communitys_kiosk(
    console_site: ConsoleSite, chromium: Browser,
) -> None:
    title = "充电桩设置议事结果公示"
    page = logged_in_page(chromium, console_site, ADMIN)
    try:
        page.goto("/console/notices")
        page.select_option("#notice_type", "decision")
        page.select_option("#community", "xingfuli")
        page.fill("#title", title)
        page.fill("#text", "经居民代表会议表决，同意在3栋北侧设置电动车充电桩60个。")
        page.fill("#expires_on", "2026-12-31")
        page.click("#notice-form button[type=submit]")
        expect(page.locator(".flash")).to_contain_text("已发布")
        row = page.locator("#published tr", has_text=title)
        expect(row).to_contain_text("幸福里社区")
        expect(row).to_contain_text("议事会决定")
        got = [n for n in _catalog(console_site, "0101", "notice") if n["title"] == title]
        assert len(got) == 1
        assert got[0]["text"].startswith("经居民代表会议表决")
        assert (got[0]["notice_type"], got[0]["type_label"], got[0]["expires_on"]) == \
            ("decision", "议事会决定", "2026-12-31")
        assert title not in {n["title"] for n in _catalog(console_site, "0201", "notice")}

        row.locator("summary", has_text="撤下").click()
        row.get_by_role("button", name=re.compile("确定撤下")).click()
        expect(page.locator(".flash")).to_contain_text("已撤下")
        expect(page.locator("#published")).not_to_contain_text(title)
    finally:
        page.context.close()
    assert title not in {n["title"] for n in _catalog(console_site, "0101", "notice")}
