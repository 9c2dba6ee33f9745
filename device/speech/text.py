"""What espeak-ng is actually given: the Mandarin voice, pinyin text, ticket digits."""

from __future__ import annotations

import functools
import re
from collections.abc import Callable
from typing import TYPE_CHECKING

from device.speech.listening import for_listening
from device.speech.numbers import read_digits
from device.speech.sandhi import tone_sandhi

if TYPE_CHECKING:
    from device.speech.pinyin_helper import PinyinHelper

MANDARIN_VOICE = "cmn-latn-pinyin"
"""espeak-ng's Mandarin voice that reads Latin text as tone-numbered pinyin."""

# espeak-ng 1.51 (Debian 12) looks Han characters up as pinyin ("好" -> "hao3") and the
# plain "cmn" voice then reads that pinyin with English rules ("h-a-o three"); only the
# "latin as pinyin" voice turns it into Mandarin syllables with tones.
_BROKEN_MANDARIN_VOICES = frozenset({"cmn", "zh", "zh-cmn", "zh-cn", "sit/cmn", "mandarin"})
_HAN_RUN = re.compile(r"([\u3007\u3400-\u4dbf\u4e00-\u9fff]+)")


def resolve_voice(voice: str) -> str:
    """The espeak-ng voice to use for ``voice``; the Mandarin aliases map to MANDARIN_VOICE."""
    name = voice.strip()
    return MANDARIN_VOICE if name.lower() in _BROKEN_MANDARIN_VOICES else name


def is_pinyin_voice(voice: str) -> bool:
    """True when ``voice`` (as resolved) expects pinyin rather than Han characters."""
    return resolve_voice(voice).lower().endswith(MANDARIN_VOICE)


def to_pinyin(text: str) -> str:
    """Han characters as tone-numbered pinyin ("您好" -> "nin2 hao3"), with the tone changes
    of 一 and 不 (device.speech.sandhi); other text kept.

    Without the optional pypinyin package the text is returned unchanged: espeak-ng's own
    dictionary then reads it, which is right for most characters but picks one reading per
    character, so polyphones such as 处理, 重新, 调解 come out wrong.
    """
    convert = _pinyin_converter()
    return text if convert is None else " ".join(convert(text))


def espeak_text(text: str, voice: str) -> str:
    """The text to hand espeak-ng for ``voice``: made for listening (numbers, dates, pauses;
    see device.speech.listening), then pinyin for the Mandarin voice."""
    return to_pinyin(for_listening(text)) if is_pinyin_voice(voice) else text


def pinyin_version() -> str:
    """The installed pypinyin's version ("none" without it): its readings shape the audio."""
    from importlib.metadata import PackageNotFoundError, version

    try:
        return version("pypinyin")
    except PackageNotFoundError:
        return "none"


def has_pypinyin() -> bool:
    """Whether polyphone-aware pinyin conversion is available (without loading its
    dictionaries, which take a few tenths of a second and tens of MB)."""
    from importlib.util import find_spec

    return find_spec("pypinyin") is not None


_helper: list[PinyinHelper] = []


def read_pinyin_in_a_helper(on: bool = True) -> None:
    """Let a helper process hold pypinyin's tables (device.speech.pinyin_helper), so this
    process does not; the kiosk does, for its memory. Readings are the same."""
    from device.speech.pinyin_helper import PinyinHelper

    for helper in _helper:
        helper.close()
    _helper[:] = [PinyinHelper()] if on else []


def _in_process() -> Callable[[str], list[str]]:
    from pypinyin import Style, lazy_pinyin

    def syllables(piece: str) -> list[str]:
        found: list[str] = lazy_pinyin(piece, style=Style.TONE3, neutral_tone_with_five=True)
        return found

    return syllables


@functools.cache
def _pinyin_converter() -> Callable[[str], list[str]] | None:
    if not has_pypinyin():
        return None

    def convert(text: str) -> list[str]:
        syllables_of = _helper[0].convert if _helper else _in_process()
        out: list[str] = []
        for i, piece in enumerate(_HAN_RUN.split(text)):
            if i % 2 == 0:  # between runs of Han characters: kept as it is
                out += [piece.strip()] if piece.strip() else []
                continue
            syllables = syllables_of(piece)
            out += tone_sandhi(piece, syllables) if len(syllables) == len(piece) else syllables
        return out

    return convert


def speech_text_for_ticket(ticket: str) -> str:
    """A ticket read digit by digit the way numbers are read aloud: "1234 56789 0" ->
    "幺二三四，五六七八九，零". Groups (split on spaces or dashes) are joined with "，"."""
    groups = [g for g in re.split(r"[\s\-_/]+", ticket) if g]
    return "，".join(read_digits(g) for g in groups)
