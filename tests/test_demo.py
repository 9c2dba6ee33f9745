"""`make run` on a machine without a display: the scripted demo leaves its files in var/demo."""

from __future__ import annotations

import os
from pathlib import Path

from tests.conftest import free_port, shuoshi


def test_headless_run_writes_screenshots_and_receipt(tmp_path: Path) -> None:
    config = tmp_path / "kiosk.toml"
    config.write_text(f'[sync]\nserver_url = "http://127.0.0.1:{free_port()}"\n', encoding="utf-8")
    env = {k: v for k, v in os.environ.items() if k != "DISPLAY"}
    run = shuoshi("run", "--config", str(config), env=env, cwd=tmp_path, timeout=240)
    assert run.returncode == 0, run.stderr[-3000:]
    demo = tmp_path / "var" / "demo"
    for name in ("01-home.png", "05-done.png", "07-status.png"):
        assert (demo / name).stat().st_size > 1000
        assert f"var/demo/{name}" in run.stdout
    assert list(demo.glob("receipt-*.png")) and list(demo.glob("receipt-*.bin"))
    assert "status of" in run.stdout and "理事" in run.stdout
    assert (tmp_path / "var" / "server.db").exists()
