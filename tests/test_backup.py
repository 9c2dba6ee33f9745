"""``shuoshi backup`` while the kiosk writes, ``shuoshi restore`` on a new card: the copy is
consistent, the queue reaches the server once, and no ticket number is given twice."""

from __future__ import annotations

import gzip
import io
import os
import sqlite3
import stat
import subprocess
import sys
import tarfile
from pathlib import Path

from sync.contract.ticket import make_ticket
from sync.store import Store, SubmissionDraft
from sync.timesync import ClockWatch
from tests.conftest import REPO, CentralServer, drain, shuoshi, sync_worker

NOBODY = 65534
WRITER = """
import sys, time
from pathlib import Path
from sync.store import Store, SubmissionDraft
store, stop = Store(Path(sys.argv[1])), Path(sys.argv[2])
i = 0
while not stop.exists() and i < 3000:
    i += 1
    done = store.record_submission(SubmissionDraft(
        "环境卫生", f"第{i}件", contact_name="张三", contact_phone="13800138000"), "0042")
    print(done.ticket, flush=True)
    time.sleep(0.01)  # a busy kiosk, not a flood: the queue stays a few batches long
store.close()
"""


def _config(folder: Path, server_url: str, key: str, code: str = "0042",
            store: str | None = None) -> Path:
    folder.mkdir(parents=True, exist_ok=True)
    path = folder / "kiosk.toml"
    path.write_text(f"""
[hall]
kiosk_code = "{code}"
[store]
path = "{store or folder / 'kiosk.db'}"
[sync]
server_url = "{server_url}"
signing_key = "{key}"
[printer]
out_dir = "{folder}/receipts"
[speech]
backend = "silent"
out_dir = "{folder}/speech"
""", encoding="utf-8")
    return path


def _tickets(db: Path) -> list[str]:
    with sqlite3.connect(db) as conn:
        return [t for (t,) in conn.execute("SELECT ticket FROM submissions ORDER BY ticket")]


def _read_lines(proc: subprocess.Popen[str], got: list[str], count: int) -> None:
    assert proc.stdout is not None
    while len(got) < count:
        line = proc.stdout.readline()
        assert line, "the writer stopped early"
        got.append(line.strip())


def _store_in(backup: Path, folder: Path) -> Path:
    with tarfile.open(backup, "r:gz") as tar:
        member = tar.extractfile("store.sqlite3")
        assert member is not None
        (folder / "copy.sqlite3").write_bytes(member.read())
    return folder / "copy.sqlite3"


def test_backup_while_writing_then_restore_sends_the_queue_once(
        tmp_path: Path, server: CentralServer, kiosk_key: str) -> None:
    old = _config(tmp_path / "old", server.url, kiosk_key)
    Store(tmp_path / "old" / "kiosk.db").close()  # the kiosk has made its store
    stop = tmp_path / "stop"
    writer = subprocess.Popen([sys.executable, "-c", WRITER, str(tmp_path / "old" / "kiosk.db"),
                               str(stop)], cwd=REPO, stdout=subprocess.PIPE, text=True)
    committed: list[str] = []
    try:
        _read_lines(writer, committed, 20)
        before = set(committed)  # committed before the backup started
        backup = tmp_path / "move" / "kiosk-0042.backup"
        made = shuoshi("backup", str(backup), "--config", str(old))
        assert made.returncode == 0, made.stderr
        _read_lines(writer, committed, len(committed) + 10)  # it went on writing throughout
    finally:
        stop.touch()
        writer.wait(30)
    assert writer.stdout is not None
    committed += [line.strip() for line in writer.stdout.read().splitlines()]
    writer.stdout.close()
    assert stat.S_IMODE(backup.stat().st_mode) == 0o600
    assert "contacts" in made.stdout

    copy = _store_in(backup, tmp_path)
    with sqlite3.connect(copy) as conn:
        assert conn.execute("PRAGMA integrity_check").fetchall() == [("ok",)]
        (last,) = conn.execute("SELECT last_sequence FROM ticket_counter").fetchone()
    in_backup = _tickets(copy)
    assert before <= set(in_backup) <= set(committed)
    # one snapshot: exactly the first `last` submissions, the counter with them
    assert in_backup == sorted(make_ticket("0042", n) for n in range(1, last + 1))
    assert len(committed) > len(in_backup)  # the writer went on after the copy

    new = _config(tmp_path / "new", server.url, kiosk_key)
    restored = shuoshi("restore", str(backup), "--config", str(new))
    assert restored.returncode == 0, restored.stderr
    store = Store(tmp_path / "new" / "kiosk.db")
    worker = sync_worker(store, server.url, kiosk_key)
    worker.clock_watch = ClockWatch(mode="trust")
    try:
        result = drain(worker, rounds=20, pause_s=0.1)
        assert (result.error, result.waiting) == ("", 0)
    finally:
        worker.close()
        store.close()
    on_server = [t for (t,) in server.rows("SELECT ticket FROM central_submissions")]
    assert sorted(on_server) == in_backup  # nothing lost, nothing twice

    after = shuoshi("submit", "--config", str(new), "--category", "其他",
                    "--description", "搬到新卡以后的第一件")
    assert after.returncode == 0, after.stderr
    assert f"SUBMITTED {make_ticket('0042', last + 1)}" in after.stdout


