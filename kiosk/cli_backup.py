"""``shuoshi backup FILE`` and ``shuoshi restore FILE``: a kiosk moved to a new SD card keeps
its code, its key and its queue (sync.backup has the file's make-up)."""

from __future__ import annotations

import argparse
import os
import stat
import sys
import tempfile
from datetime import datetime
from pathlib import Path

from kiosk.config import AppConfig, load_config
from kiosk.voice_note import voice_dir_of
from sync.backup import (
    BackupError,
    Identity,
    Unpacked,
    keep_counters_ahead,
    make_backup,
    own_like_folder,
    place_voice_notes,
    replace_store,
    store_files,
    ticket_counters,
    unpack,
    unsent,
)
from sync.store import Store

EXIT_REFUSED = 1


def register(sub: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    b = sub.add_parser("backup", help="copy the store, voice notes, kiosk code and key into "
                                      "FILE while the kiosk runs (FILE holds personal data)")
    b.add_argument("file", type=Path, metavar="FILE")
    b.add_argument("--config", type=Path, help="TOML file layered over the defaults; "
                                               "kept in the backup")
    b.set_defaults(handler=run_backup)

    r = sub.add_parser("restore", help="put a backup's store, voice notes, code and key in "
                                       "place (stop the kiosk and the sync worker first)")
    r.add_argument("file", type=Path, metavar="FILE")
    r.add_argument("--config", type=Path,
                   help="this kiosk's config file; replaced by the backup's (the old one kept "
                        "aside) when it names another kiosk code or key")
    r.add_argument("--force", action="store_true",
                   help="replace a store that still has items to send (it is kept aside)")
    r.set_defaults(handler=run_restore)


def _identity(cfg: AppConfig) -> Identity:
    return Identity(cfg.hall.kiosk_code, cfg.sync.signing_key)


def _describe_unsent(counts: dict[str, int]) -> str:
    return ", ".join(f"{n} {kind}" for kind, n in counts.items() if n) or "nothing"


def run_backup(args: argparse.Namespace) -> int:
    cfg = load_config(args.config)
    try:
        made = make_backup(cfg.store.path, _identity(cfg), args.file, args.config)
    except BackupError as exc:
        print(f"backup: {exc}", file=sys.stderr)
        return EXIT_REFUSED
    counters = ", ".join(f"{code}: {n}" for code, n in made.last_sequence.items()) or "none"
    print(f"backup of kiosk {made.kiosk_code} in {args.file}: {made.submissions} submissions "
          f"(waiting to send: {_describe_unsent(made.unsent)}), {len(made.voice_notes)} voice "
          f"notes, last ticket numbers {counters}")
    print("the file holds residents' contacts and this kiosk's signing key: keep it like the "
          "kiosk itself (it is readable by its owner only)")
    return 0


def run_restore(args: argparse.Namespace) -> int:
    current = load_config(args.config)
    stamp = datetime.now().strftime("%Y%m%d-%H%M%S")
    try:
        with tempfile.TemporaryDirectory(prefix="shuoshi-restore-") as work:  # mode 0700
            unpacked = unpack(args.file, Path(work))
            return _restore(args, current, unpacked, Path(work), stamp)
    except BackupError as exc:
        print(f"restore: {exc}; nothing was changed", file=sys.stderr)
        return EXIT_REFUSED


def _restore(args: argparse.Namespace, current: AppConfig, unpacked: Unpacked, work: Path,
             stamp: str) -> int:
    manifest = unpacked.manifest
    cfg, new_config = current, None
    if _identity(current) != manifest.identity:
        if unpacked.config is None or args.config is None:
            print(f"restore: the backup is of kiosk {manifest.kiosk_code}, the config of kiosk "
                  f"{current.hall.kiosk_code} (or of another key); "
                  + ("the backup holds no config file (take it with --config)"
                     if unpacked.config is None else "give --config FILE to put the backup's "
                     "config there") + "; nothing was changed", file=sys.stderr)
            return EXIT_REFUSED
        new_config = work / "kiosk.toml"
        new_config.write_bytes(unpacked.config)
        cfg = load_config(new_config)  # paths in it are read as the kiosk will read them
    target = cfg.store.path
    waiting = unsent(target) if target.exists() else {}
    if any(waiting.values()) and not args.force:
        print(f"restore: the store {target} still has items to send "
              f"({_describe_unsent(waiting)}); send them first (shuoshi sync --once) or give "
              "--force (the store is kept aside); nothing was changed", file=sys.stderr)
        return EXIT_REFUSED
    if target.exists():
        keep_counters_ahead(unpacked.store, ticket_counters(target))
    place_voice_notes(unpacked, voice_dir_of(cfg))
    if new_config is not None and args.config is not None:
        _install_config(new_config, args.config, stamp)
    kept = replace_store(unpacked.store, target, stamp)
    Store(target).close()  # brings a backup of an older version to the newest schema
    own_like_folder(*store_files(target))
    print(f"restored kiosk {manifest.kiosk_code} (backup of {manifest.made_at}) into {target}: "
          f"{manifest.submissions} submissions, waiting to send: "
          f"{_describe_unsent(unsent(target))}")
    if kept is not None:
        print(f"the previous store is kept as {kept}")
    if new_config is not None:
        print(f"the config {args.config} is the backup's now (the previous one is kept as "
              f"{args.config}.before-restore-{stamp})")
    return 0


def _install_config(new: Path, config: Path, stamp: str) -> None:
    """The backup's config in place of ``config``, with the old one's owner and mode
    (root:shuoshi 0640 on an appliance: the kiosk's user reads it, it holds the key)."""
    staged = config.with_name(f".{config.name}.restoring")
    staged.write_bytes(new.read_bytes())
    os.chmod(staged, 0o600)
    if config.exists():
        was = config.stat()
        os.chmod(staged, stat.S_IMODE(was.st_mode) & 0o640)
        if hasattr(os, "geteuid") and os.geteuid() == 0:
            os.chown(staged, was.st_uid, was.st_gid)
        os.replace(config, config.with_name(f"{config.name}.before-restore-{stamp}"))
    os.replace(staged, config)
