"""How typed pinyin and stored readings are compared: one normalisation for both.

Fuzzy pairs that residents mix up by accent are folded together: zh/z, ch/c, sh/s, l/n,
ing/in, eng/en. The same string function is applied to the typed letters and to a word's
joined reading, so a typed prefix of a reading stays a prefix after folding (every
replacement turns a pattern into a prefix of itself).
"""

from __future__ import annotations

from collections.abc import Sequence

_FOLDS = (("zh", "z"), ("ch", "c"), ("sh", "s"), ("l", "n"), ("ing", "in"), ("eng", "en"))


def letters_only(typed: str) -> str:
    """The typed text lower-cased, anything but a–z dropped (apostrophes, spaces, digits)."""
    return "".join(c for c in typed.lower() if "a" <= c <= "z")


def fuzzy(letters: str) -> str:
    """Fold the fuzzy pairs; `letters` is plain lower-case a–z."""
    for pattern, replacement in _FOLDS:
        letters = letters.replace(pattern, replacement)
    return letters


def key_of(syllables: Sequence[str]) -> str:
    """The lookup key of a reading such as ["xia", "shui", "dao"]: "xiasuidao"."""
    return fuzzy("".join(syllables))


def initials_of(syllables: Sequence[str]) -> str:
    """The initials key of a reading: ["xia", "shui", "dao"] -> "xsd"."""
    return fuzzy("".join(s[0] for s in syllables if s))


_INITIALS_OF_TWO = ("zh", "ch", "sh")


def segments(letters: str, syllables: frozenset[str], longest: int = 6) -> list[str]:
    """Typed letters cut into syllables or their beginnings, longest syllable first.

    "xiasd" -> ["xia", "s", "d"]; "xsdao" -> ["x", "s", "dao"]; "xiashd" -> ["xia", "sh", "d"].
    """
    out: list[str] = []
    at = 0
    while at < len(letters):
        for size in range(min(longest, len(letters) - at), 0, -1):
            if letters[at:at + size] in syllables:
                break
        else:
            size = 2 if letters[at:at + 2] in _INITIALS_OF_TWO else 1
        out.append(letters[at:at + size])
        at += size
    return out
