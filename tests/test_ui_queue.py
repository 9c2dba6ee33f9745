"""叫号 on the real kiosk under Xvfb with real X pointer events: 取号 on the home screen prints a
slip (virtual printer) and shows and says the number; staff mode's 叫号 → 叫下一位 announces it
(the chime and the number, in the virtual speaker's WAVs) and the home screen shows it big
until 接待完."""

from __future__ import annotations

import time
from pathlib import Path
from typing import Any

import pytest

from device.printer.decode import DecodedText, decode_escpos
from kiosk.config import load_config
from kiosk.session import MESSAGES
from kiosk.staff_mode import hash_pin
from tests.kiosk_driver import Kiosk
from tests.test_ui_elderly import SPEECH_CACHE, check_screen, said, write_config

pytestmark = pytest.mark.ui

PIN = "246810"
CORNER = ("790", "10")


def _texts(report: dict[str, Any]) -> list[str]:
    return [item["text"] for item in report["items"]]


def _until(kiosk: Kiosk, what: str, test: Any, timeout: float = 20) -> dict[str, Any]:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        report = kiosk.settled()
        if test(report):
            return report
        time.sleep(0.2)
    raise AssertionError(f"{what} never showed; last: {_texts(kiosk.report())}")


def _staff_queue(kiosk: Kiosk) -> None:
    kiosk.xdotool("mousemove", *CORNER)
    kiosk.xdotool("mousedown", "1")
    time.sleep(3.5)
    kiosk.xdotool("mouseup", "1")
    kiosk.wait_screen("staff_pin")
    for digit in PIN:
        kiosk.tap(digit)
    kiosk.tap("确定")
    kiosk.wait_screen("staff_menu")
    kiosk.tap("叫号")
    kiosk.wait_screen("staff_queue")


def _wait_file(folder: Path, pattern: str, timeout: float = 20) -> bytes:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        found = [p for p in folder.glob(pattern) if p.stat().st_size > 0]
        if found:
            time.sleep(0.3)  # written in one go; let it finish
            return found[0].read_bytes()
        time.sleep(0.2)
    raise AssertionError(f"{pattern} was never printed")


def test_a_number_taken_called_and_served(tmp_path: Path, display: str) -> None:
    config = write_config(tmp_path, screen="diagonal_inches = 7.0\nwidth = 800\nheight = 480",
                          queue="every_day = true\npoll_seconds = 1")
    with config.open("a", encoding="utf-8") as f:
        f.write(f'[staff]\npin_hash = "{hash_pin(PIN)}"\n')
    shots = tmp_path / "shots"
    kiosk = Kiosk(config, display, tmp_path)
    try:
        home = _until(kiosk, "取号", lambda r: "取号" in _texts(r))
        hall = home["items"][0]["text"]
        check_screen(kiosk, 7.0, shots)
        kiosk.tap("大字")  # three big buttons a row still keep their sizes
        _until(kiosk, "大字", lambda r: r["large_text"])
        check_screen(kiosk, 7.0, shots)
        kiosk.tap("正常字")
        _until(kiosk, "正常字", lambda r: not r["large_text"])

        kiosk.tap("取号")
        taken = kiosk.wait_screen("queue_taken")
        assert "A001" in _texts(taken)
        assert "您的号码" in _texts(taken) and "前面还有 0 人，请留好号码条" in _texts(taken)
        assert "您的号码是 A 零零一 号，前面还有0人，请留好号码条" in said(taken)
        check_screen(kiosk, 7.0, shots)
        slip = [d for d in decode_escpos(_wait_file(tmp_path / "receipts", "queue-A001-*.bin"))
                if isinstance(d, DecodedText)]
        assert any(line.text == "A001" and line.scale == 4 for line in slip)
        assert any(line.text == "前面还有 0 人" for line in slip)

        kiosk.tap("回首页")
        back = kiosk.wait_screen("home")
        assert MESSAGES["home_queue"] in said(back)  # the home prompt names 取号

        _staff_queue(kiosk)
        before = len(kiosk.settled()["spoken"])
        kiosk.tap("叫下一位")
        calling = _until(kiosk, "正在叫", lambda r: "正在叫：A001" in _texts(r))
        assert "请 A 零零一 号到说事桌" in calling["spoken"][before:]
        check_screen(kiosk, 7.0, shots)
        volume = round(load_config(config).speech.volume * 100)
        chime = (SPEECH_CACHE / f"chime-queue-{volume}.wav").read_bytes()
        speech_dir = tmp_path / "speech"
        deadline = time.monotonic() + 20
        played: list[bytes] = []
        while time.monotonic() < deadline:
            played = [p.read_bytes() for p in sorted(speech_dir.glob("*.wav"))]
            if chime in played and played.index(chime) < len(played) - 1:
                break
            time.sleep(0.2)
        at = played.index(chime)  # the chime, then the call said after it
        assert len(played[at + 1]) > 22050 * 2  # over a second of speech

        kiosk.tap("退出")
        shown = _until(kiosk, "the call on the home screen",
                       lambda r: r["screen"] == "home" and "请A001号到说事桌" in _texts(r))
        assert hall not in _texts(shown)
        check_screen(kiosk, 7.0, shots)

        _staff_queue(kiosk)
        kiosk.tap("接待完")
        _until(kiosk, "现在没有叫号", lambda r: "现在没有叫号" in _texts(r))
        kiosk.tap("退出")
        gone = _until(kiosk, "home without the call",
                      lambda r: r["screen"] == "home" and hall in _texts(r))
        assert "请A001号到说事桌" not in _texts(gone)
        out = kiosk.output()
        assert "QUEUE TAKEN A001" in out and "QUEUE CALLED A001" in out
    finally:
        kiosk.stop()
