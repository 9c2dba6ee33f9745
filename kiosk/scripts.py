"""The walk-throughs the demo and the tests run: a resident saying an issue, and 查进度."""

from __future__ import annotations

from pathlib import Path

from kivy.app import App

from device.speech import SpeechService
from kiosk.intake import Intake
from kiosk.screens.lookup import PROMPT, WAITING
from kiosk.walkthrough import Step, choose, expect_screen, shot, tap, type_digits, wait_until


def resident_path(out_dir: Path, category: str, phrase: str, intake: Intake,
                  speech: SpeechService) -> list[Step]:
    return [
        expect_screen("home"), *shot(out_dir, "01-home"),
        tap("我要说事"), expect_screen("category"), *shot(out_dir, "02-category"),
        choose(category), expect_screen("phrase"), *shot(out_dir, "03-phrase"),
        choose(phrase), expect_screen("more"), tap("不用了"),
        expect_screen("place"), choose("3号楼"), expect_screen("unit"), tap("2单元"),
        expect_screen("contact"), tap("匿名"), expect_screen("public"), tap("不公开"),
        expect_screen("confirm"), *shot(out_dir, "04-confirm"),
        tap("提交"), expect_screen("done"),
        wait_until("receipt printed", lambda: intake.wait_printed(0)),
        *shot(out_dir, "05-done"),
        wait_until("speech finished", lambda: speech.wait_idle(0)),
        tap("完成"), expect_screen("home"),
    ]


def lookup_path(out_dir: Path, ticket: str, speech: SpeechService) -> list[Step]:
    return [
        expect_screen("home"),
        tap("查进度"), expect_screen("lookup"),
        *type_digits(ticket), *shot(out_dir, "06-lookup"),
        tap("查询"),
        Step("an answer", _lookup_answered),
        *shot(out_dir, "07-status"),
        Step("report", _report_lookup),
        wait_until("speech finished", lambda: speech.wait_idle(0)),
    ]


def _lookup_answered(app: App) -> bool:
    if app.root.current == "status":
        return True
    message: str = app.root.get_screen("lookup").message
    return message not in (WAITING, PROMPT)


def _report_lookup(app: App) -> bool:
    if app.root.current != "status":
        print(f"LOOKUP REFUSED {app.root.get_screen('lookup').message}", flush=True)
    return True
