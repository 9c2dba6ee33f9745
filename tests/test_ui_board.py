"""公示栏, 便民服务 and 说事日程 at the real screen: content published through the server's
staff API appears on the kiosk after one sync round (before it, the screens say nothing has
been pulled yet); a notice and a service slip come out of the printer."""

from __future__ import annotations

import time
from datetime import date, timedelta
from pathlib import Path
from typing import Any

import httpx
import pytest

from device.printer import decoded_text
from sync.contract.protocol import API_PREFIX
from sync.store import Store
from tests.conftest import STAFF_HEADERS, CentralServer, sync_worker
from tests.kiosk_driver import Kiosk
from tests.test_ui_elderly import check_screen, said, write_config

pytestmark = pytest.mark.ui

HOTLINE = "0716-8123456"
LONG_TEXT = ("经居民代表会议表决，同意在3栋北侧设置电动车充电桩60个，由物业公司负责安装和日常管理。"
             "施工时间为12月1日至12月20日，施工期间请居民注意安全，电动车请停放在临时停车区。"
             "充电收费标准按照区里统一规定执行，每度电不超过1元。如有意见，请在公示期内拨打说事热线"
             "或到说事厅反映。")


def _publish(server: CentralServer, kind: str, key: str, body: dict[str, Any]) -> None:
    reply = httpx.put(f"{server.url}{API_PREFIX}/staff/content/{kind}/{key}", json=body,
                      headers=STAFF_HEADERS, timeout=10)
    assert reply.status_code == 200, reply.text


def _publish_all(server: CentralServer, today: date) -> None:
    day = timedelta(days=1)

    def notice(title: str, on: date, text: str, kind: str, label: str,
               expires: date | None = None) -> dict[str, Any]:
        return {"title": title, "text": text, "notice_type": kind, "type_label": label,
                "published_on": on.isoformat(),
                "expires_on": expires.isoformat() if expires else None}

    _publish(server, "notice", f"{today - 2 * day}-aaaaaa",
             notice("充电桩设置议事结果公示", today - 2 * day, LONG_TEXT, "decision",
                    "议事会决定"))
    _publish(server, "notice", f"{today - day}-bbbbbb",
             notice("三栋楼道漏水已修好", today - day, "三栋二单元楼道漏水已于昨天修好。",
                    "result", "办理结果"))
    _publish(server, "notice", f"{today - 20 * day}-cccccc",
             notice("旧的停水通知", today - 20 * day, "已经过期。", "other", "其他",
                    expires=today - day))
    _publish(server, "schedule", "say_day-regular-1", {
        "type": "say_day", "type_label": "说事日", "date": "", "time": "9:00-11:30",
        "place": "社区说事厅", "text": "逢五说事"})
    _publish(server, "schedule", "council-1", {
        "type": "council", "type_label": "议事会", "date": (today + 3 * day).isoformat(),
        "time": "14:30", "place": "二楼会议室", "text": "充电桩设置方案"})
    _publish(server, "schedule", "duty-1", {
        "type": "duty", "type_label": "值班", "date": today.isoformat(), "time": "",
        "place": "", "text": "网格员张三"})
    for key, name, kind in (("svc-1", "管道疏通维修", "维修"), ("svc-2", "家电维修", "维修"),
                            ("svc-3", "社区卫生服务站", "医疗")):
        _publish(server, "directory", key, {"name": name, "phone": "0716-8000001",
                                            "hours": "每天8:00-20:00",
                                            "helps_with": "上门服务", "kind": kind})
    _publish(server, "directory", "svc-old", {"name": "开锁换锁", "phone": "0716-8000110"})


def _buttons(report: dict[str, Any]) -> list[str]:
    return [i["text"] for i in report["items"] if i["kind"] == "button"]


def _texts(report: dict[str, Any]) -> str:
    return "\n".join(i["text"] for i in report["items"])


def _printed(folder: Path, prefix: str) -> str:
    deadline = time.monotonic() + 20
    while time.monotonic() < deadline:
        found = sorted(folder.glob(f"{prefix}-*.bin"))
        if found:
            time.sleep(0.3)  # written whole by the virtual printer
            return decoded_text(found[-1].read_bytes()).replace("\n", "")
        time.sleep(0.2)
    raise AssertionError(f"nothing printed as {prefix}")


