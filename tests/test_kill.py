"""A kiosk killed with SIGKILL right after 提交 loses nothing."""

from __future__ import annotations

import os
import signal
import sqlite3
import subprocess
import sys
from pathlib import Path

import pytest

from tests.conftest import REPO, CentralServer, shuoshi

KILLS = 20 if os.environ.get("SHUOSHI_SOAK") else 2


def _submit_then_kill(kiosk_config: Path, shots: Path, env: dict[str, str]) -> str:
    proc = subprocess.Popen(
        [sys.executable, "-m", "kiosk.cli", "kiosk", "--config", str(kiosk_config),
         "--walkthrough", "resident", "--shots", str(shots)],
        cwd=REPO, env=env, stdout=subprocess.PIPE, stderr=subprocess.DEVNULL, text=True)
    assert proc.stdout is not None
    with proc, proc.stdout:
        for line in proc.stdout:
            if line.startswith("SUBMITTED "):
                proc.send_signal(signal.SIGKILL)  # the moment 提交 has returned
                proc.wait(10)
                return line.split()[1]
    pytest.fail("the kiosk never reported a submission")


@pytest.mark.parametrize("round_", range(KILLS))
def test_soak_sigkill_after_submit_loses_nothing(
    round_: int, tmp_path: Path, kiosk_config: Path, server: CentralServer,
    display_env: dict[str, str],
) -> None:
    ticket = _submit_then_kill(kiosk_config, tmp_path / "shots", display_env)

    with sqlite3.connect(tmp_path / "kiosk.db") as db:
        assert db.execute("PRAGMA integrity_check").fetchone() == ("ok",)
        assert db.execute("SELECT ticket FROM submissions").fetchall() == [(ticket,)]
        assert db.execute("SELECT count(*) FROM outbox").fetchone() == (1,)

    # On the next start the kiosk finds it, and the sync worker delivers it.
    look = shuoshi("kiosk", "--config", str(kiosk_config), "--walkthrough", "lookup",
                   "--ticket", ticket, "--shots", str(tmp_path / "shots"), env=display_env)
    assert f"STATUS {ticket} say" in look.stdout, look.stderr[-2000:]
    assert shuoshi("sync", "--once", "--config", str(kiosk_config)).returncode == 0
    with sqlite3.connect(server.db) as db:
        assert db.execute("SELECT ticket FROM central_submissions").fetchall() == [(ticket,)]
