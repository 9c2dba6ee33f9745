"""Text made for listening: numbers, dates, times and phone numbers as a Mandarin speaker
reads them aloud, and punctuation that espeak-ng's Mandarin voice turns into pauses.

``for_listening`` runs before the text becomes pinyin. Its rules, in order:

- a masked phone number as printed on the receipt (``138****1234``) becomes "尾号幺二三四":
  the receipt only shows the last four digits, "尾号" is how banks and couriers read a phone
  number back, and "星号星号星号星号" is long and means nothing to a listener;
- a ticket number (10 digits, grouped ``0001 00015 3`` or not) and other digit strings that
  identify something (phone numbers, hotlines, anything of 5 or more digits) are read digit
  by digit with 幺 for 1, a short pause between groups;
- dates (``2025-11-21``, ``2025年11月21日``, ``11月21日``) become 二〇二五年十一月二十一日;
- clock times (``15:00``, ``15:30``, ``9:05``) become 下午三点, 下午三点半, 上午九点零五分;
- other whole numbers up to 9999 are read as quantities (60 -> 六十);
- punctuation becomes one of the Chinese marks espeak-ng pauses at (，。：；？！、), and
  marks it would read aloud or ignore (``*``, brackets, dashes, quotes) are replaced.
"""

from __future__ import annotations

import re
from datetime import date, datetime, time

LISTENING_RULES = "1"
"""Bumped whenever these rules change, so prompts cached with the old rules are redone."""

DIGITS = "零幺二三四五六七八九"
"""Digits read one by one: 幺 for 1, as in phone and ticket numbers."""
_COUNT_DIGITS = "零一二三四五六七八九"
_YEAR_DIGITS = "〇一二三四五六七八九"

_MASKED_PHONE = re.compile(r"(?<!\d)1\d{2}[*＊xX]{4}(\d{4})(?!\d)")
_TICKET = re.compile(r"(?<![\d-])(\d{4})[ \-]?(\d{5})[ \-]?(\d)(?![\d-])")
_PHONE = re.compile(r"(?<![\d-])(\d{3,4})-(\d{7,8})(?![\d-])")
_LONG_NUMBER = re.compile(r"\d{5,}(?![\d元个人户米辆件次岁天])")
_FULL_DATE = re.compile(r"(?<!\d)(\d{4})(?:年|-|/|\.)(\d{1,2})(?:月|-|/|\.)(\d{1,2})[日号]?(?!\d)")
_MONTH_DAY = re.compile(r"(?<!\d)(\d{1,2})月(\d{1,2})([日号])")
_CLOCK = re.compile(r"(?<!\d)(\d{1,2})[:：](\d{2})(?!\d)")
_HOUR = re.compile(r"(?<!\d)(\d{1,2})点")
_NUMBER = re.compile(r"\d+")

_SHORT_PAUSE = "，"
_PUNCTUATION = str.maketrans({
    ",": "，", ";": "；", ":": "：", "?": "？", "!": "！", ".": "。",
    "(": "，", ")": "，", "（": "，", "）": "，", "[": "，", "]": "，", "【": "，", "】": "，",
    "《": "", "》": "", "“": "", "”": "", "‘": "", "’": "", '"': "", "'": "",
    "—": "，", "-": "，", "~": "，", "～": "，", "…": "。", "*": "", "＊": "", "#": "", "/": "，",
})  # fmt: skip
_PAUSES = "，。：；？！、"
_RUN_OF_PAUSES = re.compile(f"[{_PAUSES}]{{2,}}")
_SPACE_NEAR_HAN = re.compile(r"\s*([\u3000-\u303f\u4e00-\u9fff\uff00-\uffef])\s*")


def read_digits(digits: str) -> str:
    """Digits one by one, 幺 for 1: "13800" -> "幺三八零零". Other characters are kept."""
    return "".join(DIGITS[int(c)] if c.isdigit() else c for c in digits)


def read_number(value: int) -> str:
    """A whole number as a quantity: 60 -> 六十, 105 -> 一百零五, 12000 -> 一万二千."""
    if value < 0:
        return "负" + read_number(-value)
    if value < 10:
        return _COUNT_DIGITS[value]
    if value >= 100_000_000:
        return read_digits(str(value))
    if value >= 10_000:
        high, low = divmod(value, 10_000)
        rest = "" if low == 0 else ("零" if low < 1000 else "") + _below_10000(low)
        return _below_10000(high) + "万" + rest
    return _below_10000(value)


