"""Display width and Chinese line breaking for fixed-width receipt columns.

On the printer every non-ASCII character fills a full-width cell (two columns), ASCII one.
Breaking follows the usual Chinese rules (GB/T 15834, like JIS X 4051 kinsoku): closing
punctuation never starts a line, opening brackets never end one, runs of Latin letters
and digits stay whole, and a grouped ticket number such as ``0001 00015 3`` is never split.
"""

from __future__ import annotations

import re

NO_LINE_START = frozenset(
    "。，、；：？！）」』》〉】〕］｝”’…—～·．,.;:?!)]}%％‰℃"
)
NO_LINE_END = frozenset("（「『《〈【〔［｛“‘([{¥￥")
TICKET_GROUPS = re.compile(r"\d{4} \d{5} \d")
ATOMS = re.compile(r"\d{4} \d{5} \d|[!-~]+| +|.", re.DOTALL)


def char_columns(char: str) -> int:
    """Columns one character takes on the paper: 1 for printable ASCII, else 2."""
    return 1 if " " <= char <= "~" else 2


def text_columns(text: str) -> int:
    return sum(char_columns(char) for char in text)


def _atoms(text: str, width: int) -> list[str]:
    atoms: list[str] = []
    for atom in ATOMS.findall(text):
        if text_columns(atom) <= width or atom.isspace():
            atoms.append(atom)
        else:  # a Latin word wider than the paper: split it where it must
            atoms.extend(_hard_split(atom, width))
    return atoms


def _hard_split(word: str, width: int) -> list[str]:
    parts, current = [], ""
    for char in word:
        if current and text_columns(current + char) > width:
            parts.append(current)
            current = ""
        current += char
    return [*parts, current] if current else parts


def _starts_badly(atom: str) -> bool:
    return atom[:1] in NO_LINE_START


def _ends_badly(atom: str) -> bool:
    return atom[-1:] in NO_LINE_END


def wrap(text: str, width: int) -> list[str]:
    """Lines of at most ``width`` columns; an empty text gives one empty line."""
    if width < 2:
        raise ValueError(f"wrap width must be at least 2 columns, got {width}")
    lines: list[list[str]] = [[]]
    used = 0
    for atom in _atoms(text, width):
        size = text_columns(atom)
        line = lines[-1]
        if used + size <= width:
            if atom.isspace() and not line:
                continue  # no leading blanks on a wrapped line
            line.append(atom)
            used += size
            continue
        if atom.isspace():
            lines.append([])
            used = 0
            continue
        carried: list[str] = []
        # push one character down so the new line does not start with 。，」, and an
        # opening （「 down so the old line does not end with it; a line of nothing but
        # punctuation breaks anywhere
        if _starts_badly(atom) and len(line) > 1 and not _starts_badly(line[-1]):
            carried.insert(0, line.pop())
        while len(line) > 1 and (_ends_badly(line[-1]) or line[-1].isspace()):
            moved = line.pop()
            if not moved.isspace():
                carried.insert(0, moved)
        if text_columns("".join([*carried, atom])) > width:
            line.extend(carried)  # cannot honour the rule without overflowing the paper
            carried = []
        lines.append([*carried, atom])
        used = text_columns("".join(lines[-1]))
    return ["".join(line).rstrip(" ") for line in lines]
