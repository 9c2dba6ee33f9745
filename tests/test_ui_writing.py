"""Writing in one's own words on the real kiosk under Xvfb: a character drawn on the pad with
real X pointer strokes (xdotool) is recognised, chosen and carried to 请核对; pinyin typed on
the on-screen keyboard finds 下水道; both ways of writing measured on screenshots of a
7-inch 800×480 panel."""

from __future__ import annotations

import time
from pathlib import Path
from typing import Any

import pytest

from kiosk.sizing import HAN_INK
from kiosk.writing.handwriting import DEFAULT_MODEL
from kiosk.writing.strokes import finger_strokes, load_stroke_set
from tests.kiosk_driver import Kiosk
from tests.screen_measure import px_per_mm
from tests.test_ui_elderly import (
    MIN_TEXT_MM,
    _problems,
    display_1080,  # noqa: F401  (a 1920×1080 screen)
    write_config,
)
from tests.test_word_index import index_path  # noqa: F401  (the shared word index)

pytestmark = [pytest.mark.ui,
              pytest.mark.skipif(not DEFAULT_MODEL.is_file(),
                                 reason="tegaki-zinnia-simplified-chinese not installed")]

STROKES = Path(__file__).parent / "data" / "strokes" / "medians.json"
LETTERS = {chr(c) for c in range(ord("A"), ord("Z") + 1)}
NOT_CANDIDATES = {"返回", "再听一遍", "拼音", "手写", "删除", "好了", "重写", "更多", *LETTERS}
MOVE_PAUSE_S = "0.02"
SEED = 1
"""Which of the finger-like renderings of a character is drawn (fixed: the test repeats)."""


def check_screen(kiosk: Kiosk, diagonal: float, shots: Path) -> dict[str, Any]:
    """tests.test_ui_elderly's measure, but a candidate of one character is held to its font
    size rather than its ink: 二, 艹 or 一 are short by their shape, whatever the size."""
    report = kiosk.settled()
    width, height = report["window"]
    shot = kiosk.screenshot().crop((0, 0, width, height))
    shots.mkdir(parents=True, exist_ok=True)
    shot.save(shots / f"{report['seq']:03d}-{report['screen']}-{len(report['items'])}.png")
    ppm = px_per_mm(width, height, diagonal)
    least_font = MIN_TEXT_MM["main"] / HAN_INK * ppm
    single = [i for i in report["items"] if i["kind"] == "button" and len(i["text"]) == 1
              and i["text"] not in LETTERS]
    problems = [p for p in _problems(shot, report, ppm)
                if not any(p.startswith(f"button {i['text']!r}: text") for i in single)]
    problems += [f"{i['text']!r}: font {i['font_px'] / ppm:.1f} mm" for i in single
                 if i["font_px"] < least_font]
    assert not problems, f"{report['screen']}:\n" + "\n".join(problems)
    return report


def _kiosk(tmp_path: Path, display: str, extra: str) -> Kiosk:
    config = write_config(tmp_path, screen="diagonal_inches = 7\nwidth = 800\nheight = 480")
    with config.open("a", encoding="utf-8") as f:
        f.write(f"\n[input]\n{extra}\n")
    return Kiosk(config, display, tmp_path)


def _to_write_screen(kiosk: Kiosk, way: str) -> dict[str, Any]:
    kiosk.tap("我要说事")
    kiosk.wait_screen("category")
    kiosk.choose("其他")
    kiosk.wait_screen("more")
    kiosk.tap(way)
    kiosk.wait_screen("write")
    deadline = time.monotonic() + 20  # the recogniser and the index open in a thread
    while time.monotonic() < deadline:
        report = kiosk.settled()
        if not any(i["text"].startswith("正在准备") for i in report["items"]):
            return report
    raise AssertionError("the writing tools never came ready")


