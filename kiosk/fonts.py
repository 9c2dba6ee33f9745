"""Find a CJK font with Simplified Chinese glyph forms; a missing font is an error, not boxes."""

from __future__ import annotations

import shutil
import subprocess
from pathlib import Path

# Fonts whose first face draws Simplified Chinese forms. Kivy cannot pick a face inside a
# .ttc, so Noto/Source Han collections (first face Japanese) are not listed.
KNOWN_SC_FONTS = (
    "/usr/share/fonts/truetype/wqy/wqy-microhei.ttc",
    "/usr/share/fonts/truetype/wqy/wqy-zenhei.ttc",
    "/usr/share/fonts/opentype/noto/NotoSansSC-Regular.otf",
    "/usr/share/fonts/truetype/droid/DroidSansFallbackFull.ttf",
)
SC_FAMILY_HINTS = ("WenQuanYi", "Noto Sans SC", "Noto Sans CJK SC", "Droid Sans Fallback")
INSTALL_HINT = "install one with: sudo apt install fonts-wqy-microhei"


class MissingFontError(RuntimeError):
    pass


def find_cjk_font(configured: str = "") -> Path:
    """The configured font if it exists, else the first suitable font on this system."""
    if configured:
        path = Path(configured)
        if not path.is_file():
            raise MissingFontError(f"[screen] font = {configured!r}: no such file; {INSTALL_HINT}")
        return path
    for candidate in KNOWN_SC_FONTS:
        if Path(candidate).is_file():
            return Path(candidate)
    found = _ask_fontconfig()
    if found is None:
        raise MissingFontError(
            f"no font with Simplified Chinese glyphs found (looked in {', '.join(KNOWN_SC_FONTS)}"
            f" and asked fontconfig); {INSTALL_HINT}, or set [screen] font in the config"
        )
    return found


def _ask_fontconfig() -> Path | None:
    if shutil.which("fc-list") is None:
        return None
    out = subprocess.run(
        ["fc-list", ":lang=zh-cn", "file", "family", "index"],
        capture_output=True, text=True, timeout=10, check=False,
    ).stdout
    for line in out.splitlines():
        file_part, _, rest = line.partition(":")
        if ("index=0" in rest or "index" not in rest) and any(h in rest for h in SC_FAMILY_HINTS):
            return Path(file_part.strip())
    return None


# Drawn from, in this order, when the primary font lacks a character on a receipt bitmap:
# CJK extension A and rare 汉字 (Droid Sans Fallback, HanaMin A/B for extension B such as 𠮷),
# then symbols (☎, ①, emoji outlines).
KNOWN_FALLBACK_FONTS = (
    "/usr/share/fonts/truetype/droid/DroidSansFallbackFull.ttf",
    "/usr/share/fonts/truetype/hanazono/HanaMinA.ttf",
    "/usr/share/fonts/truetype/hanazono/HanaMinB.ttf",
    "/usr/share/fonts/truetype/dejavu/DejaVuSans.ttf",
    "/usr/share/fonts/truetype/noto/NotoSansSymbols2-Regular.ttf",
)
FALLBACK_FAMILIES = ("Droid Sans Fallback", "HanaMinA", "HanaMinB")


def find_fallback_fonts(primary: Path | None = None) -> list[Path]:
    """Fonts for what ``primary`` lacks: the known paths, then fontconfig's by family."""
    found: list[Path] = []
    seen = {primary.resolve()} if primary is not None else set()
    for candidate in (*map(Path, KNOWN_FALLBACK_FONTS), *_fontconfig_families()):
        if candidate.is_file() and candidate.resolve() not in seen:
            seen.add(candidate.resolve())
            found.append(candidate)
    return found


def font_with(char: str) -> Path | None:
    """Any font file fontconfig knows that has ``char`` (for one no listed font draws)."""
    if shutil.which("fc-list") is None or not char:
        return None
    out = subprocess.run(
        ["fc-list", f":charset={ord(char):x}", "file", "index"],
        capture_output=True, text=True, timeout=10, check=False,
    ).stdout
    for line in sorted(out.splitlines()):
        file_part, _, rest = line.partition(":")
        if "index=0" in rest or "index" not in rest:  # the first face is the one Pillow opens
            return Path(file_part.strip())
    return None


def _fontconfig_families() -> list[Path]:
    if shutil.which("fc-list") is None:
        return []
    paths = []
    for family in FALLBACK_FAMILIES:
        out = subprocess.run(
            ["fc-list", f":family={family}", "file"],
            capture_output=True, text=True, timeout=10, check=False,
        ).stdout
        paths += [Path(line.partition(":")[0].strip()) for line in out.splitlines() if line]
    return paths
