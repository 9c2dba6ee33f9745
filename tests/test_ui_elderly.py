"""A 75-year-old at the kiosk: the real app under Xvfb, tapped with real X pointer events,
every screen photographed and measured with a ruler: touch targets, text, contrast; what is
said; the idle warning and reset; double taps; the 其他/返回 paths."""

from __future__ import annotations

import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from PIL import Image

from kiosk.xvfb import virtual_display
from tests.conftest import REPO
from tests.kiosk_driver import Kiosk
from tests.screen_measure import drawn_size, px_per_mm, text_facts

pytestmark = pytest.mark.ui

MIN_TARGET_MM = 15.0
MIN_TEXT_MM = {"main": 7.0, "small": 5.0}
MIN_CONTRAST = 7.0
SPEECH_CACHE = REPO / "var" / "test-speech-cache"
"""Shared by the UI tests: prompts are keyed by text and settings, so one render serves all."""


def write_config(tmp_path: Path, *, server_url: str = "http://127.0.0.1:9", key: str = "",
                 code: str = "0042", screen: str = "", hall: str = "", sync: str = "",
                 queue: str = "enabled = false") -> Path:
    """A kiosk config with every file under ``tmp_path``; extra lines for some sections.
    No 取号 unless ``queue`` asks for it (else it would show on 说事日 only)."""
    path = tmp_path / "kiosk.toml"
    path.write_text(f"""
[hall]
kiosk_code = "{code}"
{hall}
[store]
path = "{tmp_path}/kiosk.db"
[sync]
server_url = "{server_url}"
signing_key = "{key}"
{sync}
[printer]
out_dir = "{tmp_path}/receipts"
[speech]
backend = "espeak"
out_dir = "{tmp_path}/speech"
cache_dir = "{SPEECH_CACHE}"
[screen]
{screen}
[queue]
{queue}
""", encoding="utf-8")
    return path


def check_screen(kiosk: Kiosk, diagonal: float, shots: Path) -> dict[str, Any]:
    """Measure what the screen shows now, from a screenshot; returns the report."""
    report = kiosk.settled()
    width, height = report["window"]
    screen = kiosk.screenshot()
    shot = screen.crop((0, 0, width, height))  # the kiosk's window sits at the top left
    shots.mkdir(parents=True, exist_ok=True)
    shot.save(shots / f"{report['seq']:03d}-{report['screen']}.png")
    assert screen.width >= width and screen.height >= height
    ppm = px_per_mm(*shot.size, diagonal)
    problems = _problems(shot, report, ppm)
    assert not problems, f"{report['screen']}:\n" + "\n".join(problems)
    return report


def _problems(shot: Image.Image, report: dict[str, Any], ppm: float) -> list[str]:
    problems = []
    for item in report["items"]:
        name = f"{item['kind']} {item['text']!r}"
        box = tuple(item["box"])
        if item["kind"] == "button":
            width, height = drawn_size(shot, box)
            if min(width, height) / ppm < MIN_TARGET_MM:
                problems.append(f"{name}: target {width / ppm:.1f}×{height / ppm:.1f} mm")
        facts = text_facts(shot, box)
        least = MIN_TEXT_MM["main" if item["kind"] == "button" else item["role"]]
        if not facts.lines or min(facts.lines) / ppm < least:
            problems.append(f"{name}: text {[round(h / ppm, 1) for h in facts.lines]} mm")
        if facts.contrast < MIN_CONTRAST:
            problems.append(f"{name}: contrast {facts.contrast:.1f}:1")
        inside = facts.ink_box is not None and facts.ink_box[0] > 0 and facts.ink_box[1] > 0 \
            and facts.ink_box[2] < facts.size[0] and facts.ink_box[3] < facts.size[1]
        if not item["fits"] or not inside:
            problems.append(f"{name}: clipped (ink {facts.ink_box} in {facts.size})")
    return problems


def said(report: dict[str, Any]) -> str:
    return "".join(report["spoken"])


