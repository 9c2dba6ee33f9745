"""The hall's information read from a real kiosk store (catalog rows written through
Inbox.apply, as the sync worker writes them): notices newest first without the expired
ones, services by kind, the next 说事日 and 议事会, today's 值班, how old it all is, and
the printed copy and slip."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, date, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest

from device.printer import decoded_text, encode_receipt, get_profile
from device.printer.glyphs import GlyphSource
from kiosk import board
from kiosk.fonts import find_cjk_font
from kiosk.receipt import HallText
from kiosk.slips import notice_copy, service_slip
from sync.contract.protocol import Change
from sync.store import Store

TODAY = date(2026, 11, 29)  # a Sunday
HALL = HallText("幸福里社区", "幸福里说事厅", "0716-8123456")


@pytest.fixture
def store(tmp_path: Path) -> Iterator[Store]:
    opened = Store(tmp_path / "kiosk.db")
    yield opened
    opened.close()


def _apply(store: Store, kind: str, rows: dict[str, dict[str, Any]]) -> None:
    from sync.inbox import Inbox

    inbox = Inbox(store)
    seq = inbox.cursor()
    changes = [Change(seq=seq + n + 1, kind=kind, key=key, body=body)  # type: ignore[arg-type]
               for n, (key, body) in enumerate(rows.items())]
    inbox.apply(changes, seq + len(changes))


def _notice(title: str, published_on: date | None, expires_on: date | None = None,
            notice_type: str = "result", text: str = "正文") -> dict[str, Any]:
    body: dict[str, Any] = {"title": title, "text": text, "notice_type": notice_type,
                            "expires_on": expires_on.isoformat() if expires_on else None}
    if published_on is not None:
        body["published_on"] = published_on.isoformat()
    return body


def test_notices_newest_first_without_the_expired(store: Store) -> None:
    day = timedelta(days=1)
    _apply(store, "notice", {
        "2026-11-20-aaaaaa": _notice("议事会决定充电桩", TODAY - 9 * day, notice_type="decision"),
        "2026-11-28-bbbbbb": _notice("三栋漏水已修好", TODAY - day),
        "2026-11-28-cccccc": _notice("十月满意率", TODAY - day, notice_type="monthly"),
        "2026-11-01-dddddd": _notice("旧的停水通知", TODAY - 28 * day, TODAY - day),
        "2026-11-02-eeeeee": _notice("今天最后一天", TODAY - 27 * day, TODAY),
        "2026-11-01": {"title": "接口发布的公示", "text": "没有日期和类别"},
    })
    shown = board.notices(board.catalog(store, "notice"), TODAY)
    # same day: the later key first; a notice without a date last; expired yesterday: gone
    assert [n.title for n in shown] == ["十月满意率", "三栋漏水已修好", "议事会决定充电桩",
                                        "今天最后一天", "接口发布的公示"]
    assert [n.type_label for n in shown] == ["月度数据", "办理结果", "议事会决定", "办理结果",
                                             "其他"]
    tomorrow = board.notices(board.catalog(store, "notice"), TODAY + day)
    assert "今天最后一天" not in {n.title for n in tomorrow} and len(tomorrow) == 4
    said = board.notice_said(shown[1])
    assert said == "办理结果。11月28日发布。三栋漏水已修好。正文"


def test_a_long_text_is_paged_at_sentence_ends() -> None:
    text = "经居民代表会议表决，同意设置充电桩。" * 12
    pages = board.text_pages(text, 40)
    assert "".join(pages) == text
    assert all(len(p) <= 40 for p in pages) and len(pages) > 4
    assert all(p.endswith("。") for p in pages)
    assert board.text_pages("", 40) == [""]
    assert board.text_pages("一二三四五六七八九十", 4) == ["一二三四", "五六七八", "九十"]


def test_services_by_kind_old_entries_read_as_other(store: Store) -> None:
    _apply(store, "directory", {
        "svc-1": {"name": "管道疏通维修", "phone": "0716-8000001", "hours": "8:00-20:00",
                  "helps_with": "下水道堵塞", "kind": "维修"},
        "svc-2": {"name": "家电维修", "phone": "13800138000", "hours": "", "helps_with": "",
                  "kind": "维修"},
        "svc-3": {"name": "社区卫生服务站", "phone": "12345", "kind": "医疗"},
        "svc-4": {"name": "开锁换锁", "phone": "0716-8000110"},
        "svc-5": {"name": "看不懂的类别", "phone": "1", "kind": "美食"},
    })
    grouped = board.services_by_kind(board.catalog(store, "directory"))
    assert list(grouped) == ["维修", "医疗", "其他"]
    assert [s.name for s in grouped["维修"]] == sorted(["管道疏通维修", "家电维修"])
    assert {s.name for s in grouped["其他"]} == {"开锁换锁", "看不懂的类别"}
    said = board.service_said(grouped["维修"][1])
    assert said == ("管道疏通维修。电话：零七幺六，八零零零零零幺。服务时间：8:00-20:00。"
                    "能帮您：下水道堵塞。")
    assert board.phone_said("138 0013 8000") == "幺三八，零零幺三，八零零零"


def _schedule(kind: str, on: date | None, text: str, time: str = "",
              place: str = "") -> dict[str, Any]:
    return {"type": kind, "date": on.isoformat() if on else "", "time": time, "place": place,
            "text": text}


def test_next_say_day_council_and_todays_duty(store: Store) -> None:
    day = timedelta(days=1)
    _apply(store, "schedule", {
        "say_day-regular-a": _schedule("say_day", None, "逢五说事：每月5日、15日、25日",
                                       "9:00-11:30", "社区说事厅"),
        "council-past-b": _schedule("council", TODAY - day, "已经开过的议事会"),
        "council-c": _schedule("council", TODAY + 12 * day, "晚些的议事会", "14:30"),
        "council-d": _schedule("council", TODAY + 3 * day, "充电桩设置方案", "14:30",
                               "二楼会议室"),
        "duty-e": _schedule("duty", TODAY, "网格员张三", "上午"),
        "duty-f": _schedule("duty", TODAY + day, "明天的值班"),
    })
    entries = board.catalog(store, "schedule")
    say_day = board.next_say_day_from(entries, TODAY)
    assert say_day.day == date(2026, 12, 5)
    assert say_day.meeting is not None and say_day.meeting.place == "社区说事厅"
    assert board.next_say_day_from(entries, date(2026, 12, 15)).day == date(2026, 12, 15)
    council = board.next_council(entries, TODAY)
    assert council is not None and council.text == "充电桩设置方案"
    assert [d.text for d in board.duty_today(entries, TODAY)] == ["网格员张三"]
    assert board.when_text(date(2026, 12, 2), TODAY, "14:30") == "12月2日 星期三 14:30"
    assert board.when_text(TODAY, TODAY) == "今天 11月29日 星期日"


def test_say_day_rules_and_the_standing_fallback() -> None:
    assert board.say_days_of_month("逢五说事") == {5, 15, 25}
    assert board.say_days_of_month("逢十") == {10, 20, 30}
    assert board.say_days_of_month("每月1号、16号") == {1, 16}
    assert board.say_days_of_month("每周三下午") == set()
    # a published one-off day wins over a later regular one
    once = [_schedule("say_day", date(2026, 12, 1), "临时说事日"),
            _schedule("say_day", None, "逢五说事")]
    assert board.next_say_day_from(once, TODAY).day == date(2026, 12, 1)
    # nothing published (or a rule naming no day): the hall's 5th, 15th and 25th
    fallback = board.next_say_day_from([_schedule("say_day", None, "每周三下午")], TODAY)
    assert (fallback.day, fallback.meeting) == (date(2026, 12, 5), None)
    assert board.next_say_day_from([], date(2026, 12, 25)).day == date(2026, 12, 25)


def test_how_old_from_the_sync_state(store: Store) -> None:
    now = datetime(2026, 11, 29, 10, 0, tzinfo=UTC)
    assert board.age_text(board.last_pulled(store), now) == "还没有从街道取到信息"
    store.set_state(last_success=(now - timedelta(hours=20)).isoformat())
    assert board.age_text(board.last_pulled(store), now) == ""
    store.set_state(last_success=(now - timedelta(days=3, hours=2)).isoformat())
    assert board.age_text(board.last_pulled(store), now) == "信息更新于3天前"


def test_the_printed_copy_and_slip_hold_what_was_shown() -> None:
    profile = get_profile("generic-58-gb18030")
    glyphs = GlyphSource([find_cjk_font()])
    notice = board.notice_of(_notice("充电桩设置议事结果公示", TODAY, TODAY + timedelta(days=30),
                                     "decision", "经居民代表会议表决，同意设置充电桩60个。\n"
                                     "施工期间请注意安全。"))
    printed = decoded_text(encode_receipt(
        notice_copy(notice, HALL, printed_at=datetime(2026, 11, 29, 9, 30),
                    columns=profile.columns), profile, glyphs))
    flat = printed.replace("\n", "")
    assert "充电桩设置议事结果公示" in flat and "议事会决定" in flat
    assert "同意设置充电桩60个" in flat and "施工期间请注意安全" in flat
    assert "公示至 2026年12月29日" in flat and "0716-8123456" in flat
    assert all(len(line.encode("gb18030")) <= profile.columns for line in printed.splitlines())
    service = board.service_of({"name": "管道疏通维修", "phone": "0716-8000001",
                                "hours": "每天8:00-20:00", "kind": "维修"})
    slip = decoded_text(encode_receipt(
        service_slip(service, HALL, printed_at=datetime(2026, 11, 29, 9, 30),
                     columns=profile.columns), profile, glyphs)).replace("\n", "")
    assert "管道疏通维修" in slip and "电话：0716-8000001" in slip
    assert "服务时间：每天8:00-20:00" in slip and "幸福里说事厅" in slip
