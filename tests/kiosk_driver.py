"""The real kiosk process under Xvfb, driven with real X pointer events (xdotool) and
photographed from outside (the X server's own framebuffer), as a resident would meet it."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

from PIL import Image, ImageGrab

from tests.conftest import REPO

SETTLED_S = 0.7
"""A report unchanged this long means the screen is drawn and the 0.4 s tap guard is over."""


class Kiosk:
    def __init__(self, config: Path, display: str, workdir: Path, *, fullscreen: bool = False
                 ) -> None:
        self.display = display
        self.report_file = workdir / "ui.json"
        self.log = (workdir / "kiosk.log").open("w")
        args = [sys.executable, "-m", "kiosk.cli", "kiosk", "--config", str(config),
                "--ui-report", str(self.report_file)]
        self.proc = subprocess.Popen([*args, *(["--fullscreen"] if fullscreen else [])],
                                     cwd=REPO, env={**os.environ, "DISPLAY": display},
                                     stdout=self.log, stderr=subprocess.STDOUT)
        self.wait_screen("home", timeout=60)

    def report(self) -> dict[str, Any]:
        try:
            data: dict[str, Any] = json.loads(self.report_file.read_text(encoding="utf-8"))
        except (OSError, ValueError):
            return {"seq": -1, "screen": ""}
        return data

    def settled(self, timeout: float = 15) -> dict[str, Any]:
        """The report once it has stayed the same for SETTLED_S."""
        deadline = time.monotonic() + timeout
        last, since = self.report(), time.monotonic()
        while time.monotonic() < deadline:
            time.sleep(0.1)
            now = self.report()
            if now.get("seq") != last.get("seq"):
                last, since = now, time.monotonic()
            elif time.monotonic() - since >= SETTLED_S and last.get("seq", -1) >= 0:
                return last
            assert self.proc.poll() is None, f"the kiosk exited: {self.output()[-2000:]}"
        raise AssertionError(f"the screen did not settle; last report: {last}")

    def wait_screen(self, name: str, timeout: float = 20) -> dict[str, Any]:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            report = self.settled(timeout=max(1.0, deadline - time.monotonic()))
            if report.get("screen") == name:
                return report
        raise AssertionError(f"screen {name!r} never came; last: {self.report().get('screen')}")

    def item(self, text: str, kind: str = "button") -> dict[str, Any]:
        for item in self.report().get("items", []):
            if item["text"] == text and item["kind"] == kind:
                return item
        raise AssertionError(f"no {kind} {text!r} on {self.report().get('screen')}")

    def xdotool(self, *args: str) -> None:
        subprocess.run(["xdotool", *args], check=True, timeout=10,
                       env={**os.environ, "DISPLAY": self.display})

    def tap(self, text: str, *, times: int = 1, gap_ms: int = 120) -> None:
        """Real pointer clicks on the middle of the button labelled ``text``."""
        left, top, width, height = self.item(text)["box"]
        self.xdotool("mousemove", str(left + width // 2), str(top + height // 2),
                     "click", "--repeat", str(times), "--delay", str(gap_ms), "1")

    def tap_at(self, x: int, y: int) -> None:
        self.xdotool("mousemove", str(x), str(y), "click", "1")

    def choose(self, text: str) -> None:
        """Tap the choice ``text``, turning pages (back to the first, then on) until it shows."""
        for _ in range(20):
            texts = [i["text"] for i in self.settled()["items"] if i["kind"] == "button"]
            if text in texts:
                self.tap(text)
                return
            if "上一页" in texts:
                self.tap("上一页")
            elif "下一页" in texts:
                break
        for _ in range(20):
            texts = [i["text"] for i in self.settled()["items"] if i["kind"] == "button"]
            if text in texts:
                self.tap(text)
                return
            assert "下一页" in texts, f"{text!r} is on no page"
            self.tap("下一页")
        raise AssertionError(f"{text!r} is on no page")

    def skip_details(self) -> dict[str, Any]:
        """From the first step after the phrase to 请核对, leaving every detail out."""
        for screen, answer in (("more", "不用了"), ("place", "不填"), ("contact", "匿名"),
                               ("public", "不公开")):
            self.wait_screen(screen)
            self.choose(answer)
        return self.wait_screen("confirm")

    def screenshot(self) -> Image.Image:
        return ImageGrab.grab(xdisplay=self.display)

    def output(self) -> str:
        if not self.log.closed:
            self.log.flush()
        return Path(self.log.name).read_text(encoding="utf-8", errors="replace")

    def stop(self) -> None:
        self.proc.terminate()
        try:
            self.proc.wait(20)
        except subprocess.TimeoutExpired:
            self.proc.kill()
            self.proc.wait(5)
        self.log.close()
