"""The US keyboard layout a wedge scanner types in: which key (and whether shift) makes each
character. Scanners are set to the US layout at the factory; the kiosk reads them in it."""

from __future__ import annotations

from evdev import ecodes

_UNSHIFTED = {
    **{str(d): f"KEY_{d}" for d in range(10)},
    **{chr(c): f"KEY_{chr(c).upper()}" for c in range(ord("a"), ord("z") + 1)},
    " ": "KEY_SPACE", "-": "KEY_MINUS", "=": "KEY_EQUAL", "[": "KEY_LEFTBRACE",
    "]": "KEY_RIGHTBRACE", "\\": "KEY_BACKSLASH", ";": "KEY_SEMICOLON", "'": "KEY_APOSTROPHE",
    "`": "KEY_GRAVE", ",": "KEY_COMMA", ".": "KEY_DOT", "/": "KEY_SLASH",
}
_SHIFTED = {
    **{chr(c).upper(): f"KEY_{chr(c).upper()}" for c in range(ord("a"), ord("z") + 1)},
    "!": "KEY_1", "@": "KEY_2", "#": "KEY_3", "$": "KEY_4", "%": "KEY_5", "^": "KEY_6",
    "&": "KEY_7", "*": "KEY_8", "(": "KEY_9", ")": "KEY_0", "_": "KEY_MINUS", "+": "KEY_EQUAL",
    "{": "KEY_LEFTBRACE", "}": "KEY_RIGHTBRACE", "|": "KEY_BACKSLASH", ":": "KEY_SEMICOLON",
    '"': "KEY_APOSTROPHE", "~": "KEY_GRAVE", "<": "KEY_COMMA", ">": "KEY_DOT", "?": "KEY_SLASH",
}
# the numeric keypad types the same with or without shift (some scanners send digits there)
_KEYPAD = {
    **{f"KEY_KP{d}": str(d) for d in range(10)},
    "KEY_KPDOT": ".", "KEY_KPSLASH": "/", "KEY_KPASTERISK": "*", "KEY_KPMINUS": "-",
    "KEY_KPPLUS": "+", "KEY_KPEQUAL": "=",
}

KEYS_OF: dict[str, tuple[int, bool]] = {
    **{char: (ecodes.ecodes[name], False) for char, name in _UNSHIFTED.items()},
    **{char: (ecodes.ecodes[name], True) for char, name in _SHIFTED.items()},
}
"""Character → (key code, shift held), for typing a code (the virtual scanner)."""

CHAR_OF: dict[tuple[int, bool], str] = {keys: char for char, keys in KEYS_OF.items()}
"""(key code, shift held) → the character it types."""
for _name, _char in _KEYPAD.items():
    CHAR_OF[(ecodes.ecodes[_name], False)] = CHAR_OF[(ecodes.ecodes[_name], True)] = _char

SHIFT_KEYS = frozenset({ecodes.KEY_LEFTSHIFT, ecodes.KEY_RIGHTSHIFT})
END_KEYS = frozenset({ecodes.KEY_ENTER, ecodes.KEY_KPENTER})
"""The keys that end a code (the scanner's suffix)."""
LETTER_KEYS = frozenset(ecodes.ecodes[f"KEY_{chr(c)}"] for c in range(ord("A"), ord("Z") + 1))