def test_the_hall_information_after_one_sync_round(
    tmp_path: Path, server: CentralServer, kiosk_key: str, display: str
) -> None:
    today = date.today()
    _publish_all(server, today)
    config = write_config(tmp_path, server_url=server.url, key=kiosk_key,
                          hall=f'hotline = "{HOTLINE}"')
    shots = tmp_path / "shots"
    kiosk = Kiosk(config, display, tmp_path)
    try:
        # never pulled: the standing 逢五 rule, and it says so
        kiosk.tap("说事日程")
        schedule = kiosk.wait_screen("schedule")
        check_screen(kiosk, 7, shots)
        assert "还没有从街道取到信息" in _texts(schedule)
        assert "还没有从街道取到信息。" in schedule["spoken"]
        assert "逢五说事" in _texts(schedule) and HOTLINE in _texts(schedule)
        kiosk.tap("返回首页")
        kiosk.wait_screen("home")
        kiosk.tap("公示栏")
        empty = kiosk.wait_screen("notices")
        check_screen(kiosk, 7, shots)
        assert "暂时没有公示" in _texts(empty) and "暂时没有公示。" in empty["spoken"]
        assert "打印这条" not in _buttons(empty)
        kiosk.tap("返回首页")
        kiosk.wait_screen("home")

        store = Store(tmp_path / "kiosk.db")  # the sync worker's own process, as on a kiosk
        worker = sync_worker(store, server.url, kiosk_key)
        try:
            assert worker.run_once().error == ""
        finally:
            worker.close()
            store.close()

        kiosk.tap("公示栏")
        notices = kiosk.wait_screen("notices")
        check_screen(kiosk, 7, shots)
        shown = _texts(notices)
        assert "三栋楼道漏水已修好" in shown and "第1条/共2条" in shown  # newest first
        assert "旧的停水通知" not in said(notices)  # expired yesterday
        assert "还没有" not in shown
        assert any("三栋楼道漏水已修好。三栋二单元楼道漏水" in s for s in notices["spoken"])
        kiosk.tap("下一条")
        time.sleep(1)
        second = check_screen(kiosk, 7, shots)
        assert "充电桩设置议事结果公示" in _texts(second)
        assert any(LONG_TEXT in s for s in second["spoken"])  # all of it read aloud
        assert "下一页" in _buttons(second) and "上一条" in _buttons(second)
        kiosk.tap("下一页")
        time.sleep(1)
        page = check_screen(kiosk, 7, shots)
        assert "第2页" in said(page)
        kiosk.tap("打印这条")
        printed = _printed(tmp_path / "receipts", "notice")
        assert "充电桩设置议事结果公示" in printed and "每度电不超过1元" in printed
        assert kiosk.settled()["spoken"][-1] == "正在打印，请取走。"
        kiosk.tap("返回首页")
        kiosk.wait_screen("home")

        kiosk.tap("便民服务")
        kinds = kiosk.wait_screen("services")
        check_screen(kiosk, 7, shots)
        assert [b for b in _buttons(kinds) if b in ("维修", "医疗", "其他")] == \
            ["维修", "医疗", "其他"]
        assert "有：维修，医疗，其他。" in said(kinds)
        kiosk.tap("维修")
        time.sleep(1)
        entry = check_screen(kiosk, 7, shots)
        assert "家电维修" in _texts(entry) and "电话 0716-8000001" in _texts(entry)
        assert any("电话：零七幺六，八零零零零零幺" in s for s in entry["spoken"])
        kiosk.tap("下一个")
        time.sleep(1)
        assert "管道疏通维修" in _texts(kiosk.settled())
        kiosk.tap("打印小票")
        slip = _printed(tmp_path / "receipts", "service")
        assert "管道疏通维修" in slip and "电话：0716-8000001" in slip and HOTLINE in slip
        kiosk.tap("返回")
        time.sleep(1)
        kiosk.tap("其他")
        time.sleep(1)
        assert "开锁换锁" in _texts(kiosk.settled())  # published without a kind
        kiosk.tap("返回首页")
        kiosk.wait_screen("home")

        kiosk.tap("说事日程")
        schedule = kiosk.wait_screen("schedule")
        check_screen(kiosk, 7, shots)
        shown = _texts(schedule)
        assert "充电桩设置方案" in shown and "网格员张三" in shown and "社区说事厅" in shown
        assert "还没有" not in shown
        assert any(s.startswith("下次议事会：") and "充电桩设置方案" in s
                   for s in schedule["spoken"])
        assert "今天值班：网格员张三。" in schedule["spoken"]
    finally:
        kiosk.stop()
