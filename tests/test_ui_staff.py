"""Staff mode on the real kiosk under Xvfb, with real X pointer events: a long press in the
home screen's corner, a wrong PIN refused and nothing said, the right PIN, 补打回执 into the
virtual printer (typed, then scanned), the sync queue, and 代录说事: an issue phoned in,
entered on the resident's screens with the channel and the staff member recorded."""

from __future__ import annotations

import sqlite3
import time
from pathlib import Path
from typing import Any

import pytest

from device.printer.decode import decoded_text
from kiosk.staff_mode import hash_pin
from sync.contract.ticket import group
from tests.conftest import shuoshi
from tests.kiosk_driver import Kiosk
from tests.test_ui_elderly import check_screen, write_config

pytestmark = pytest.mark.ui

PIN = "246810"
CORNER = ("790", "10")  # inside the invisible square at the top right of the 800×480 window


def _type(kiosk: Kiosk, digits: str) -> None:
    for digit in digits:
        kiosk.tap(digit)


def _wait_file(path: Path, timeout: float = 20) -> bytes:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if path.exists() and path.stat().st_size > 0:
            time.sleep(0.3)  # the virtual printer writes it in one go; let it finish
            return path.read_bytes()
        time.sleep(0.2)
    raise AssertionError(f"{path.name} was never printed")


def _white_blobs(kiosk: Kiosk, report: dict[str, Any]) -> int:
    """Runs of white across the middle of the band between the message and the keys."""
    keys_top = min(item["box"][1] for item in report["items"] if item["text"] == "1")
    message = next(item for item in report["items"] if item["text"] == "请输入工作人员密码")
    row = (message["box"][1] + message["box"][3] + keys_top) // 2
    shot = kiosk.screenshot().convert("L")
    width = report["window"][0]
    white = [shot.getpixel((x, row)) > 200 for x in range(width)]  # type: ignore[operator]
    return sum(1 for x in range(1, width) if white[x] and not white[x - 1])


def test_staff_mode_from_the_corner_to_a_reprint(tmp_path: Path, display: str) -> None:
    config = write_config(tmp_path, screen="diagonal_inches = 7.0\nwidth = 800\nheight = 480")
    with config.open("a", encoding="utf-8") as f:
        f.write('[scanner]\nkind = "keyboard"\n')
        f.write(f'[staff]\npin_hash = "{hash_pin(PIN)}"\nmembers = ["王丽", "李强"]\n')
    made = shuoshi("submit", "--config", str(config), "--category", "环境卫生",
                   "--description", "楼道堆放杂物")
    assert made.returncode == 0, made.stdout + made.stderr
    ticket = made.stdout.split()[1]
    kiosk = Kiosk(config, display, tmp_path)
    try:
        home = kiosk.settled()
        kiosk.tap_at(int(CORNER[0]), int(CORNER[1]))  # a resident's brief touch: nothing
        time.sleep(3.5)
        assert kiosk.settled()["screen"] == "home"

        kiosk.xdotool("mousemove", *CORNER)
        kiosk.xdotool("mousedown", "1")
        time.sleep(3.5)
        kiosk.xdotool("mouseup", "1")
        pin_screen = kiosk.wait_screen("staff_pin")
        said_before = pin_screen["spoken"]

        _type(kiosk, "1357")
        typed = kiosk.settled()
        texts = [item["text"] for item in typed["items"]]
        assert not any("1357" in t or "●" in t for t in texts)  # the digits are drawn dots
        check_screen(kiosk, 7.0, tmp_path / "shots")
        assert _white_blobs(kiosk, pin_screen) == 4  # one dot a digit
        kiosk.tap("确定")
        refused = kiosk.settled()
        assert refused["screen"] == "staff_pin"
        assert "密码不对，请再试" in [item["text"] for item in refused["items"]]
        assert refused["spoken"] == said_before == home["spoken"]  # the PIN screen says nothing

        _type(kiosk, PIN)
        kiosk.tap("确定")
        menu = kiosk.wait_screen("staff_menu")
        assert menu["spoken"] == said_before
        check_screen(kiosk, 7.0, tmp_path / "shots")

        kiosk.tap("补打回执")
        kiosk.wait_screen("staff_reprint")
        _type(kiosk, ticket)
        kiosk.tap("确定")
        reprint = decoded_text(_wait_file(tmp_path / "receipts" / f"reprint-{ticket}.bin"))
        assert "补打" in reprint and ticket[:4] in reprint

        kiosk.tap("返回菜单")
        kiosk.wait_screen("staff_menu")
        kiosk.tap("同步")
        sync = kiosk.wait_screen("staff_info")
        texts = "\n".join(item["text"] for item in sync["items"])
        assert "等待发送：1 件" in texts and "隔离：0 件" in texts
        check_screen(kiosk, 7.0, tmp_path / "shots")
        kiosk.tap("下一页")  # three lines a page
        time.sleep(0.3)
        texts = "\n".join(item["text"] for item in kiosk.settled()["items"])
        assert "最近错误：无" in texts and "等待发送" not in texts

        kiosk.tap("返回菜单")
        kiosk.wait_screen("staff_menu")
        kiosk.xdotool("mousemove", "400", "240")  # the window under the pointer has focus
        kiosk.xdotool("key", "--delay", "4", *ticket, "Return")  # a scanner typing it in
        scanned = kiosk.wait_screen("staff_reprint")
        assert f"已补打 {group(ticket)}" in [item["text"] for item in scanned["items"]]
        assert kiosk.output().count(f"STAFF REPRINT {ticket}") == 2

        kiosk.tap("返回菜单")
        kiosk.wait_screen("staff_menu")
        kiosk.tap("代录说事")
        assisted = kiosk.wait_screen("staff_assisted")
        assert "录入人：王丽" in [item["text"] for item in assisted["items"]]
        check_screen(kiosk, 7.0, tmp_path / "shots")
        kiosk.tap("换人")
        time.sleep(0.3)
        assert "录入人：李强" in [item["text"] for item in kiosk.settled()["items"]]
        kiosk.tap("电话说")
        kiosk.wait_screen("category")
        kiosk.choose("环境卫生")
        kiosk.wait_screen("phrase")
        kiosk.choose("其他")
        confirm = kiosk.skip_details()
        assert any("电话说，李强代录" in item["text"] for item in confirm["items"])
        kiosk.tap("提交")
        done = kiosk.wait_screen("done")
        assert "已代录，请把号码告诉来电居民" in [item["text"] for item in done["items"]]
        with sqlite3.connect(tmp_path / "kiosk.db") as conn:
            assert conn.execute("SELECT channel, entered_by FROM submissions WHERE ticket != ?",
                                (ticket,)).fetchall() == [("staff_phone", "李强")]

        out = kiosk.output()
        assert "STAFF PIN WRONG" in out and "STAFF OPEN" in out and "ASSISTED staff_phone" in out
        assert "1357" not in out and PIN not in out and "李强" not in out
    finally:
        kiosk.stop()
