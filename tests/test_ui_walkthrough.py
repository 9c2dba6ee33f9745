"""The resident's path tapped through a real Kivy window under Xvfb, end to end."""

from __future__ import annotations

import sqlite3
import wave
from pathlib import Path

import zxingcpp
from PIL import Image

from device.printer import decode_escpos, decoded_text
from device.printer.decode import DecodedCut, DecodedQR
from sync.contract.ticket import group, is_valid_ticket, make_ticket
from tests.conftest import STAFF_ENV, CentralServer, shuoshi


def _ticket_from(stdout: str) -> str:
    lines = [ln for ln in stdout.splitlines() if ln.startswith("SUBMITTED ")]
    assert len(lines) == 1, stdout
    return lines[0].split()[1]


def test_resident_path_reaches_the_server_and_status_comes_back(
    tmp_path: Path, kiosk_config: Path, server: CentralServer, display_env: dict[str, str]
) -> None:
    shots = tmp_path / "shots"
    run = shuoshi("kiosk", "--config", str(kiosk_config), "--walkthrough", "resident",
                  "--category", "停车出行", "--phrase", "电动车在楼道充电", "--shots", str(shots),
                  env=display_env)
    assert run.returncode == 0, run.stderr[-3000:]
    assert "WALKTHROUGH DONE" in run.stdout
    ticket = _ticket_from(run.stdout)
    assert is_valid_ticket(ticket) and ticket.startswith("0042")

    # The row in the kiosk's SQLite file, with its outbox entry waiting.
    with sqlite3.connect(tmp_path / "kiosk.db") as db:
        rows = db.execute("SELECT ticket, category, description, step FROM submissions").fetchall()
        assert rows == [(ticket, "停车出行", "电动车在楼道充电", "say")]
        assert db.execute("SELECT count(*) FROM outbox").fetchone() == (1,)

    # The receipt: real ESC/POS bytes that decode back, and a preview whose QR scans.
    data = (tmp_path / "receipts" / f"receipt-{ticket}.bin").read_bytes()
    text = decoded_text(data)
    assert group(ticket) in text and "停车出行" in text and "电动车在楼道充电" in text
    elements = decode_escpos(data)
    assert any(isinstance(e, DecodedQR) and e.data == ticket for e in elements)
    assert isinstance(elements[-1], DecodedCut)
    preview = Image.open(tmp_path / "receipts" / f"receipt-{ticket}.png")
    assert [r.text for r in zxingcpp.read_barcodes(preview)] == [ticket]

    # Screens were really drawn: the done screen shows a QR code of the ticket.
    done = Image.open(shots / "05-done.png")
    assert done.size == (800, 480)
    assert [r.text for r in zxingcpp.read_barcodes(done)] == [ticket]

    # The kiosk spoke: real WAV files from the speech engine, not silence.
    spoken = sorted((tmp_path / "speech").glob("*.wav"))
    assert spoken
    with wave.open(str(spoken[-1])) as wav:
        assert wav.getnframes() / wav.getframerate() > 1.0

    # After a sync the server holds the same submission.
    assert shuoshi("sync", "--once", "--config", str(kiosk_config)).returncode == 0
    with sqlite3.connect(server.db) as db:
        central = db.execute("SELECT ticket, category, description, kiosk_code "
                             "FROM central_submissions").fetchall()
    assert central == [(ticket, "停车出行", "电动车在楼道充电", "0042")]

    # Staff move it to 议事; after the next sync, 查进度 on the kiosk shows it.
    staff = shuoshi("server", "set-status", ticket, "deliberate", "--note", "周五协商",
                    "--url", server.url, env=STAFF_ENV)
    assert staff.returncode == 0, staff.stdout
    assert shuoshi("sync", "--once", "--config", str(kiosk_config)).returncode == 0
    look = shuoshi("kiosk", "--config", str(kiosk_config), "--walkthrough", "lookup",
                   "--ticket", ticket, "--shots", str(shots), env=display_env)
    assert look.returncode == 0, look.stderr[-3000:]
    assert f"STATUS {ticket} deliberate" in look.stdout
    assert (shots / "07-status.png").stat().st_size > 0


def test_mistyped_ticket_is_refused_on_the_keypad(
    tmp_path: Path, kiosk_config: Path, display_env: dict[str, str]
) -> None:
    right = make_ticket("0042", 1)
    wrong = right[:-1] + str((int(right[-1]) + 1) % 10)  # one digit mistyped
    look = shuoshi("kiosk", "--config", str(kiosk_config), "--walkthrough", "lookup",
                   "--ticket", wrong, "--shots", str(tmp_path), env=display_env, timeout=90)
    assert look.returncode == 0, look.stderr[-3000:]
    assert "LOOKUP REFUSED 号码有误" in look.stdout
    assert "STATUS" not in look.stdout


def test_unknown_ticket_is_reported_not_found(
    tmp_path: Path, kiosk_config: Path, display_env: dict[str, str]
) -> None:
    look = shuoshi("kiosk", "--config", str(kiosk_config), "--walkthrough", "lookup",
                   "--ticket", make_ticket("0042", 999), "--shots", str(tmp_path),
                   env=display_env, timeout=90)
    assert look.returncode == 0, look.stderr[-3000:]
    assert "LOOKUP REFUSED 没有找到这个号码" in look.stdout
