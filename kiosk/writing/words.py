"""Pinyin candidates and likely next characters from the word index built at install time.

The index is an SQLite file read in place (nothing loaded at start); the hall's own words
(物业, 楼道, 下水道 …) are held in memory and always offered first for their pinyin.
"""

from __future__ import annotations

import math
import sqlite3
import threading
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from pathlib import Path

from kiosk.writing.pinyin_keys import fuzzy, initials_of, key_of, letters_only, segments

# Words sharing the initials looked at for mixed input: the commonest few hundred suffice.
_MIXED_SCAN = 400
# Added to a word's log frequency: a whole reading typed outranks a word that only begins
# with the letters unless that word is e^2.5 (12x) commoner; initials or mixed input sit
# between; a reading typed as it is spelled (not folded: zhu for 主, not for 足) gains too.
_EXACT = 2.5
_INITIALS = 1.5
_UNFOLDED = 1.5
# Hall words (and phrases) that only begin with the letters, offered first: the nearest few.
_HALL_BEGUN_MOST = 3


@dataclass(frozen=True)
class Candidate:
    word: str
    consumed: int   # how many of the typed letters this word uses (the rest stay typed)


@dataclass(frozen=True)
class _HallWord:
    word: str
    key: str
    initials: str
    syllables: tuple[str, ...]


def _best_first(scored: list[tuple[float, str]]) -> list[str]:
    return [word for _, word in sorted(scored, key=lambda item: -item[0])]


def _spelled_by(parts: list[str], syllables: Iterable[str], whole: Sequence[bool]) -> bool:
    """Whether the (folded) typed parts spell the word's syllables in turn.

    A part typed as a whole syllable must be that syllable, unless it is the last (still
    being typed); any other part is the beginning of one (an initial such as s or zh).
    """
    folded = [fuzzy(s) for s in syllables]
    if len(folded) != len(parts):
        return False
    last = len(parts) - 1
    return all(syllable == part if whole[i] and i < last else syllable.startswith(part)
               for i, (part, syllable) in enumerate(zip(parts, folded, strict=True)))


