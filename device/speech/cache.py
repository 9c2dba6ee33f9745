"""Fixed prompts rendered once to WAV and kept, so a screen's prompt starts at once.

A prompt's file name is a hash of its text and of the engine's identity (backend, engine
version, voice, rate, volume, text rules), so changing any setting or upgrading espeak-ng
simply misses the old files; ``prune`` then deletes them.
"""

from __future__ import annotations

import hashlib
import os
import tempfile
from collections.abc import Callable, Iterable
from pathlib import Path

CHIME_PREFIX = "chime-"


class PromptCache:
    """WAV files in ``folder`` named by hash of (``identity``, text)."""

    def __init__(self, folder: Path, identity: str) -> None:
        self.folder = folder
        self.identity = identity
        folder.mkdir(parents=True, exist_ok=True)

    def path(self, text: str) -> Path:
        digest = hashlib.sha256(f"{self.identity}\0{text}".encode()).hexdigest()[:32]
        return self.folder / f"{digest}.wav"

    def get(self, text: str) -> Path | None:
        """The cached WAV for ``text``, or None if it has not been rendered with these settings."""
        path = self.path(text)
        return path if path.is_file() else None

    def store(self, text: str, render: Callable[[str, Path], None]) -> Path | None:
        """Render ``text`` with ``render(text, wav_path)`` into the cache (atomically: a
        half-written file is never found); None when the renderer wrote no audio."""
        target = self.path(text)
        fd, name = tempfile.mkstemp(prefix=".render-", suffix=".wav", dir=self.folder)
        os.close(fd)
        partial = Path(name)
        try:
            render(text, partial)
            if partial.stat().st_size <= 44:
                return None
            os.replace(partial, target)
            return target
        finally:
            partial.unlink(missing_ok=True)

    def prune(self, keep: Iterable[str]) -> int:
        """Delete cached WAVs that are not for a text in ``keep`` (old settings, old
        prompts); the chime is kept. Returns how many were deleted."""
        wanted = {self.path(text).name for text in keep}
        removed = 0
        for wav in self.folder.glob("*.wav"):
            if wav.name not in wanted and not wav.name.startswith((CHIME_PREFIX, ".")):
                wav.unlink(missing_ok=True)
                removed += 1
        return removed

    def __len__(self) -> int:
        return sum(1 for wav in self.folder.glob("*.wav") if not wav.name.startswith(CHIME_PREFIX))


class MuteSwitch:
    """Speech off, either for good (``always``, from the config) or while ``flag_file``
    exists (staff: ``shuoshi speak --mute`` / ``--unmute``). The file is looked at before
    every utterance, so a running kiosk follows the switch at once, and it survives a
    restart."""

    def __init__(self, flag_file: Path | None, *, always: bool = False) -> None:
        self.flag_file = flag_file
        self.always = always

    def is_muted(self) -> bool:
        return self.always or (self.flag_file is not None and self.flag_file.exists())

    def set(self, muted: bool) -> None:
        """Create or remove the flag file."""
        if self.flag_file is None:
            raise ValueError("no mute file configured")
        if muted:
            self.flag_file.parent.mkdir(parents=True, exist_ok=True)
            self.flag_file.write_text("muted by staff\n", encoding="utf-8")
        else:
            self.flag_file.unlink(missing_ok=True)
