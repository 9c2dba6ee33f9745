"""Build the word index (pinyin candidates, likely next characters) at install time.

    python -m kiosk.writing.build_index OUT

Words come from jieba's dict.txt (word, frequency, part of speech), readings from pypinyin
(a word's own reading from its phrase dictionary). The file is written to a temporary name
and renamed, and a version stamp inside lets a second run skip an index that is current.
"""

from __future__ import annotations

import argparse
import math
import os
import sqlite3
import sys
import time
from collections import defaultdict
from collections.abc import Iterator
from contextlib import closing
from importlib.metadata import version
from pathlib import Path

from kiosk.writing.pinyin_keys import initials_of, key_of

FORMAT = 2
# jieba gives 3 (and a few 4) to the bulk of its entries that were never counted in its
# corpus (about 170,000 rare compounds and names); from 5 up a word was really seen. Single
# characters are all kept so that anything can be typed.
MIN_WORD_FREQ = 5
MAX_WORD_LEN = 4
# Likely next characters kept per context (the last one or two characters written).
NEXT_PER_CONTEXT = 10

SCHEMA = """
CREATE TABLE meta (key TEXT PRIMARY KEY, value TEXT NOT NULL) WITHOUT ROWID;
CREATE TABLE words (
    word TEXT NOT NULL,
    reading TEXT NOT NULL,   -- syllables separated by spaces: "xia shui dao"
    key TEXT NOT NULL,       -- fuzzy-folded joined reading: "xiasuidao"
    initials TEXT NOT NULL,  -- fuzzy-folded initials: "xsd"
    weight REAL NOT NULL     -- corpus frequency (a single character's share of it by reading)
);
CREATE TABLE following (
    context TEXT NOT NULL, next TEXT NOT NULL, weight REAL NOT NULL,
    PRIMARY KEY (context, next)
) WITHOUT ROWID;
"""
INDEXES = """
CREATE INDEX words_key ON words (key, weight);
CREATE INDEX words_initials ON words (initials, weight);
CREATE INDEX words_word ON words (word);
"""


def stamp() -> str:
    """What the index was built from; a different stamp means rebuild."""
    return (f"format {FORMAT}; jieba {version('jieba')}; pypinyin {version('pypinyin')}; "
            f"min freq {MIN_WORD_FREQ}")


def dictionary_path() -> Path:
    import jieba

    return Path(jieba.__file__).parent / "dict.txt"


def _is_han(word: str) -> bool:
    """Chinese characters of GB 2312 only (the handwriting model's set, too).

    dict.txt also holds a few thousand characters that are UTF-8 text misread as GBK
    (紝, 銆, 鐨 …) with high counts; GB 2312's 6,763 characters keep them out.
    """
    if not all("\u4e00" <= c <= "\u9fff" for c in word):
        return False
    try:
        word.encode("gb2312")
    except UnicodeEncodeError:
        return False
    return True


def dictionary_words(path: Path) -> Iterator[tuple[str, int]]:
    """(word, frequency) of the Chinese words of 1–4 characters worth offering."""
    with path.open(encoding="utf-8") as lines:
        for line in lines:
            parts = line.split()
            if len(parts) < 2:
                continue
            word, freq = parts[0], int(parts[1])
            if not 1 <= len(word) <= MAX_WORD_LEN or not _is_han(word):
                continue
            if len(word) == 1 or freq >= MIN_WORD_FREQ:
                yield word, freq


def is_current(out: Path) -> bool:
    """Whether `out` is an index built by this code from these dictionaries."""
    if not out.is_file():
        return False
    try:
        with closing(sqlite3.connect(f"file:{out}?mode=ro", uri=True)) as db:
            row = db.execute("SELECT value FROM meta WHERE key = 'stamp'").fetchone()
    except sqlite3.Error:
        return False
    return row is not None and row[0] == stamp()


