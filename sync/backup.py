"""A kiosk's store, voice notes and identity in one file, to move it to a new SD card.

The backup is a gzip'd tar made readable by its owner only (0600): ``manifest.json`` (the
kiosk code, its signing key, counts), ``store.sqlite3`` (a consistent copy taken with
SQLite's online backup API while the kiosk and the sync worker go on writing), the voice
notes the queue still has to send, and the kiosk's config file when one was given. It holds
what the store holds: the contacts (names, phones) and voice notes of submissions not yet
sent or not yet purged, and the key that signs as this kiosk. Keep it like the kiosk itself.

A restore never touches the live store before the copy has passed ``PRAGMA
integrity_check``; it refuses to replace a store that still has items to send (unless
forced) and keeps the old store aside.
"""

from __future__ import annotations

import contextlib
import io
import json
import os
import shutil
import sqlite3
import tarfile
import tempfile
from collections.abc import Iterator
from dataclasses import asdict, dataclass, field
from datetime import datetime
from pathlib import Path

FORMAT = "shuoshiting-kiosk-backup/1"
MANIFEST = "manifest.json"
STORE = "store.sqlite3"
CONFIG = "kiosk.toml"
VOICE = "voice/"
UNSENT_SQL = {
    "submissions": "SELECT count(*) FROM outbox",
    "ratings": "SELECT count(*) FROM ratings WHERE sent_at IS NULL",
    "supports": "SELECT count(*) FROM supports WHERE acknowledged_at IS NULL",
}


class BackupError(Exception):
    """A backup that cannot be made or used; the message says why (never personal data)."""


@dataclass(frozen=True)
class Identity:
    kiosk_code: str
    signing_key: str


@dataclass
class Manifest:
    kiosk_code: str
    signing_key: str
    made_at: str
    store_path: str
    submissions: int = 0
    unsent: dict[str, int] = field(default_factory=dict)
    last_sequence: dict[str, int] = field(default_factory=dict)
    voice_notes: dict[str, str] = field(default_factory=dict)
    """Member name of each voice note the copy refers to, by its path on the old kiosk."""
    format: str = FORMAT

    @property
    def identity(self) -> Identity:
        return Identity(self.kiosk_code, self.signing_key)


def snapshot(store_path: Path, dest: Path) -> None:
    """A consistent copy of the live store (one read transaction of the backup API, so
    writers in WAL mode are not held up), as a single file without a WAL."""
    if not store_path.is_file():
        raise BackupError(f"no store at {store_path}")
    source = sqlite3.connect(f"file:{store_path}?mode=ro", uri=True, timeout=30)
    try:
        copy = sqlite3.connect(dest)
        try:
            source.backup(copy)  # all pages in one step: one snapshot
            copy.execute("PRAGMA journal_mode=DELETE")
        finally:
            copy.close()
    finally:
        source.close()


def check_integrity(path: Path) -> None:
    try:
        db = sqlite3.connect(f"file:{path}?mode=ro", uri=True)
        try:
            rows = db.execute("PRAGMA integrity_check").fetchall()
            db.execute("SELECT count(*) FROM submissions").fetchone()
        finally:
            db.close()
    except sqlite3.DatabaseError as exc:
        raise BackupError(f"the store in the backup is not usable: {exc}") from None
    if rows != [("ok",)]:
        raise BackupError("the store in the backup fails its integrity check: "
                          + "; ".join(str(r[0]) for r in rows[:5]))


def unsent(path: Path) -> dict[str, int]:
    """Items of the store at ``path`` the server does not hold yet, by kind."""
    db = sqlite3.connect(f"file:{path}?mode=ro", uri=True, timeout=30)
    try:
        counts: dict[str, int] = {}
        for kind, sql in UNSENT_SQL.items():
            with contextlib.suppress(sqlite3.OperationalError):  # an older schema lacks it
                counts[kind] = int(db.execute(sql).fetchone()[0])
        return counts
    finally:
        db.close()