def _candidates(report: dict[str, Any]) -> list[str]:
    """The candidate buttons, in reading order (top to bottom, left to right)."""
    found = [i for i in report["items"] if i["kind"] == "button"
             and i["text"] not in NOT_CANDIDATES and not i["disabled"]]
    return [i["text"] for i in sorted(found, key=lambda i: (i["box"][1], i["box"][0]))]


def _texts(report: dict[str, Any]) -> list[str]:
    return [i["text"] for i in report["items"] if i["kind"] == "text"]


def _display(report: dict[str, Any]) -> str:
    """The text written so far, as shown (not the title, not the letters typed)."""
    shown = [t for t in _texts(report) if "[color" not in t and not t.startswith("请写下")
             and not _is_typed(t)]
    assert len(shown) <= 1, shown
    return shown[0] if shown else ""


def _is_typed(text: str) -> bool:
    return bool(text) and all(c in LETTERS or c == "…" for c in text)


def _typed(report: dict[str, Any]) -> str:
    return next((t for t in _texts(report) if _is_typed(t)), "")


def _draw(kiosk: Kiosk, char: str) -> None:
    """The character written with the pointer on the pad, one stroke a press."""
    left, top, width, height = kiosk.report()["pads"][0]
    medians = load_stroke_set(STROKES)[char]
    for stroke in finger_strokes(char, medians, width, height, seed=SEED):
        points = [(round(left + x), round(top + y)) for x, y in stroke]
        # a finger's pace: Kivy takes the pointer's position once a frame
        moves = [arg for x, y in points[1:]
                 for arg in ("mousemove", str(x), str(y), "sleep", MOVE_PAUSE_S)]
        kiosk.xdotool("mousemove", str(points[0][0]), str(points[0][1]), "mousedown", "1",
                      *moves, "mouseup", "1")


def _type(kiosk: Kiosk, letters: str) -> dict[str, Any]:
    for letter in letters:
        kiosk.tap(letter.upper())
    report = kiosk.settled()
    assert _typed(report) == letters.upper(), _texts(report)
    return report


def test_drawn_character_and_typed_pinyin_reach_the_confirm_screen(
    tmp_path: Path, display: str, index_path: Path  # noqa: F811
) -> None:
    kiosk = _kiosk(tmp_path, display, f'word_index = "{index_path}"')
    shots = tmp_path / "shots"
    try:
        empty = _to_write_screen(kiosk, "手写")
        assert empty["pads"], "no handwriting pad on the screen"
        assert empty["spoken"][-1].startswith("请用手指在方框里写字")

        _draw(kiosk, "大")
        assert _candidates(kiosk.settled())
        kiosk.tap("重写")  # an empty pad, nothing offered
        cleared = kiosk.settled()
        assert _candidates(cleared) == [] and kiosk.item("重写")["disabled"]

        _draw(kiosk, "下")
        drawn = check_screen(kiosk, 7, shots)  # the pad with its strokes and the candidates
        assert "下" in _candidates(drawn)[:5], _candidates(drawn)
        assert not kiosk.item("重写")["disabled"]

        kiosk.tap("下")
        chosen = kiosk.settled()
        assert _display(chosen) == "下"
        assert chosen["spoken"][-1] == "下"  # said aloud when touched
        assert "水" in _candidates(chosen)  # the likely next: 下水道 is one of the hall's words

        kiosk.tap("拼音")
        keyboard = kiosk.settled()
        assert not keyboard["pads"] and "A" in [i["text"] for i in keyboard["items"]]
        assert keyboard["spoken"][-1].startswith("请在下面的键盘上按拼音字母")
        for typed in ("xiashuidao", "xsd", "xiasuidao"):  # full, initials, s for sh
            offered = _type(kiosk, typed)
            assert "下水道" in _candidates(offered)[:3], (typed, _candidates(offered))
            if typed == "xsd":
                check_screen(kiosk, 7, shots)
                kiosk.tap("更多")  # the next candidates in the same row
                later = _candidates(kiosk.settled())
                assert later and not set(later) & set(_candidates(offered)), later
            kiosk.tap("删除", times=len(typed))
            cleared = kiosk.settled()
            assert _typed(cleared) == "" and _display(cleared) == "下"  # the text kept

        _type(kiosk, "shuidao")
        kiosk.tap("水道")
        written = kiosk.settled()
        assert _display(written) == "下水道"
        check_screen(kiosk, 7, shots)

        kiosk.tap("好了")
        for screen, answer in (("place", "不填"), ("contact", "匿名"), ("public", "不公开")):
            kiosk.wait_screen(screen)
            kiosk.choose(answer)
        confirm = kiosk.wait_screen("confirm")
        assert any(i["text"] == "内容：下水道" for i in confirm["items"]), confirm["items"]
    finally:
        kiosk.stop()


