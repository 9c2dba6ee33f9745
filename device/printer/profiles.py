"""Printer profiles (paper width, columns, Chinese font encoding, QR, cutter) read from data."""

from __future__ import annotations

import tomllib
import unicodedata
from dataclasses import dataclass
from functools import cache
from pathlib import Path
from typing import Literal, cast

PROFILES_TOML = Path(__file__).with_name("profiles.toml")
DEFAULT_PROFILE = "generic-80-gb18030"
CUT_MODES = ("partial", "full", "none")
ENCODINGS = ("gb18030", "gbk", "")
CutMode = Literal["partial", "full", "none"]


class UnknownProfileError(ValueError):
    """A profile name that is not in profiles.toml; the message lists the known ones."""


@dataclass(frozen=True)
class PrinterProfile:
    name: str
    title: str
    paper_dots: int
    columns: int
    encoding: str
    native_qr: bool
    cut: CutMode
    tear_feed_lines: int
    status: bool

    @property
    def has_chinese_font(self) -> bool:
        return bool(self.encoding)

    @property
    def dots_per_column(self) -> int:
        return self.paper_dots // self.columns

    def prints_natively(self, char: str) -> bool:
        """True when the ROM font has ``char``: ASCII, or two bytes in the profile's encoding.

        Four-byte GB18030 sequences (CJK extension A/B, emoji) and the user-defined areas
        (private use in Unicode) are not in the fonts of these printers.
        """
        if not self.encoding:
            return False
        if " " <= char <= "~":
            return True
        if unicodedata.category(char) in ("Co", "Cc", "Cs", "Cn"):
            return False
        try:
            return len(char.encode(self.encoding)) == 2
        except UnicodeEncodeError:
            return False


def _profile(name: str, raw: dict[str, object]) -> PrinterProfile:
    cut = raw["cut"]
    if cut not in CUT_MODES:
        raise ValueError(f"profile {name}: cut must be one of {CUT_MODES}, got {cut!r}")
    if raw["encoding"] not in ENCODINGS:
        raise ValueError(f"profile {name}: encoding must be one of {ENCODINGS}")
    profile = PrinterProfile(
        name=name, title=str(raw["title"]), paper_dots=int(cast(int, raw["paper_dots"])),
        columns=int(cast(int, raw["columns"])), encoding=str(raw["encoding"]),
        native_qr=bool(raw["native_qr"]), cut=cast(CutMode, cut),
        tear_feed_lines=int(cast(int, raw["tear_feed_lines"])), status=bool(raw["status"]),
    )
    if profile.columns < 16 or profile.paper_dots < profile.columns * 8:
        raise ValueError(f"profile {name}: paper_dots and columns do not fit together")
    return profile


@cache
def load_profiles(path: Path = PROFILES_TOML) -> dict[str, PrinterProfile]:
    with path.open("rb") as handle:
        data = tomllib.load(handle)
    return {name: _profile(name, raw) for name, raw in data.items()}


def get_profile(name: str) -> PrinterProfile:
    profiles = load_profiles()
    if name not in profiles:
        known = ", ".join(profiles)
        raise UnknownProfileError(f"unknown printer profile {name!r}; known profiles: {known}")
    return profiles[name]