def _facts(copy: Path) -> tuple[int, dict[str, int], list[str]]:
    db = sqlite3.connect(copy)
    try:
        total = int(db.execute("SELECT count(*) FROM submissions").fetchone()[0])
        sequences = {str(code): int(last) for code, last in
                     db.execute("SELECT kiosk_code, last_sequence FROM ticket_counter")}
        voices = [str(p) for (p,) in db.execute(
            "SELECT DISTINCT voice_path FROM submissions WHERE voice_path IS NOT NULL")]
        return total, sequences, voices
    finally:
        db.close()


@contextlib.contextmanager
def _private_file(path: Path) -> Iterator[io.BufferedWriter]:
    """A new file only its owner can read, moved into place once complete."""
    fd, name = tempfile.mkstemp(prefix=f".{path.name}.", dir=path.parent)  # mode 0600
    try:
        with os.fdopen(fd, "wb") as f:
            yield f
            f.flush()
            os.fsync(f.fileno())
        os.chmod(name, 0o600)
        os.replace(name, path)
    except BaseException:
        with contextlib.suppress(FileNotFoundError):
            os.unlink(name)
        raise


def _add_bytes(tar: tarfile.TarFile, name: str, data: bytes) -> None:
    info = tarfile.TarInfo(name)
    info.size, info.mode, info.mtime = len(data), 0o600, int(datetime.now().timestamp())
    tar.addfile(info, io.BytesIO(data))


def make_backup(store_path: Path, identity: Identity, dest: Path,
                config_file: Path | None = None) -> Manifest:
    """Write the backup of the live store at ``store_path`` to ``dest`` (0600)."""
    dest.parent.mkdir(parents=True, exist_ok=True)
    with tempfile.TemporaryDirectory(dir=dest.parent, prefix=".backup-") as work:
        copy = Path(work) / STORE
        snapshot(store_path, copy)
        check_integrity(copy)
        total, sequences, voices = _facts(copy)
        manifest = Manifest(kiosk_code=identity.kiosk_code, signing_key=identity.signing_key,
                            made_at=datetime.now().astimezone().isoformat(timespec="seconds"),
                            store_path=str(store_path), submissions=total,
                            unsent=unsent(copy), last_sequence=sequences)
        found = [Path(v) for v in voices if Path(v).is_file()]
        manifest.voice_notes = {str(v): f"{VOICE}{i:05d}-{v.name}" for i, v in enumerate(found)}
        with _private_file(dest) as out, tarfile.open(fileobj=out, mode="w:gz") as tar:
            _add_bytes(tar, MANIFEST, json.dumps(asdict(manifest), ensure_ascii=False,
                                                 indent=1).encode())
            tar.add(copy, STORE)
            for voice in found:
                tar.add(voice, manifest.voice_notes[str(voice)])
            if config_file is not None:
                tar.add(config_file, CONFIG)
    return manifest


@dataclass
class Unpacked:
    manifest: Manifest
    store: Path
    config: bytes | None
    voice_notes: dict[str, Path]
    """Extracted voice note by its path on the old kiosk."""


def unpack(backup: Path, work: Path) -> Unpacked:
    """Read ``backup`` into the folder ``work``; its store copy checked (integrity_check)."""
    try:
        with tarfile.open(backup, "r:gz") as tar:
            names = set(tar.getnames())
            if MANIFEST not in names or STORE not in names:
                raise BackupError(f"{backup} is not a kiosk backup (no {MANIFEST} or {STORE})")
            raw = json.loads(_read(tar, MANIFEST))
            if raw.get("format") != FORMAT:
                raise BackupError(f"{backup}: unknown backup format {raw.get('format')!r}")
            manifest = Manifest(**raw)
            store = work / STORE
            store.write_bytes(_read(tar, STORE))
            config = _read(tar, CONFIG) if CONFIG in names else None
            voices: dict[str, Path] = {}
            for old, member in manifest.voice_notes.items():
                if member in names:
                    voices[old] = work / Path(member).name
                    voices[old].write_bytes(_read(tar, member))
    except (tarfile.TarError, OSError, ValueError, TypeError) as exc:
        raise BackupError(f"{backup} cannot be read as a kiosk backup: {exc}") from None
    check_integrity(store)
    return Unpacked(manifest, store, config, voices)