def test_restore_refuses_a_queue_a_bad_copy_and_keeps_the_old_store(
        tmp_path: Path, kiosk_key_only: str) -> None:
    url = "http://127.0.0.1:9"
    old = _config(tmp_path / "old", url, kiosk_key_only)
    with _open(tmp_path / "old") as s:
        for i in range(3):
            s.record_submission(SubmissionDraft("环境卫生", f"旧卡第{i}件"), "0042")
    backup = tmp_path / "old.backup"
    assert shuoshi("backup", str(backup), "--config", str(old)).returncode == 0

    new = _config(tmp_path / "new", url, kiosk_key_only)
    with _open(tmp_path / "new") as s:  # this card took five submissions of its own
        for i in range(5):
            s.record_submission(SubmissionDraft("噪音扰民", f"新卡第{i}件"), "0042")
    mine = _tickets(tmp_path / "new" / "kiosk.db")
    refused = shuoshi("restore", str(backup), "--config", str(new))
    assert refused.returncode == 1 and "5 submissions" in refused.stderr, refused.stderr
    assert _tickets(tmp_path / "new" / "kiosk.db") == mine

    broken = tmp_path / "broken.backup"
    _break_store(backup, broken)
    bad = shuoshi("restore", str(broken), "--config", str(new), "--force")
    assert bad.returncode == 1 and "nothing was changed" in bad.stderr, bad.stderr
    assert _tickets(tmp_path / "new" / "kiosk.db") == mine

    forced = shuoshi("restore", str(backup), "--config", str(new), "--force")
    assert forced.returncode == 0, forced.stderr
    assert len(_tickets(tmp_path / "new" / "kiosk.db")) == 3
    [kept] = (tmp_path / "new").glob("kiosk.db.before-restore-*")
    assert _tickets(kept) == mine
    # the old card's five numbers are not given again
    again = shuoshi("submit", "--config", str(new), "--category", "其他", "--description", "x")
    assert f"SUBMITTED {make_ticket('0042', 6)}" in again.stdout, again.stdout + again.stderr


def test_a_new_card_gets_the_code_and_key_from_the_backup(tmp_path: Path,
                                                          kiosk_key_only: str) -> None:
    """The installed config names the template's kiosk 0001: the backup's config replaces it
    (kept aside), relative paths taken from where the command runs, as on the old card."""
    url = "http://127.0.0.1:9"
    old, card = tmp_path / "old", tmp_path / "card"
    config = _config(old, url, kiosk_key_only, store="kiosk.db")
    note = old / "voice" / "note-1.wav"
    note.parent.mkdir()
    note.write_bytes(b"RIFF" + bytes(100))
    with _open(old) as s:
        s.record_submission(SubmissionDraft("环境卫生", "旧卡的一件", voice_path=note,
                                            voice_sha256="0" * 64), "0042")
    backup = tmp_path / "old.backup"
    assert shuoshi("backup", str(backup), "--config", str(config), cwd=old).returncode == 0
    fresh = _config(card, url, "", code="0001", store="kiosk.db")
    fresh.chmod(0o640)  # root:shuoshi 0640 on an appliance
    as_root = os.geteuid() == 0
    if as_root:  # the data folder belongs to the kiosk's user, the restore runs as root
        os.chown(card, NOBODY, NOBODY)
    restored = shuoshi("restore", str(backup), "--config", str(fresh), cwd=card)
    assert restored.returncode == 0, restored.stderr
    assert 'kiosk_code = "0042"' in fresh.read_text(encoding="utf-8")
    assert kiosk_key_only in fresh.read_text(encoding="utf-8")
    assert stat.S_IMODE(fresh.stat().st_mode) == 0o640  # the old file's mode: it holds the key
    [aside] = card.glob("kiosk.toml.before-restore-*")
    assert 'kiosk_code = "0001"' in aside.read_text(encoding="utf-8")
    assert _tickets(card / "kiosk.db") == [make_ticket("0042", 1)]
    moved = card / "voice" / "note-1.wav"  # the queue's voice note came along
    assert moved.read_bytes() == note.read_bytes()
    with sqlite3.connect(card / "kiosk.db") as conn:
        assert conn.execute("SELECT voice_path FROM submissions").fetchall() == [(str(moved),)]
    if as_root:
        owners = {p.name: p.stat().st_uid for p in (card / "kiosk.db", moved, moved.parent)}
        assert owners == {"kiosk.db": NOBODY, "note-1.wav": NOBODY, "voice": NOBODY}
        assert [p.name for p in card.iterdir()
                if p.stat().st_uid != NOBODY and not p.name.startswith("kiosk.toml")] == []


class _open:
    """A kiosk's store in ``folder``, closed after the block."""

    def __init__(self, folder: Path) -> None:
        self.store = Store(folder / "kiosk.db")

    def __enter__(self) -> Store:
        return self.store

    def __exit__(self, *_exc: object) -> None:
        self.store.close()


def _break_store(backup: Path, broken: Path) -> None:
    """The same backup with its store cut in half."""
    out = io.BytesIO()
    with tarfile.open(backup, "r:gz") as src, tarfile.open(fileobj=out, mode="w") as dst:
        for member in src.getmembers():
            data = src.extractfile(member)
            assert data is not None
            body = data.read()
            if member.name == "store.sqlite3":
                body = body[: len(body) // 2]
            member.size = len(body)
            dst.addfile(member, io.BytesIO(body))
    broken.write_bytes(gzip.compress(out.getvalue()))