class WordIndex:
    """Lookups in the word index; one connection, guarded by a lock for the UI thread."""

    def __init__(self, path: Path, hall_words: Iterable[str] = ()) -> None:
        path = Path(path)
        if not path.is_file():
            raise FileNotFoundError(
                f"word index not built at {path}; build it with "
                f"`python -m kiosk.writing.build_index {path}`")
        self._db = sqlite3.connect(f"file:{path}?mode=ro", uri=True, check_same_thread=False)
        self._lock = threading.Lock()
        try:
            row = self._db.execute("SELECT value FROM meta WHERE key = 'syllables'").fetchone()
        except sqlite3.DatabaseError as error:
            self._db.close()
            raise FileNotFoundError(f"{path} is not a word index ({error}); rebuild it with "
                                    f"`python -m kiosk.writing.build_index {path}`") from error
        self._syllables = frozenset(row[0].split() if row else ())
        self._hall = self._hall_words(list(dict.fromkeys(hall_words)))

    def _hall_words(self, words: list[str]) -> list[_HallWord]:
        """The hall's words with their readings: the dictionary's, else each character's
        usual one; a word with a character the index lacks is left out."""
        wanted = sorted({*words, *(c for w in words for c in w)})
        usual: dict[str, tuple[float, str]] = {}
        for at in range(0, len(wanted), 500):  # under SQLite's limit on parameters
            chunk = wanted[at:at + 500]
            rows = self._db.execute(
                f"SELECT word, reading, weight FROM words WHERE word IN "
                f"({', '.join('?' * len(chunk))})", chunk).fetchall()
            for word, reading, weight in rows:
                if word not in usual or weight > usual[word][0]:
                    usual[word] = (weight, reading)
        hall = []
        for word in words:
            if word in usual:
                syllables = usual[word][1].split()
            elif all(c in usual for c in word):
                syllables = [usual[c][1] for c in word]
            else:
                continue
            hall.append(_HallWord(word, key_of(syllables), initials_of(syllables),
                                  tuple(syllables)))
        return hall

    def pinyin(self, letters: str, limit: int = 10) -> list[Candidate]:
        """Words for the typed letters, best first.

        First the words that use all the letters (a full reading, initials such as xsd,
        syllables and initials mixed such as xiasd, or a reading that starts with them), then
        words for the longest leading part.
        """
        typed = letters_only(letters)
        if not typed or limit <= 0:
            return []
        out: dict[str, Candidate] = {}

        def offer(words: Iterable[str], consumed: int) -> None:
            for word in words:
                if len(out) >= limit:
                    return
                out.setdefault(word, Candidate(word, consumed))

        key = fuzzy(typed)
        cut = segments(typed, self._syllables)
        parts = [fuzzy(p) for p in cut]
        # syllables and initials mixed; all whole syllables is the full reading and all single
        # letters the initials, both found apart
        whole = [p in self._syllables for p in cut]
        mixed = len(cut) > 1 and not all(whole) and any(len(p) > 1 for p in parts)
        with self._lock:
            offer((h.word for h in self._hall
                   if h.key == key or (len(key) > 1 and h.initials == key)
                   or (mixed and _spelled_by(parts, h.syllables, whole))), len(typed))
            if len(typed) > 1:  # a single letter would put every hall word first
                begun = sorted((h for h in self._hall if h.key.startswith(key)
                                or (len(key) > 2 and h.initials.startswith(key))),
                               key=lambda h: len(h.key))
                offer((h.word for h in begun[:_HALL_BEGUN_MOST]), len(typed))
            scored = self._scored("key = ?", (key,), limit, typed, _EXACT)
            if len(key) > 1:
                scored += self._scored("initials = ?", (key,), limit, typed, _INITIALS)
            if mixed:
                scored += self._mixed(parts, whole, limit)
            scored += self._scored("key > ? AND key < ?", (key, key + "{"), limit, typed, 0.0)
            offer(_best_first(scored), len(typed))
            for consumed in range(len(typed) - 1, 0, -1):
                if len(out) >= limit:
                    break
                part = fuzzy(typed[:consumed])
                offer((h.word for h in self._hall if h.key == part), consumed)
                offer(_best_first(self._scored("key = ?", (part,), limit, typed[:consumed],
                                               _EXACT)), consumed)
        return list(out.values())

    def _scored(self, where: str, args: tuple[str, ...], limit: int, typed: str,
                bonus: float) -> list[tuple[float, str]]:
        """(score, word) of the commonest words matching; spelled as typed, unfolded, gains."""
        rows = self._db.execute(
            f"SELECT word, reading, weight FROM words WHERE {where} ORDER BY weight DESC "
            "LIMIT ?", (*args, limit)).fetchall()
        return [(math.log(weight) + bonus
                 + (_UNFOLDED if reading.replace(" ", "").startswith(typed) else 0.0), word)
                for word, reading, weight in rows]

    def _mixed(self, parts: list[str], whole: Sequence[bool],
               limit: int) -> list[tuple[float, str]]:
        """Words whose syllables start with the typed parts in turn (xiasd: 下水道)."""
        rows = self._db.execute(
            "SELECT word, reading, weight FROM words WHERE initials = ? ORDER BY weight DESC "
            "LIMIT ?", ("".join(p[0] for p in parts), _MIXED_SCAN)).fetchall()
        found = [(math.log(weight) + _INITIALS, word) for word, reading, weight in rows
                 if _spelled_by(parts, reading.split(), whole)]
        return found[:limit]

    def next_chars(self, text: str, limit: int = 8) -> list[str]:
        """Characters likely to follow what is written so far, hall words first."""
        text = text.rstrip()
        if not text or limit <= 0:
            return []
        out: dict[str, None] = {}
        contexts = [text[-2:], text[-1:]] if len(text) >= 2 else [text[-1:]]
        for context in contexts:
            for hall in self._hall:
                at = hall.word.find(context)
                while at >= 0:
                    end = at + len(context)
                    if end < len(hall.word):
                        out.setdefault(hall.word[end])
                    at = hall.word.find(context, at + 1)
        with self._lock:
            for context in contexts:
                rows = self._db.execute(
                    "SELECT next FROM following WHERE context = ? ORDER BY weight DESC LIMIT ?",
                    (context, limit)).fetchall()
                for (char,) in rows:
                    out.setdefault(char)
        return list(out)[:limit]

    def close(self) -> None:
        with self._lock:
            self._db.close()

    def __enter__(self) -> WordIndex:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()
