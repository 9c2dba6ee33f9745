"""Text made for listening: numbers, dates, times, letters and phone numbers as a Mandarin
speaker reads them aloud, and punctuation that espeak-ng's Mandarin voice turns into pauses.

``for_listening`` runs before the text becomes pinyin. Its rules, in order:

- a masked phone number as printed on the receipt (``138****1234``) becomes "尾号幺二三四":
  the receipt only shows the last four digits, "尾号" is how banks and couriers read a phone
  number back, and "星号星号星号星号" is long and means nothing to a listener;
- dates (``2025-11-21``, ``2025年11月21日``, ``11月21日``) become 二〇二五年十一月二十一日, and
  a year alone (``2025年``) is read digit by digit too: 二〇二五年;
- clock times (``15:00``, ``15:30``, ``9:05``) become 下午三点, 下午三点半, 上午九点零五分;
- a ticket number (10 digits, grouped ``0001 00015 3`` or not) and phone numbers are read
  digit by digit with 幺 for 1, a short pause between groups;
- temperatures: ``-5℃`` is 零下五度 (℃ is read 度); percentages: ``3.5%`` is 百分之三点五;
  another minus sign is 负; decimals: ``0.5`` is 零点五;
- service numbers (110, 112, 114, 119, 120, 122) and other digit strings of 5 or more digits
  (12345, 95588) are read digit by digit with 幺 (幺幺零, 幺二三四五) unless a measure word
  follows: 120元 and 120个 are quantities;
- 2 before a measure word is 两 (两个人, 两次), and so is a leading 2 of hundreds, thousands
  and ten-thousands (两百, 两千元, 两万); 十二个, 第二 and 二十 keep 二;
- other whole numbers are read as quantities (60 -> 六十);
- Latin letters become the Chinese names of the letters as pinyin (device.speech.letters);
- punctuation becomes one of the Chinese marks espeak-ng pauses at (，。：；？！、), and
  marks it would read aloud or ignore (``*``, brackets, dashes, quotes) are replaced.
"""

from __future__ import annotations

import re
from datetime import date, datetime, time

from device.speech.letters import spell_latin
from device.speech.numbers import read_decimal, read_digits, read_number, read_year

LISTENING_RULES = "2"
"""Bumped whenever these rules change, so prompts cached with the old rules are redone."""

_MEASURES = ("分钟|小时|公里|公斤|平方|[元块角毛分个位名人户家次回遍号岁年月日天周秒米里斤克吨件"
             "辆台套条张份双层栋楼幢室间亩种项本把只倍多余来万千百亿]")
"""What follows a number that counts something (120元, 120多人): it stays a quantity."""
_COUNTED = ("分钟|小时|公里|公斤|[个位名人户家次回遍岁年天周秒件辆台套条张份双块元角毛斤吨米"
            "种项本把只倍万千百亿]")
"""Measure words after which 2 is said 两 (not 号, 月, 楼: those number things, 二号)."""
_SIGN = r"(?:(?<![0-9A-Za-z.])([-−－]))?(?<![\d.])"
"""An optional minus sign (not a dash between two numbers), then where a number starts."""

_MASKED_PHONE = re.compile(r"(?<!\d)1\d{2}[*＊xX]{4}(\d{4})(?!\d)")
_TICKET = re.compile(r"(?<![\d-])(\d{4})[ \-]?(\d{5})[ \-]?(\d)(?![\d-])")
_PHONE = re.compile(r"(?<![\d-])(\d{3,4})-(\d{7,8})(?![\d-])")
_FULL_DATE = re.compile(r"(?<!\d)(\d{4})(?:年|-|/|\.)(\d{1,2})(?:月|-|/|\.)(\d{1,2})[日号]?(?!\d)")
_YEAR = re.compile(r"(?<!\d)(1[89]\d\d|20\d\d)年")
_MONTH_DAY = re.compile(r"(?<!\d)(\d{1,2})月(\d{1,2})([日号])")
_CLOCK = re.compile(r"(?<!\d)(\d{1,2})[:：](\d{2})(?!\d)")
_HOUR = re.compile(r"(?<!\d)(\d{1,2})点")
_TEMPERATURE = re.compile(_SIGN + r"(\d+)(?:\.(\d+))?\s*(?:℃|°C|°|度)")
_PERCENT = re.compile(_SIGN + r"(\d+)(?:\.(\d+))?\s*[%％]")
_MINUS = re.compile(r"(?<![0-9A-Za-z.])[-−－](?=\d)")
_DECIMAL = re.compile(r"(?<![\d.])(\d+)\.(\d+)(?![\d.])")
_SERVICE_NUMBER = re.compile(
    rf"(?<![\d.第])(?:11[0249]|12[02]|\d{{5,}})(?![\d.])(?!\s*{_MEASURES})")
_TWO = re.compile(rf"(?<![\d.第])2(?![\d.])(?=\s*{_COUNTED})")
_NUMBER = re.compile(r"\d+")

_SHORT_PAUSE = "，"
_PUNCTUATION = str.maketrans({
    ",": "，", ";": "；", ":": "：", "?": "？", "!": "！", ".": "。",
    "(": "，", ")": "，", "（": "，", "）": "，", "[": "，", "]": "，", "【": "，", "】": "，",
    "《": "", "》": "", "“": "", "”": "", "‘": "", "’": "", '"': "", "'": "",
    "—": "，", "-": "，", "~": "，", "～": "，", "…": "。", "*": "", "＊": "", "#": "", "/": "，",
    "℃": "度",
})  # fmt: skip
_PAUSES = "，。：；？！、"
_RUN_OF_PAUSES = re.compile(f"[{_PAUSES}]{{2,}}")
_SPACE_NEAR_HAN = re.compile(r"\s*([\u3000-\u303f\u4e00-\u9fff\uff00-\uffef])\s*")


def spoken_date(day: date) -> str:
    """二〇二五年十一月二十一日 (the year digit by digit, as it is said)."""
    return f"{read_year(str(day.year))}年{read_number(day.month)}月{read_number(day.day)}日"


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
    """``text`` with numbers, dates, times, letters and punctuation as they should be heard."""
    text = _MASKED_PHONE.sub(lambda m: "尾号" + read_digits(m[1]), text)
    text = _FULL_DATE.sub(_full_date, text)
    text = _YEAR.sub(lambda m: read_year(m[1]) + "年", text)
    text = _MONTH_DAY.sub(_month_day, text)
    text = _CLOCK.sub(_clock, text)
    text = _HOUR.sub(_hour, text)
    text = _TICKET.sub(lambda m: _SHORT_PAUSE.join(read_digits(g) for g in m.groups()), text)
    text = _PHONE.sub(lambda m: _SHORT_PAUSE.join(read_digits(g) for g in m.groups()), text)
    text = _TEMPERATURE.sub(lambda m: _signed(m, "零下") + read_decimal(m[2], m[3] or "") + "度",
                            text)
    text = _PERCENT.sub(lambda m: _signed(m, "负") + "百分之" + read_decimal(m[2], m[3] or ""),
                        text)
    text = _MINUS.sub("负", text)
    text = _DECIMAL.sub(lambda m: read_decimal(m[1], m[2]), text)
    text = _SERVICE_NUMBER.sub(lambda m: read_digits(m[0]), text)
    text = _TWO.sub("两", text)
    text = _NUMBER.sub(lambda m: read_number(int(m[0])), text)
    return _pauses(spell_latin(text))


def _signed(match: re.Match[str], minus: str) -> str:
    return minus if match[1] else ""


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
