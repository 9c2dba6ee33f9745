"""Long text cut into utterances the engine renders in a moment and a listener hears as
sentences: at 。！？；, then at ，、 when a sentence is still too long, and in the last resort
after at most MAX_UTTERANCE_CHARS characters.

One utterance per call keeps every engine call short (pyttsx3 takes longer than the hang
watchdog allows over a few thousand characters, superlinearly so) and lets playback start
after the first sentence instead of after the whole text.
"""

from __future__ import annotations

import re

MAX_UTTERANCE_CHARS = 60
"""At most this many characters go to the engine at once (about 18 s of speech)."""

_SENTENCE_END = re.compile(r"(?<=[。！？；!?;])")
_CLAUSE_END = re.compile(r"(?<=[，、])|(?<=,)(?!\d)")
_HAN = re.compile(r"[\u3400-\u9fff]")


def utterances(text: str, limit: int = MAX_UTTERANCE_CHARS) -> list[str]:
    """``text`` in pieces of at most ``limit`` characters (spaces aside) that join back into
    ``text``: whole sentences, packed together while they fit."""
    pieces: list[str] = []
    for sentence in _SENTENCE_END.split(text):
        if len(sentence) <= limit:
            pieces.append(sentence)
            continue
        for clause in _CLAUSE_END.split(sentence):
            pieces += _cut(clause, limit)
    return _pack([piece for piece in pieces if piece], limit)


def _cut(clause: str, limit: int) -> list[str]:
    """A clause with no mark to cut at, cut between two Han characters (never inside a
    number, a date or a word of Latin letters, which are read as one) where it can be."""
    out: list[str] = []
    while len(clause) > limit:
        at = next((i for i in range(limit, 0, -1)
                   if _HAN.match(clause[i - 1]) and _HAN.match(clause[i])), limit)
        out.append(clause[:at])
        clause = clause[at:]
    return [*out, clause]


def _pack(pieces: list[str], limit: int) -> list[str]:
    packed: list[str] = []
    for piece in pieces:
        if packed and (len(packed[-1]) + len(piece) <= limit or piece.isspace()):
            packed[-1] += piece
        else:
            packed.append(piece)
    return packed
