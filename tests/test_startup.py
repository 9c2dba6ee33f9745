"""Start-up: what the first frame does not need is made after it (kiosk.wiring.LaterParts),
and nothing a resident does in the meantime is lost."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

from kiosk.config import load_config
from kiosk.fonts import find_cjk_font
from kiosk.wiring import LaterParts, build_speech
from sync.store import Store, SubmissionDraft

LATE_PACKAGES = ("sqlalchemy", "alembic", "httpx", "cryptography", "pypinyin")
"""What the kiosk's first frame must not wait for: each loads after it, or when first used.
(device.printer still loads before it: the config's check of [printer] profile needs it.)"""


@pytest.mark.ui
def test_the_first_frame_loads_no_store_network_or_pinyin_package(
    tmp_path: Path, display_env: dict[str, str]
) -> None:
    # what run_kiosk imports and builds before KioskApp.run(), in a process of its own
    code = f"""
import sys
from pathlib import Path
import shuoshi.cli, kiosk.cli
from kiosk.config import load_config
from kiosk.fonts import find_cjk_font
from kiosk.kivy_setup import prepare_kivy, register_font
from kiosk.wiring import LaterParts, build_speech
cfg = load_config(None)
prepare_kivy(Path("var/kivy"), width=800, height=480, fullscreen=False)
register_font(find_cjk_font())
speech = build_speech(cfg)
parts = LaterParts(cfg, find_cjk_font(), speech)
import kiosk.app, kiosk.screens.home, kiosk.services
print(sorted(m for m in {LATE_PACKAGES!r} if m in sys.modules))
"""
    done = subprocess.run([sys.executable, "-c", code], cwd=tmp_path, env=display_env,
                          capture_output=True, text=True, timeout=120, check=False)
    assert done.returncode == 0, done.stderr[-2000:]
    assert done.stdout.strip().splitlines()[-1] == "[]"


def _config(tmp_path: Path, store: Path) -> Path:
    path = tmp_path / "kiosk.toml"
    path.write_text(f"""
[store]
path = "{store}"
[printer]
out_dir = "{tmp_path}/receipts"
[speech]
backend = "silent"
out_dir = "{tmp_path}/speech"
""", encoding="utf-8")
    return path


def test_submit_before_the_start_up_thread_is_committed_then_printed(tmp_path: Path) -> None:
    cfg = load_config(_config(tmp_path, tmp_path / "kiosk.db"))
    speech = build_speech(cfg)
    parts = LaterParts(cfg, find_cjk_font(), speech)
    assert parts.store.made() is None  # nothing opened yet
    errors: list[BaseException] = []
    try:
        # 提交 before start(): the store and the intake are made on the spot
        intake = parts.intake.get()
        stored = intake.submit(SubmissionDraft(category="环境卫生", description="楼道堆放杂物"))
        other = Store(tmp_path / "kiosk.db")  # committed: another connection sees it
        assert other.find_by_ticket(stored.ticket) is not None
        other.close()
        assert intake.printer.spool.counts()["pending"] == 1  # waits for the printer worker

        parts.start(on_error=errors.append)  # the first frame: the worker starts, prints
        assert intake.wait_printed(10)
        assert parts.intake.get() is intake and parts.store.get() is intake.store
    finally:
        parts.close(print_timeout=5)
        speech.close()
    assert not errors
    assert intake.printer.spool.counts() == {"pending": 0, "printing": 0, "held": 0}


def test_a_store_that_cannot_be_opened_is_reported(tmp_path: Path) -> None:
    blocker = tmp_path / "not-a-folder"
    blocker.write_text("", encoding="utf-8")
    cfg = load_config(_config(tmp_path, blocker / "kiosk.db"))
    speech = build_speech(cfg)
    parts = LaterParts(cfg, find_cjk_font(), speech)
    errors: list[BaseException] = []
    parts.start(on_error=errors.append)
    parts.close(print_timeout=1)
    speech.close()
    assert len(errors) == 1 and isinstance(errors[0], OSError)
