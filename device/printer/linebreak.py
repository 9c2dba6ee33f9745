"""Display width and line breaking for fixed-width receipt columns.

On the printer every non-ASCII character fills a full-width cell (two columns), ASCII one.
Break opportunities come from the Unicode line breaking algorithm (UAX #14, via uniseg):
closing punctuation (。，」) never starts a line, opening brackets never end one, "……" and
"——" stay whole, Latin words and numbers stay whole. On top of it, for receipts:

- a grouped ticket number such as ``0001 00015 3`` is one unbreakable run;
- a paragraph's leading spaces (the 全角 indent "　　") are kept; spaces at a break hang
  and are dropped there;
- a run wider than the paper (a URL, a long number) is split by width, starting on the
  current line, so a label such as "内容：" is never left alone before it; a Latin run that
  merely does not fit after a short label alone on its line is split the same way. Elsewhere
  a run that fits on a line (a phone number) moves to the next line whole.
"""

from __future__ import annotations

import re
from collections.abc import Iterator

from uniseg.linebreak import line_break_units

TICKET_GROUPS = re.compile(r"\d{4} \d{5} \d")
NO_BREAK_SPACE = "\u00a0"
HANGING = " \u3000"  # spaces that may hang past the end of a line, as UAX #14 lets them
LABEL_ENDS = ("：", ":")
PAIRED = "…—"  # written doubled in Chinese: 省略号 "……", 破折号 "——"


def char_columns(char: str) -> int:
    """Columns one character takes on the paper: 1 for printable ASCII, else 2."""
    return 1 if " " <= char <= "~" else 2


def text_columns(text: str) -> int:
    return sum(char_columns(char) for char in text)


def _units(text: str) -> Iterator[str]:
    """UAX #14 units (each ends at a break opportunity), ticket numbers kept whole."""
    guarded = TICKET_GROUPS.sub(lambda match: match[0].replace(" ", NO_BREAK_SPACE), text)
    start = 0
    for unit in line_break_units(guarded):
        # the guard swaps characters one for one, so the offsets hold in the original text
        yield text[start : start + len(unit)]
        start += len(unit)


def _splittable(unit: str) -> bool:
    """A Latin or number run, which may be cut anywhere; never a ticket number."""
    core = unit.rstrip(HANGING)
    return bool(core) and core.isascii() and not TICKET_GROUPS.search(core)


def _label_alone(line: str, width: int) -> bool:
    """The line so far is a short label ("内容：") that would be left alone on it."""
    label = line.rstrip(HANGING)
    return label.endswith(LABEL_ENDS) and text_columns(label) <= width // 2


def _cut(unit: str, room: int) -> tuple[str, str]:
    """The longest head of ``unit`` within ``room`` columns, and the rest."""
    used = 0
    for index, char in enumerate(unit):
        used += char_columns(char)
        if used > room:
            if char in PAIRED:  # a cut never splits "……" or "——": cut before the pair
                run_start = index
                while run_start > 0 and unit[run_start - 1] == char:
                    run_start -= 1
                index -= (index - run_start) % 2
            return unit[:index], unit[index:]
    return unit, ""


class _Lines:
    """Greedy filling of lines of at most ``width`` columns."""

    def __init__(self, width: int) -> None:
        self.width = width
        self.done: list[str] = []
        self.line = ""

    @property
    def room(self) -> int:
        return self.width - text_columns(self.line)

    def fits(self, unit: str) -> bool:
        return text_columns(unit.rstrip(HANGING)) <= self.room

    def add(self, unit: str) -> None:
        self.line += unit

    def next_line(self) -> None:
        self.done.append(self.line.rstrip(HANGING))
        self.line = ""

    def add_cut(self, unit: str) -> None:
        """Fill the rest of this line with the head of ``unit``, then whole lines of it."""
        while not self.fits(unit):
            head, unit = _cut(unit, self.room)
            if not head and not self.line:  # paper narrower than a pair: cut it after all
                head, unit = unit[:1], unit[1:]
            if not head:  # not even one character fits: go on on a fresh line
                self.next_line()
                continue
            self.add(head)
            self.next_line()
        self.add(unit)

    def finish(self) -> list[str]:
        last = self.line.rstrip(" ")
        if text_columns(last) > self.width:  # nothing but hanging spaces left over
            last = last.rstrip(HANGING)
        return [*self.done, last]


def wrap(text: str, width: int) -> list[str]:
    """Lines of at most ``width`` columns; an empty text gives one empty line."""
    if width < 2:
        raise ValueError(f"wrap width must be at least 2 columns, got {width}")
    lines = _Lines(width)
    for unit in _units(text):
        if lines.fits(unit):
            lines.add(unit)
            continue
        too_wide = text_columns(unit.rstrip(HANGING)) > width
        after_label = _label_alone(lines.line, width)
        indent_only = not lines.line.strip(HANGING)
        if indent_only or (_splittable(unit) and (too_wide or after_label)):
            lines.add_cut(unit)  # fill this line: after the indent, or glued to the label
            continue
        lines.next_line()
        if too_wide:  # no break opportunity inside (a run of punctuation)
            lines.add_cut(unit)
        else:
            lines.add(unit)
    return lines.finish()