def _rows(path: Path) -> list[tuple[str, str, str, str, float]]:
    """(word, reading, key, initials, weight) for every word and lone character's reading."""
    from pypinyin import Style, lazy_pinyin, pinyin

    singles: list[tuple[str, int]] = []
    rows: list[tuple[str, str, str, str, float]] = []
    # How often each character is read each way inside words, weighted by the word's
    # frequency: it orders a lone character's readings (长 chang before zhang).
    usage: dict[tuple[str, str], float] = defaultdict(float)
    for word, freq in dictionary_words(path):
        if len(word) == 1:
            singles.append((word, freq))
            continue
        syllables = lazy_pinyin(word, style=Style.NORMAL, errors="ignore")
        if len(syllables) != len(word) or not all(s.isalpha() and s.isascii()
                                                  for s in syllables):
            continue
        rows.append((word, " ".join(syllables), key_of(syllables), initials_of(syllables),
                     float(freq)))
        for char, syllable in zip(word, syllables, strict=True):
            usage[char, syllable] += freq
    for char, freq in singles:
        found = pinyin(char, style=Style.NORMAL, heteronym=True, errors="ignore")
        readings = list(dict.fromkeys(
            r for r in (found[0] if found else []) if r.isalpha() and r.isascii()))
        if not readings:
            continue
        seen = [usage.get((char, r), 0.0) + 1.0 for r in readings]
        total = sum(seen)
        for i, (reading, count) in enumerate(zip(readings, seen, strict=True)):
            # pypinyin lists a lone character's usual reading first; inside words the
            # others can dominate (了 in 了解), so that order counts for half.
            share = 0.5 * (i == 0) + 0.5 * count / total
            rows.append((char, reading, key_of([reading]), initials_of([reading]),
                         max(freq * share, 0.5)))
    return rows


def _following(rows: list[tuple[str, str, str, str, float]]) -> Iterator[tuple[str, str, float]]:
    weights: dict[str, dict[str, float]] = defaultdict(lambda: defaultdict(float))
    for word, _, _, _, weight in rows:
        for i in range(1, len(word)):
            weights[word[i - 1]][word[i]] += weight
            if i >= 2:
                weights[word[i - 2:i]][word[i]] += weight
    for context, nexts in weights.items():
        best = sorted(nexts.items(), key=lambda item: -item[1])[:NEXT_PER_CONTEXT]
        for char, weight in best:
            yield context, char, round(math.log1p(weight), 3)


def build_index(out: Path) -> None:
    """Write the index to `out` unless it is already current there."""
    out = Path(out)
    if is_current(out):
        return
    out.parent.mkdir(parents=True, exist_ok=True)
    temp = out.with_name(f".{out.name}.{os.getpid()}.tmp")
    temp.unlink(missing_ok=True)
    try:
        rows = _rows(dictionary_path())
        rows.sort(key=lambda row: (row[2], -row[4]))
        db = sqlite3.connect(temp)
        try:
            db.executescript("PRAGMA journal_mode = OFF; PRAGMA synchronous = OFF;" + SCHEMA)
            db.executemany("INSERT INTO words VALUES (?, ?, ?, ?, ?)", rows)
            db.executemany("INSERT INTO following VALUES (?, ?, ?)",
                           sorted(_following(rows)))
            db.executescript(INDEXES)
            db.execute("INSERT INTO meta VALUES ('stamp', ?)", (stamp(),))
            db.execute("INSERT INTO meta VALUES ('words', ?)", (str(len(rows)),))
            syllables = sorted({s for row in rows for s in row[1].split()})
            db.execute("INSERT INTO meta VALUES ('syllables', ?)", (" ".join(syllables),))
            db.commit()
            db.execute("VACUUM")
        finally:
            db.close()
        with temp.open("rb") as written:
            os.fsync(written.fileno())
        os.replace(temp, out)
    finally:
        temp.unlink(missing_ok=True)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("out", type=Path, help="the index file, e.g. var/input/words.sqlite")
    args = parser.parse_args(argv)
    if is_current(args.out):
        print(f"{args.out} is current")
        return 0
    began = time.perf_counter()
    build_index(args.out)
    print(f"built {args.out}: {args.out.stat().st_size / 1e6:.1f} MB in "
          f"{time.perf_counter() - began:.1f} s")
    return 0


if __name__ == "__main__":
    sys.exit(main())