def _kiosk_on(panel: str, tmp_path: Path, displays: dict[str, str]) -> tuple[float, Kiosk]:
    """The kiosk on a panel such as "1024x600 windowed 7in", on the display for its size."""
    size, mode, inches = panel.split()
    diagonal = float(inches.removesuffix("in"))
    width, height = size.split("x")
    fullscreen = mode == "fullscreen"  # then the window takes the screen's size, not these
    window = "" if fullscreen else f"width = {width}\nheight = {height}"
    # measured with 取号 on the home screen, as on 说事日: its fullest
    config = write_config(tmp_path, screen=f"diagonal_inches = {diagonal}\n{window}",
                          queue="every_day = true")
    return diagonal, Kiosk(config, displays[size], tmp_path, fullscreen=fullscreen)


@pytest.fixture(scope="module")
def display_1080() -> Iterator[str]:
    with virtual_display(1920, 1080) as value:
        yield value


@pytest.mark.parametrize("panel", ["800x480 windowed 7in", "1920x1080 fullscreen 21.5in"])
def test_every_screen_is_big_clear_and_spoken(
    tmp_path: Path, panel: str, display: str, display_1080: str
) -> None:
    diagonal, kiosk = _kiosk_on(panel, tmp_path, {"800x480": display, "1920x1080": display_1080})
    shots = tmp_path / "shots"
    try:
        home = check_screen(kiosk, diagonal, shots)
        assert home["window"] == [int(v) for v in panel.split()[0].split("x")]
        assert "欢迎来到说事厅" in said(home)

        kiosk.tap("我要说事")
        category = kiosk.wait_screen("category")
        shown = [i["text"] for i in category["items"] if i["kind"] == "button"
                 and i["text"] not in ("返回", "下一页", "上一页", "再听一遍")]
        # the pressed button's label, then what the screen is and its choices
        assert category["spoken"][-2:] == ["我要说事", category["spoken"][-1]]
        assert category["spoken"][-1].startswith("请选择问题的类别")
        assert all(name in category["spoken"][-1] for name in shown)
        check_screen(kiosk, diagonal, shots)
        pages = 1
        while any(i["text"] == "下一页" for i in kiosk.report()["items"]):
            kiosk.tap("下一页")
            time.sleep(1)
            page = check_screen(kiosk, diagonal, shots)
            pages += 1
            assert f"第{pages}页" in page["spoken"][-1]
        shown_at_last = [i["text"] for i in kiosk.report()["items"] if i["kind"] == "button"]
        assert "其他" in shown_at_last  # every category reachable, none squeezed out

        kiosk.choose("房屋设施与管网")
        phrase = kiosk.wait_screen("phrase")
        assert "下水道堵塞" in phrase["spoken"][-1]
        check_screen(kiosk, diagonal, shots)
        kiosk.tap("下水道堵塞")
        confirm = kiosk.skip_details()
        check_screen(kiosk, diagonal, shots)
        assert "类别：房屋设施与管网。内容：下水道堵塞。" in said(confirm)

        kiosk.tap("提交")
        done = kiosk.wait_screen("done")
        check_screen(kiosk, diagonal, shots)
        assert any("您的回执号码" in t for t in done["spoken"])
        ticket = next(line.split()[1] for line in kiosk.output().splitlines()
                      if line.startswith("SUBMITTED "))

        kiosk.tap("完成")
        kiosk.wait_screen("home")
        kiosk.tap("查进度")
        kiosk.wait_screen("lookup")
        for digit in ticket:
            kiosk.tap(digit)
            time.sleep(0.45)  # a person's pace: quicker taps on one key count once
        typed = kiosk.settled()
        assert any(i["text"] == f"{ticket[:4]} {ticket[4:9]} {ticket[9]}"
                   for i in typed["items"]), typed["items"]
        assert typed["spoken"][-1] == ticket[-1]  # each key says its digit
        check_screen(kiosk, diagonal, shots)
        kiosk.tap("查询")
        status = kiosk.wait_screen("status")
        check_screen(kiosk, diagonal, shots)
        assert "您的事项当前在说事阶段。" in said(status)
    finally:
        kiosk.stop()


@pytest.fixture(scope="module")
def display_1280() -> Iterator[str]:
    with virtual_display(1280, 800) as value:
        yield value


