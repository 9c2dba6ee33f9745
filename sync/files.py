"""Files that must survive a power cut: temp file, fsync, rename, and only then referenced."""

from __future__ import annotations

import hashlib
import os
import tempfile
from pathlib import Path


def write_durably(folder: Path, name: str, data: bytes) -> Path:
    """Write ``data`` as ``folder/name`` so that after a crash it is either whole or absent."""
    folder.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(dir=folder, prefix=f".{name}.", suffix=".part")
    try:
        with os.fdopen(fd, "wb") as f:
            f.write(data)
            f.flush()
            os.fsync(f.fileno())
        target = folder / name
        os.replace(tmp, target)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise
    dir_fd = os.open(folder, os.O_RDONLY)
    try:
        os.fsync(dir_fd)  # the rename itself must reach the disk
    finally:
        os.close(dir_fd)
    return target


def sha256_of(path: Path) -> str:
    digest = hashlib.sha256()
    with path.open("rb") as f:
        for chunk in iter(lambda: f.read(1 << 16), b""):
            digest.update(chunk)
    return digest.hexdigest()


def remove_partial_files(folder: Path) -> int:
    """Temp files left by a crash mid-write; nothing references them."""
    count = 0
    if folder.is_dir():
        for leftover in folder.glob(".*.part"):
            leftover.unlink(missing_ok=True)
            count += 1
    return count
