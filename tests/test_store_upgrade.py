"""The local store: old databases upgrade in place; files are written durably; privacy."""

from __future__ import annotations

import shutil
import sqlite3
import subprocess
import sys
from pathlib import Path

from sync.contract.migrate import head_revision
from sync.files import remove_partial_files, sha256_of, write_durably
from sync.outbox import Outbox
from sync.store import MIGRATIONS_DIR, Store, SubmissionDraft
from tests.conftest import REPO

KIOSK_HEAD = head_revision(MIGRATIONS_DIR)

OLD_DB = Path(__file__).parent / "data" / "kiosk-rev0001.db"


def test_database_from_the_first_release_upgrades_in_place(tmp_path: Path) -> None:
    db = tmp_path / "kiosk.db"
    shutil.copy(OLD_DB, db)
    store = Store(db)  # migrations run at start-up
    with sqlite3.connect(db) as conn:
        assert conn.execute("SELECT version_num FROM alembic_version").fetchone() == (KIOSK_HEAD,)
        rows = conn.execute("SELECT ticket, contact_name, contact_phone, masked_phone, purged_at "
                            "FROM submissions ORDER BY ticket").fetchall()
        assert conn.execute("PRAGMA integrity_check").fetchone() == ("ok",)
    acknowledged, waiting, anonymous = rows
    # The one the server already had loses name and phone; the masked phone stays.
    assert acknowledged[1:4] == (None, None, "138****1234") and acknowledged[4]
    # The one still waiting keeps its phone until the server has it.
    assert waiting[2:4] == ("13900001111", "139****1111") and waiting[4] is None
    assert anonymous[3] == "匿名"
    assert Outbox(store).depth() == 2
    # And the upgraded store works: a new submission continues the kiosk's sequence.
    new = store.record_submission(SubmissionDraft("其他", "测试"), "0007")
    assert new.ticket.startswith("000700004")
    store.close()


def test_acknowledged_submission_drops_personal_data_and_voice(tmp_path: Path) -> None:
    store = Store(tmp_path / "kiosk.db")
    voice = write_durably(tmp_path / "voice", "note.wav", b"RIFF....WAVEfmt ")
    stored = store.record_submission(
        SubmissionDraft("邻里纠纷", "楼上漏水到楼下", contact_name="李大爷",
                        contact_phone="13812345678", voice_path=voice,
                        voice_sha256=sha256_of(voice)), "0042")
    Outbox(store).acknowledge({stored.uuid: 7})
    with sqlite3.connect(tmp_path / "kiosk.db") as conn:
        row = conn.execute("SELECT contact_name, contact_phone, masked_phone, voice_path, "
                           "server_id FROM submissions").fetchone()
    assert row == (None, None, "138****5678", None, 7)
    assert not voice.exists()
    store.close()


def test_durable_write_leaves_whole_file_or_nothing(tmp_path: Path) -> None:
    folder = tmp_path / "voice"
    path = write_durably(folder, "note.wav", b"x" * 100_000)
    assert path.read_bytes() == b"x" * 100_000
    (folder / ".note2.wav.abc.part").write_bytes(b"half")  # what a crash mid-write leaves
    assert remove_partial_files(folder) == 1
    assert sorted(p.name for p in folder.iterdir()) == ["note.wav"]


def test_kiosk_migrations_build_exactly_the_models(tmp_path: Path) -> None:
    from alembic.autogenerate import compare_metadata
    from alembic.runtime.migration import MigrationContext

    from sync.models import Base

    store = Store(tmp_path / "kiosk.db")
    with store.engine.connect() as conn:
        diff = compare_metadata(MigrationContext.configure(conn), Base.metadata)
    store.close()
    assert diff == []


def test_the_newest_revision_is_read_from_the_files_as_alembic_reads_it() -> None:
    from alembic.config import Config as AlembicConfig
    from alembic.script import ScriptDirectory

    from sync.contract.migrate import head_revision

    for tree in (REPO / "sync" / "migrations", REPO / "server" / "migrations"):
        cfg = AlembicConfig()
        cfg.set_main_option("script_location", str(tree))
        assert head_revision(tree) == ScriptDirectory.from_config(cfg).get_current_head()


def test_a_store_already_at_the_newest_revision_opens_without_alembic(tmp_path: Path) -> None:
    program = ("import sys; from pathlib import Path; from sync.store import Store; "
               "Store(Path(sys.argv[1])).close(); print('alembic' in sys.modules)")
    db = str(tmp_path / "kiosk.db")
    first = subprocess.run([sys.executable, "-c", program, db], capture_output=True, text=True,
                           cwd=REPO, check=True, timeout=60)
    again = subprocess.run([sys.executable, "-c", program, db], capture_output=True, text=True,
                           cwd=REPO, check=True, timeout=60)
    assert (first.stdout.strip(), again.stdout.strip()) == ("True", "False")


def test_a_new_store_is_migrated_in_a_child_process_for_the_kiosk(tmp_path: Path) -> None:
    program = ("import sys; from pathlib import Path; from sync.store import Store, "
               "migrate_apart; path = Path(sys.argv[1]); migrate_apart(path); "
               "Store(path).close(); print('alembic' in sys.modules)")
    db = tmp_path / "new" / "kiosk.db"
    done = subprocess.run([sys.executable, "-c", program, str(db)], capture_output=True,
                          text=True, cwd=REPO, check=True, timeout=60)
    assert done.stdout.strip() == "False"  # this process never loaded Alembic
    with sqlite3.connect(db) as conn:
        tables = {row[0] for row in conn.execute("SELECT name FROM sqlite_master")}
    assert {"submissions", "outbox", "alembic_version"} <= tables