def _read(tar: tarfile.TarFile, name: str) -> bytes:
    member = tar.extractfile(name)
    if member is None:
        raise BackupError(f"{name} in the backup is not a file")
    return member.read()


def place_voice_notes(unpacked: Unpacked, voice_dir: Path) -> None:
    """Put the voice notes into this kiosk's voice folder and point the copy at them."""
    if not unpacked.voice_notes:
        return
    voice_dir.mkdir(parents=True, exist_ok=True)
    own_like_folder(voice_dir)
    db = sqlite3.connect(unpacked.store)
    try:
        for old, extracted in unpacked.voice_notes.items():
            new = voice_dir.resolve() / Path(old).name
            shutil.copyfile(extracted, new)
            own_like_folder(new)
            db.execute("UPDATE submissions SET voice_path = ? WHERE voice_path = ?",
                       (str(new), old))
        db.commit()
    finally:
        db.close()


def replace_store(copy: Path, store_path: Path, stamp: str) -> Path | None:
    """Move the checked copy into place; the old store (and its WAL) kept aside as
    ``NAME.before-restore-STAMP``; returns where, or None when there was none."""
    store_path.parent.mkdir(parents=True, exist_ok=True)
    kept: Path | None = None
    if store_path.exists():
        kept = store_path.with_name(f"{store_path.name}.before-restore-{stamp}")
        # fold the WAL into the old file first, so the kept copy is whole on its own
        with contextlib.closing(sqlite3.connect(store_path, timeout=30)) as old:
            old.execute("PRAGMA wal_checkpoint(TRUNCATE)")
        os.replace(store_path, kept)
    for suffix in ("-wal", "-shm"):
        with contextlib.suppress(FileNotFoundError):
            os.unlink(f"{store_path}{suffix}")
    staged = store_path.with_name(f".{store_path.name}.restoring")
    shutil.copyfile(copy, staged)
    os.chmod(staged, 0o600)
    own_like_folder(staged)
    os.replace(staged, store_path)
    return kept


def ticket_counters(path: Path) -> dict[str, int]:
    """The last sequence number used, by kiosk code, in the store at ``path``."""
    with contextlib.closing(sqlite3.connect(f"file:{path}?mode=ro", uri=True, timeout=30)) as db:
        try:
            return {str(code): int(last) for code, last in
                    db.execute("SELECT kiosk_code, last_sequence FROM ticket_counter")}
        except sqlite3.OperationalError:
            return {}


def keep_counters_ahead(copy: Path, used: dict[str, int]) -> None:
    """Restoring an older backup over a store that has since given out tickets must not
    give the same numbers again: the copy's counters go up to what the old store used."""
    with contextlib.closing(sqlite3.connect(copy)) as db:
        for code, last in used.items():
            db.execute("INSERT INTO ticket_counter (kiosk_code, last_sequence) VALUES (?, ?) "
                       "ON CONFLICT (kiosk_code) DO UPDATE SET last_sequence = "
                       "max(last_sequence, excluded.last_sequence)", (code, last))
        db.commit()


def own_like_folder(*paths: Path) -> None:
    """Run as root (to write /etc/shuoshiting), what a restore leaves in the kiosk's data
    folder must still belong to the kiosk's user: each existing path gets its folder's owner."""
    if not hasattr(os, "geteuid") or os.geteuid() != 0:
        return
    for path in paths:
        if path.exists():
            folder = path.parent.stat()
            os.chown(path, folder.st_uid, folder.st_gid)


def store_files(store_path: Path) -> list[Path]:
    """The store and the files SQLite and the migrations keep beside it."""
    return [store_path, *(store_path.with_name(store_path.name + suffix)
                          for suffix in ("-wal", "-shm", ".migrate.lock"))]