def _below_10000(value: int) -> str:
    out, zero = "", False
    for unit, size in (("千", 1000), ("百", 100), ("十", 10), ("", 1)):
        digit, value = divmod(value, size)
        if digit:
            out += ("零" if zero and out else "") + _COUNT_DIGITS[digit] + unit
            zero = False
        else:
            zero = True
    return out[1:] if out.startswith("一十") else out  # 十五, not 一十五


def spoken_date(day: date) -> str:
    """二〇二五年十一月二十一日 (the year digit by digit, as it is said)."""
    year = "".join(_YEAR_DIGITS[int(c)] for c in str(day.year))
    return f"{year}年{read_number(day.month)}月{read_number(day.day)}日"


def spoken_month_day(day: date) -> str:
    """十一月二十一日."""
    return f"{read_number(day.month)}月{read_number(day.day)}日"


def _part_of_day(hour: int) -> str:
    if hour < 6:
        return "凌晨"
    if hour < 12:
        return "上午"
    if hour < 13:
        return "中午"
    if hour < 19:
        return "下午"
    return "晚上"


def _clock_hour(hour: int) -> str:
    twelve = hour % 12 or 12
    return "两" if twelve == 2 else read_number(twelve)


def spoken_time(moment: time) -> str:
    """下午三点, 下午三点半, 上午九点零五分, 晚上八点十分, 中午十二点."""
    words = f"{_part_of_day(moment.hour)}{_clock_hour(moment.hour)}点"
    if moment.minute == 30:
        return words + "半"
    if moment.minute:
        minute = read_number(moment.minute)
        return words + ("零" + minute if moment.minute < 10 else minute) + "分"
    return words


def spoken_datetime(moment: datetime) -> str:
    """十一月二十一日 下午三点 (a space keeps the two parts apart on screen; no pause)."""
    return f"{spoken_month_day(moment.date())} {spoken_time(moment.time())}"


def for_listening(text: str) -> str:
    """``text`` with numbers, dates, times and punctuation as they should be heard."""
    text = _MASKED_PHONE.sub(lambda m: "尾号" + read_digits(m[1]), text)
    text = _FULL_DATE.sub(_full_date, text)
    text = _MONTH_DAY.sub(_month_day, text)
    text = _CLOCK.sub(_clock, text)
    text = _HOUR.sub(_hour, text)
    text = _TICKET.sub(lambda m: _SHORT_PAUSE.join(read_digits(g) for g in m.groups()), text)
    text = _PHONE.sub(lambda m: _SHORT_PAUSE.join(read_digits(g) for g in m.groups()), text)
    text = _LONG_NUMBER.sub(lambda m: read_digits(m[0]), text)
    text = _NUMBER.sub(lambda m: read_number(int(m[0])), text)
    return _pauses(text)


def _full_date(match: re.Match[str]) -> str:
    try:
        return spoken_date(date(int(match[1]), int(match[2]), int(match[3])))
    except ValueError:
        return match[0]


def _month_day(match: re.Match[str]) -> str:
    month, day = int(match[1]), int(match[2])
    if not (1 <= month <= 12 and 1 <= day <= 31):
        return match[0]
    return f"{read_number(month)}月{read_number(day)}{match[3]}"


def _clock(match: re.Match[str]) -> str:
    hour, minute = int(match[1]), int(match[2])
    if hour > 23 or minute > 59:
        return match[0]
    return spoken_time(time(hour, minute))


def _hour(match: re.Match[str]) -> str:
    hour = int(match[1])
    if hour > 24:
        return match[0]
    prefix = _part_of_day(hour % 24) if hour > 12 or hour == 0 else ""
    return f"{prefix}{_clock_hour(hour)}点"


def _pauses(text: str) -> str:
    text = text.translate(_PUNCTUATION)
    text = _SPACE_NEAR_HAN.sub(r"\1", text)
    text = _RUN_OF_PAUSES.sub(lambda m: _strongest(m[0]), text)
    return text.strip().lstrip(_PAUSES)


def _strongest(marks: str) -> str:
    """One mark for a run such as "，。": the longest pause of them."""
    for mark in "。？！；：，、":
        if mark in marks:
            return mark
    return marks[0]