@pytest.mark.parametrize("panel", ["1024x600 windowed 7in", "1280x800 fullscreen 10.1in"])
def test_other_panels_get_the_same_millimetres(
    tmp_path: Path, panel: str, display_1080: str, display_1280: str
) -> None:
    diagonal, kiosk = _kiosk_on(panel, tmp_path,
                                {"1024x600": display_1080, "1280x800": display_1280})
    shots = tmp_path / "shots"
    try:
        home = check_screen(kiosk, diagonal, shots)
        assert home["window"] == [int(v) for v in panel.split()[0].split("x")]
        kiosk.tap("我要说事")
        kiosk.wait_screen("category")
        check_screen(kiosk, diagonal, shots)
        kiosk.tap("再听一遍")  # repeats what this screen said, not a generic line
        again = kiosk.settled()
        assert again["spoken"][-1].startswith("请选择问题的类别")
        kiosk.tap("返回")
        kiosk.wait_screen("home")
        kiosk.tap("查进度")
        kiosk.wait_screen("lookup")
        check_screen(kiosk, diagonal, shots)
    finally:
        kiosk.stop()


def test_large_text_enlarges_everything_and_pages_instead_of_squeezing(
    tmp_path: Path, display: str
) -> None:
    kiosk = Kiosk(write_config(tmp_path), display, tmp_path)
    shots = tmp_path / "shots"
    try:
        before = kiosk.settled()
        kiosk.tap("我要说事")
        plain = kiosk.wait_screen("category")
        kiosk.tap("返回")
        kiosk.wait_screen("home")
        kiosk.tap("大字")
        time.sleep(1)
        large = check_screen(kiosk, 7, shots)
        assert large["large_text"] and "已经换成大字。" in large["spoken"]
        assert kiosk.item("我要说事")["font_px"] > 1.2 * _font(before, "我要说事")
        kiosk.tap("我要说事")
        category = kiosk.wait_screen("category")
        check_screen(kiosk, 7, shots)
        assert _choices(category) < _choices(plain)  # fewer per page, each as big as needed
        kiosk.choose("其他")  # 大字 pages further: every choice is still reachable
        kiosk.wait_screen("more")
        check_screen(kiosk, 7, shots)
    finally:
        kiosk.stop()


def _font(report: dict[str, Any], text: str) -> float:
    return float(next(i["font_px"] for i in report["items"] if i["text"] == text))


def _choices(report: dict[str, Any]) -> int:
    fixed = {"返回", "下一页", "上一页", "再听一遍"}
    return sum(1 for i in report["items"] if i["kind"] == "button" and i["text"] not in fixed)


def test_long_names_wrap_or_shrink_never_clip(tmp_path: Path, display: str) -> None:
    hall = 'name = "幸福里街道第三社区居民委员会党群服务中心说事厅"\ncommunity = "幸福里"'
    config = write_config(tmp_path, hall=hall)
    with config.open("a", encoding="utf-8") as f:
        f.write('\n[[categories]]\nname = "老旧小区加装电梯与无障碍设施改造"\n'
                'phrases = ["加装电梯的费用怎么分摊才合理公平", "单元门口的无障碍坡道太陡了"]\n')
    kiosk = Kiosk(config, display, tmp_path)
    try:
        home = check_screen(kiosk, 7, tmp_path / "shots")
        assert any(i["text"].startswith("幸福里街道") for i in home["items"])
        kiosk.tap("我要说事")
        kiosk.wait_screen("category")
        kiosk.choose("老旧小区加装电梯与无障碍设施改造")
        kiosk.wait_screen("phrase")
        check_screen(kiosk, 7, tmp_path / "shots")
        kiosk.tap("加装电梯的费用怎么分摊才合理公平")
        kiosk.skip_details()
        check_screen(kiosk, 7, tmp_path / "shots")
    finally:
        kiosk.stop()


