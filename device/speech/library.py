"""libespeak-ng as pyttsx3 loads it, asked directly: its version and the phonemes it makes of
a text (the library's ``espeak-ng --version`` and ``espeak-ng -q -x``). The pyttsx3 backend
needs only the library, so it is checked without the espeak-ng binary."""

from __future__ import annotations

import importlib
from ctypes import POINTER, addressof, byref, c_char_p, c_int, c_void_p, create_string_buffer
from types import ModuleType

_CHARS_UTF8 = 1
_PHONEME_MNEMONICS = 0


def espeak_library() -> ModuleType:
    """pyttsx3's binding of libespeak-ng, loading the library; OSError when it cannot."""
    try:
        return importlib.import_module("pyttsx3.drivers._espeak")
    except Exception as exc:  # pyttsx3 raises RuntimeError or the loader's OSError
        raise OSError(f"libespeak-ng could not be loaded: {exc}") from None


def library_version() -> str:
    """The loaded libespeak-ng's version, e.g. "1.51"."""
    return str(espeak_library().Info(None).decode("utf-8", "replace"))


def text_to_phonemes(text: str, voice: str) -> str:
    """libespeak-ng's phoneme mnemonics for ``text`` in ``voice``, one clause a line. The
    library must have been initialised (by pyttsx3's engine); LookupError for an unknown
    voice."""
    library = espeak_library()
    if library.SetVoiceByName(voice.encode("utf-8")) != 0:
        raise LookupError(voice)
    convert = library.dll.espeak_TextToPhonemes
    convert.restype = c_char_p
    convert.argtypes = [POINTER(c_void_p), c_int, c_int]
    buffer = create_string_buffer(text.encode("utf-8"))
    position = c_void_p(addressof(buffer))  # the library moves it on clause by clause
    clauses: list[str] = []
    while position.value:
        phonemes = convert(byref(position), _CHARS_UTF8, _PHONEME_MNEMONICS)
        clauses.append((phonemes or b"").decode("utf-8", "replace"))
    return "\n".join(clauses)
