"""查进度 at the real screen: a slow centre, a centre that cannot be reached, a number nobody
knows, and HTTPS with a private CA — tapped with real X pointer events."""

from __future__ import annotations

import time
from pathlib import Path

import pytest

from server.provision import add_community, add_kiosk, move_kiosk
from sync.contract.ticket import make_ticket
from tests.conftest import CentralServer
from tests.faults import FaultProxy
from tests.kiosk_driver import Kiosk
from tests.test_ui_elderly import check_screen, write_config

pytestmark = pytest.mark.ui


def _type_and_search(kiosk: Kiosk, ticket: str) -> None:
    kiosk.tap("查进度")
    kiosk.wait_screen("lookup")
    for digit in ticket:
        kiosk.tap(digit)
        time.sleep(0.45)
    kiosk.tap("查询")


def test_a_slow_answer_never_pulls_the_next_resident_away(
    tmp_path: Path, server: CentralServer, held_ticket: str, display: str
) -> None:
    key = server.provision("0043")  # this kiosk did not make the ticket: it must ask
    add_community(f"sqlite:///{server.db}", "xingfuli", "幸福里社区")  # and reads its community's
    for code in ("0042", "0043"):
        move_kiosk(f"sqlite:///{server.db}", code, "xingfuli")
    with FaultProxy(target_port=server.port, choose=lambda: "delay", delay_s=4.0) as slow:
        config = write_config(tmp_path, server_url=slow.url, key=key, code="0043")
        kiosk = Kiosk(config, display, tmp_path)
        try:
            _type_and_search(kiosk, held_ticket)  # the resident waits: the answer comes
            status = kiosk.wait_screen("status", timeout=15)
            assert any(held_ticket[:4] in i["text"] for i in status["items"])
            assert "您的事项当前在理事阶段。" in status["spoken"]
            # the story's first page: what the issue was and where, shown and said
            shown = [i["text"] for i in status["items"]]
            assert "类别：房屋设施与管网" in shown and "地点：幸福里3栋" in shown
            assert "地点：幸福里3栋。" in status["spoken"]
            kiosk.tap("返回首页")
            kiosk.wait_screen("home")

            _type_and_search(kiosk, held_ticket)  # this one gives up and starts anew
            time.sleep(0.5)
            kiosk.tap("返回")
            kiosk.wait_screen("home")
            kiosk.tap("我要说事")
            kiosk.wait_screen("category")
            time.sleep(6)  # the answer arrives meanwhile
            assert kiosk.settled()["screen"] == "category"
        finally:
            kiosk.stop()


@pytest.mark.parametrize(("centre", "shown", "said_first", "outcome"), [
    ("closed", "连不上", "现在连不上", "UNREACHABLE"),
    ("answering", "没有找到", "没有找到这个号码", "NOT_FOUND"),
])
def test_cannot_reach_the_centre_is_not_no_such_number(
    tmp_path: Path, server: CentralServer, display: str, centre: str, shown: str,
    said_first: str, outcome: str
) -> None:
    key = server.provision("0043")
    url = server.url if centre == "answering" else "http://127.0.0.1:9"
    kiosk = Kiosk(write_config(tmp_path, server_url=url, key=key, code="0043"), display,
                  tmp_path)
    try:
        _type_and_search(kiosk, make_ticket("0042", 4321))  # a number nobody gave out
        time.sleep(1)
        report = check_screen(kiosk, 7, tmp_path / "shots")
        assert any(shown in i["text"] for i in report["items"])
        assert report["spoken"][-1].startswith(said_first)
        assert f"LOOKUP {outcome}" in kiosk.output()
    finally:
        kiosk.stop()


def test_a_mistyped_number_is_said_not_only_shown(tmp_path: Path, display: str) -> None:
    right = make_ticket("0042", 7)
    wrong = right[:-1] + str((int(right[-1]) + 1) % 10)
    kiosk = Kiosk(write_config(tmp_path), display, tmp_path)
    try:
        _type_and_search(kiosk, wrong)
        time.sleep(1)
        report = check_screen(kiosk, 7, tmp_path / "shots")
        assert report["spoken"][-2:] == ["查询", "号码有误，请对照回执再输一遍。"]
        kiosk.tap("删除")
        time.sleep(0.5)
        kiosk.tap("查询")
        time.sleep(1)
        report = check_screen(kiosk, 7, tmp_path / "shots")
        assert report["spoken"][-1] == "号码是十位数字，请输完整。"
    finally:
        kiosk.stop()


def test_lookup_through_https_with_a_private_ca(
    tmp_path: Path, https_server: tuple[str, Path, Path], display: str
) -> None:
    url, ca_file, db = https_server
    add_community(f"sqlite:///{db}", "xingfuli", "幸福里社区")
    _, key_0042 = add_kiosk(f"sqlite:///{db}", "made here", "0042", community="xingfuli")
    made = write_config(tmp_path, server_url=url, key=key_0042,
                        sync=f'ca_file = "{ca_file}"')
    kiosk = Kiosk(made, display, tmp_path)
    try:
        kiosk.tap("我要说事")
        kiosk.wait_screen("category")
        kiosk.choose("其他")
        kiosk.skip_details()
        kiosk.tap("提交")
        kiosk.wait_screen("done")
    finally:
        kiosk.stop()
    ticket = next(line.split()[1] for line in kiosk.output().splitlines()
                  if line.startswith("SUBMITTED "))
    from tests.conftest import shuoshi

    assert shuoshi("sync", "--once", "--config", str(made)).returncode == 0

    elsewhere = tmp_path / "elsewhere"
    elsewhere.mkdir()
    _, key_0043 = add_kiosk(f"sqlite:///{db}", "another hall", "0043", community="xingfuli")
    config = write_config(elsewhere, server_url=url, key=key_0043, code="0043",
                          sync=f'ca_file = "{ca_file}"')
    kiosk = Kiosk(config, display, elsewhere)
    try:
        _type_and_search(kiosk, ticket)
        status = kiosk.wait_screen("status", timeout=15)
        assert "您的事项当前在说事阶段。" in status["spoken"]
    finally:
        kiosk.stop()