def test_left_alone_it_warns_then_clears_everything(tmp_path: Path, display: str) -> None:
    config = write_config(tmp_path, screen="idle_seconds = 5\nidle_warning_seconds = 4")
    kiosk = Kiosk(config, display, tmp_path)
    try:
        kiosk.tap("慢一点")
        kiosk.tap_at(5, 5)  # a touch on nothing still counts as someone being there
        kiosk.tap("我要说事")
        kiosk.wait_screen("category")
        kiosk.choose("环境卫生")
        kiosk.wait_screen("phrase")
        kiosk.tap("楼道堆放杂物")
        kiosk.skip_details()
        warning = kiosk.wait_screen("idle-warning", timeout=15)
        check_screen(kiosk, 7, tmp_path / "shots")
        assert any(i["text"].endswith("秒后回到首页") for i in warning["items"])
        assert warning["spoken"][-1].startswith("您还在吗")
        kiosk.tap_at(400, 240)  # a touch anywhere keeps the work
        kept = kiosk.wait_screen("confirm")
        assert any("楼道堆放杂物" in i["text"] for i in kept["items"])
        assert kept["slow_speech"]

        counting = kiosk.wait_screen("idle-warning", timeout=15)
        first = next(i["text"] for i in counting["items"] if i["text"].endswith("秒后回到首页"))
        time.sleep(1.5)
        later = next(i["text"] for i in kiosk.report()["items"]
                     if i["text"].endswith("秒后回到首页"))
        assert int(later.split()[0]) < int(first.split()[0])  # the countdown is visible
        home = kiosk.wait_screen("home", timeout=15)
        assert "IDLE RESET" in kiosk.output()
        assert not home["slow_speech"]
        kiosk.tap("我要说事")  # nothing of the last resident is left
        kiosk.wait_screen("category")
        kiosk.tap("返回")
        kiosk.wait_screen("home")
    finally:
        kiosk.stop()


def test_a_double_tap_never_acts_on_the_next_screen(tmp_path: Path, display: str) -> None:
    kiosk = Kiosk(write_config(tmp_path), display, tmp_path)
    try:
        kiosk.tap("我要说事", times=2)
        category = kiosk.wait_screen("category")
        assert category["spoken"][-1].startswith("请选择问题的类别")  # nothing chosen
        kiosk.tap("环境卫生", times=3)
        phrase = kiosk.wait_screen("phrase")  # a triple tap still stops on the phrase screen
        assert phrase["spoken"][-1].startswith("请选择最接近的说法")
    finally:
        kiosk.stop()


def test_other_and_every_back_path_land_where_they_should_then_done_goes_home(
    tmp_path: Path, display: str
) -> None:
    kiosk = Kiosk(write_config(tmp_path, screen="idle_warning_seconds = 3"), display, tmp_path)
    try:
        kiosk.tap("我要说事")
        kiosk.wait_screen("category")
        kiosk.choose("其他")
        confirm = kiosk.skip_details()
        assert any(i["text"] == "类别：其他" for i in confirm["items"])
        kiosk.tap("返回修改")  # one step back at a time, to the categories
        for screen in ("public", "contact", "place", "more"):
            kiosk.wait_screen(screen)
            kiosk.tap("返回")
        kiosk.wait_screen("category")  # 其他 has no phrases: back to the categories

        kiosk.choose("环境卫生")
        kiosk.wait_screen("phrase")
        kiosk.tap("返回")
        kiosk.wait_screen("category")
        kiosk.choose("其他")
        kiosk.wait_screen("more")
        kiosk.tap("返回")
        kiosk.wait_screen("category")  # not 环境卫生's phrases
        kiosk.choose("环境卫生")
        kiosk.wait_screen("phrase")
        kiosk.tap("其他")
        confirm = kiosk.skip_details()
        assert any(i["text"] == "类别：环境卫生" for i in confirm["items"])
        kiosk.tap("返回修改")
        for screen in ("public", "contact", "place", "more"):
            kiosk.wait_screen(screen)
            kiosk.tap("返回")
        phrase = kiosk.wait_screen("phrase")
        assert any(i["text"] == "垃圾没有及时清运" for i in phrase["items"])
        kiosk.tap("垃圾没有及时清运")
        kiosk.skip_details()
        kiosk.tap("提交")
        kiosk.wait_screen("done")

        started = time.monotonic()  # left on the done screen: it goes home on its own
        kiosk.wait_screen("idle-warning", timeout=45)
        assert time.monotonic() - started >= 29  # time to read it, 30 s by default
        home = kiosk.wait_screen("home", timeout=15)
        assert not any(i["text"][:4].isdigit() for i in home["items"])  # no ticket left
    finally:
        kiosk.stop()
    import sqlite3

    with sqlite3.connect(tmp_path / "kiosk.db") as db:
        rows = db.execute("SELECT category, description FROM submissions").fetchall()
    assert rows == [("环境卫生", "垃圾没有及时清运")]
