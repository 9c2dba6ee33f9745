"""The tone changes of 一 and 不 that every Mandarin speaker makes and pinyin dictionaries do
not write: 一样 yi2 yang4, 一天 yi4 tian1, 不是 bu2 shi4. espeak-ng says the tone it is
given, so without them the kiosk sounds like a learner reading word by word.

pypinyin 0.55's own ``tone_sandhi`` looks only inside the words of its segmentation, which
cuts 一样 and 一次 in two, and turns only a dictionary yi4 into yi2, so it leaves 一样, 一次,
一天 at yi1; these rules look at the neighbours in the clause instead.
"""

from __future__ import annotations

NUMERALS = "零〇一二三四五六七八九十两百千"
"""Characters of a number: 一 among them is a digit (二十一, 一百零一) and keeps tone 1."""
DIGIT_AFTER = "零〇一二三四五六七八九十两"
"""After 一, these make it part of a digit string or a number (一二三, 一十, 三点一四)."""
ORDINAL_AFTER = "月日号"
"""一月, 十一日, 一号: dates and numbers in a series, where 一 keeps tone 1."""
WORD_FINAL_AFTER = "统唯之逐专单划如归初周期拜"
"""一 after these ends a word (统一, 唯一, 之一, 周一, 星期一) and keeps tone 1 whatever follows."""


def tone_sandhi(hanzi: str, syllables: list[str]) -> list[str]:
    """``syllables`` (tone-numbered pinyin, one per character of ``hanzi``, a run of Han
    characters) with 一 and 不 said as they are in speech:

    - 一 before a 4th tone is yi2 (一样, 一次), before a 1st, 2nd or 3rd tone yi4 (一天,
      一年, 一起); alone, at the end, as an ordinal (第一, 一月) or digit (十一, 一二三) yi1;
    - 不 before a 4th tone is bu2 (不是, 不要), otherwise bu4 (a light bu5 is kept: 差不多).
    """
    out = list(syllables)
    for i, char in enumerate(hanzi):
        before = hanzi[i - 1] if i else ""
        after = hanzi[i + 1] if i + 1 < len(hanzi) else ""
        next_tone = syllables[i + 1][-1] if after else ""
        if char == "一" and syllables[i][:2] == "yi":
            out[i] = "yi" + _yi_tone(before, after, next_tone)
        elif char == "不" and syllables[i][:2] == "bu" and syllables[i] != "bu5":
            out[i] = "bu2" if next_tone == "4" else "bu4"
    return out


def _yi_tone(before: str, after: str, next_tone: str) -> str:
    if (not after or before == "第" or after in DIGIT_AFTER + ORDINAL_AFTER
            or (before and before in NUMERALS + WORD_FINAL_AFTER)):
        return "1"
    if before == after:  # 看一看, 试一试: light, as in speech
        return "5"
    if next_tone == "4":
        return "2"
    return "4" if next_tone in ("1", "2", "3") else "1"