def test_without_handwriting_the_keyboard_is_used_and_said(
    tmp_path: Path, display: str, index_path: Path  # noqa: F811
) -> None:
    kiosk = _kiosk(tmp_path, display, f'handwriting_model = "{tmp_path}/none.model"\n'
                                      f'word_index = "{index_path}"')
    try:
        report = _to_write_screen(kiosk, "手写")
        assert not report["pads"] and "A" in [i["text"] for i in report["items"]]
        assert "手写暂时不能用，请用拼音打字" in _texts(report)
        assert "手写暂时不能用，请用拼音打字" in report["spoken"]
        assert "handwriting not offered" in kiosk.output()
        kiosk.tap("手写")  # the switch back says why not, and stays
        again = kiosk.settled()
        assert again["spoken"][-1] == "手写暂时不能用，请用拼音打字" and not again["pads"]
        assert "下水道" in _candidates(_type(kiosk, "xsd"))[:3]
    finally:
        kiosk.stop()


def test_without_the_word_index_the_screen_and_the_log_say_so(
    tmp_path: Path, display: str
) -> None:
    kiosk = _kiosk(tmp_path, display, f'word_index = "{tmp_path}/none.sqlite"')
    try:
        report = _to_write_screen(kiosk, "手写")
        assert report["pads"]  # handwriting still works, without the next-character hints
        assert "词库没有装好，不能提示下一个字" in _texts(report)
        assert f"word index not built at {tmp_path}/none.sqlite" in kiosk.output()
        kiosk.tap("拼音")
        keyboard = kiosk.settled()
        assert "词库没有装好，暂时不能拼音打字" in _texts(keyboard)
        assert "词库没有装好，暂时不能拼音打字" in keyboard["spoken"]
        _type(kiosk, "xia")  # the letters show, though no word can be offered
        assert _candidates(kiosk.settled()) == []
    finally:
        kiosk.stop()


def test_a_wider_panel_has_the_phones_qwerty_keyboard(
    tmp_path: Path, display_1080: str, index_path: Path  # noqa: F811
) -> None:
    config = write_config(tmp_path, screen="diagonal_inches = 10.1\nwidth = 1280\nheight = 800")
    with config.open("a", encoding="utf-8") as f:
        f.write(f'\n[input]\nword_index = "{index_path}"\n')
    kiosk = Kiosk(config, display_1080, tmp_path)
    try:
        report = _to_write_screen(kiosk, "拼音打字")
        check_screen(kiosk, 10.1, tmp_path / "shots")
        keys = {i["text"]: i["box"] for i in report["items"] if i["text"] in LETTERS}
        assert len(keys) == 26
        top_row = sorted((box[0], text) for text, box in keys.items() if box[1] == keys["Q"][1])
        assert "".join(text for _, text in top_row) == "QWERTYUIOP"
        assert keys["Q"][1] < keys["A"][1] < keys["Z"][1]
        assert "下水道" in _candidates(_type(kiosk, "xsd"))[:3]
    finally:
        kiosk.stop()
