"""Latin letters (WiFi, APP, ATM, QR码, PM2.5, 5G) said the way Chinese speakers say them,
as tone-numbered pinyin the Mandarin voice reads. Handed to espeak-ng as they are, such
words switch it to its English voice mid-sentence, with English vowels and no tones."""

from __future__ import annotations

import re

LETTER_SYLLABLES = {
    "A": "ei1", "B": "bi4", "C": "xi1", "D": "di4", "E": "yi1", "F": "ai4 fu5",
    "G": "ji4", "H": "ai4 qi1", "I": "ai4", "J": "zhei4", "K": "kai1", "L": "ai4 le5",
    "M": "ai4 mu5", "N": "en1", "O": "ou1", "P": "pi1", "Q": "kou4", "R": "a1 er5",
    "S": "ai4 si5", "T": "ti1", "U": "you1", "V": "wei1", "W": "da2 bu5 liu5",
    "X": "ai4 ke4 si5", "Y": "wai1", "Z": "zei2",
}  # fmt: skip
"""Each letter as pinyin: the common Chinese names (诶 必 西 弟 …)."""

WORDS = {"WIFI": "wai1 fai1"}
"""Latin words said as one word rather than letter by letter."""

_WIFI = re.compile(r"(?<![A-Za-z])wi-?fi(?![A-Za-z])", re.IGNORECASE)
_LATIN = re.compile(r"[A-Za-z]+")


def spell_latin(text: str) -> str:
    """Every run of Latin letters as pinyin syllables, set off by spaces:
    "ATM机" -> " ei1 ti1 ai4 mu5 机"."""
    text = _WIFI.sub("WiFi", text)
    return _LATIN.sub(lambda m: f" {_say(m[0])} ", text)


def _say(word: str) -> str:
    upper = word.upper()
    return WORDS.get(upper) or " ".join(LETTER_SYLLABLES[letter] for letter in upper)
