"""``shuoshi doctor``: what works and what does not, in plain words."""

from __future__ import annotations

import shutil
import subprocess
from datetime import datetime

import httpx

from kiosk.config import AppConfig
from kiosk.fonts import MissingFontError, find_cjk_font

# A Pi without a real-time clock may boot with a date long past.
EARLIEST_PLAUSIBLE_YEAR = 2025


def report(cfg: AppConfig) -> int:
    checks = [_font(cfg), _speech(), _store(cfg), _server(cfg), _clock()]
    for ok, line in checks:
        print(f"[{'ok' if ok else 'FAIL'}] {line}")
    return 0 if all(ok for ok, _ in checks) else 1


def _font(cfg: AppConfig) -> tuple[bool, str]:
    try:
        return True, f"font: {find_cjk_font(cfg.screen.font)}"
    except MissingFontError as exc:
        return False, f"font: {exc}"


def _speech() -> tuple[bool, str]:
    if shutil.which("espeak-ng") is None:
        return False, "speech: espeak-ng not installed (sudo apt install espeak-ng)"
    out = subprocess.run(["espeak-ng", "--voices=cmn"], capture_output=True, text=True,
                         timeout=10, check=False).stdout
    if "cmn" not in out:
        return False, "speech: espeak-ng has no Mandarin (cmn) voice"
    return True, "speech: espeak-ng with a Mandarin voice"


def _store(cfg: AppConfig) -> tuple[bool, str]:
    folder = cfg.store.path.parent
    try:
        folder.mkdir(parents=True, exist_ok=True)
        free = shutil.disk_usage(folder).free // 2**20
    except OSError as exc:
        return False, f"store: {folder} not usable: {exc.strerror}"
    return free > 50, f"store: {cfg.store.path} ({free} MiB free)"


def _server(cfg: AppConfig) -> tuple[bool, str]:
    try:
        ok = httpx.get(f"{cfg.sync.server_url}/healthz", timeout=3).status_code == 200
    except httpx.HTTPError:
        ok = False
    return ok, f"server: {cfg.sync.server_url} {'answers' if ok else 'cannot be reached'}"


def _clock() -> tuple[bool, str]:
    now = datetime.now().astimezone()
    return now.year >= EARLIEST_PLAUSIBLE_YEAR, f"clock: {now:%Y-%m-%d %H:%M %Z}"
