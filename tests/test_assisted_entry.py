"""代录 without the screen: an issue staff enter for a resident who wrote in (书面说) reaches the
central server over real HTTP with its channel and the staff member who entered it."""

from __future__ import annotations

import sqlite3
from pathlib import Path

from tests.conftest import CentralServer, shuoshi


def test_an_entry_for_a_resident_reaches_the_centre_with_channel_and_staff(
    kiosk_config: Path, server: CentralServer, tmp_path: Path
) -> None:
    made = shuoshi("submit", "--config", str(kiosk_config), "--category", "环境卫生",
                   "--description", "来信：3号楼后面垃圾没人清", "--channel", "staff_written",
                   "--by", "王丽")
    assert made.returncode == 0, made.stdout + made.stderr
    ticket = made.stdout.split()[1]
    with sqlite3.connect(tmp_path / "kiosk.db") as conn:
        assert conn.execute("SELECT channel, entered_by FROM submissions WHERE ticket = ?",
                            (ticket,)).fetchall() == [("staff_written", "王丽")]
    sent = shuoshi("sync", "--once", "--config", str(kiosk_config))
    assert sent.returncode == 0 and "waiting 0" in sent.stdout, sent.stdout + sent.stderr
    assert server.rows(f"SELECT channel, entered_by FROM central_submissions "
                       f"WHERE ticket = '{ticket}'") == [("staff_written", "王丽")]
    plain = shuoshi("submit", "--config", str(kiosk_config), "--category", "环境卫生",
                    "--description", "当面说：路灯不亮")
    assert plain.returncode == 0
    shuoshi("sync", "--once", "--config", str(kiosk_config))
    assert server.rows(f"SELECT channel, entered_by FROM central_submissions "
                       f"WHERE ticket = '{plain.stdout.split()[1]}'") == [("staff_in_person", None)]
