"""Numbers as a Mandarin speaker says them: digit strings, quantities, decimals, years."""

from __future__ import annotations

DIGITS = "零幺二三四五六七八九"
"""Digits read one by one: 幺 for 1, as in phone, ticket and service numbers."""
COUNT_DIGITS = "零一二三四五六七八九"
"""Digits of quantities and of the part after a decimal point."""
YEAR_DIGITS = "〇一二三四五六七八九"
"""Digits of a year, said one by one: 二〇二五."""


def read_digits(digits: str) -> str:
    """Digits one by one, 幺 for 1: "13800" -> "幺三八零零". Other characters are kept."""
    return "".join(DIGITS[int(c)] if c.isdigit() else c for c in digits)


def read_year(digits: str) -> str:
    """A year digit by digit: "2025" -> "二〇二五"."""
    return "".join(YEAR_DIGITS[int(c)] for c in digits)


def read_number(value: int) -> str:
    """A whole number as a quantity: 60 -> 六十, 105 -> 一百零五, 12000 -> 一万二千,
    and 两 for a leading 2 of hundreds, thousands or ten-thousands: 200 -> 两百."""
    if value < 0:
        return "负" + read_number(-value)
    if value < 10:
        return COUNT_DIGITS[value]
    if value >= 100_000_000:
        return read_digits(str(value))
    if value >= 10_000:
        high, low = divmod(value, 10_000)
        rest = "" if low == 0 else ("零" if low < 1000 else "") + _below_10000(low)
        words = _below_10000(high) + "万" + rest
    else:
        words = _below_10000(value)
    return "两" + words[1:] if words[:2] in ("二百", "二千", "二万") else words


def read_decimal(whole: str, fraction: str = "") -> str:
    """A number with an optional decimal part: ("3", "5") -> 三点五, ("0", "25") -> 零点二五."""
    words = read_number(int(whole))
    if fraction:
        words += "点" + "".join(COUNT_DIGITS[int(c)] for c in fraction)
    return words


def _below_10000(value: int) -> str:
    out, zero = "", False
    for unit, size in (("千", 1000), ("百", 100), ("十", 10), ("", 1)):
        digit, value = divmod(value, size)
        if digit:
            out += ("零" if zero and out else "") + COUNT_DIGITS[digit] + unit
            zero = False
        else:
            zero = True
    return out[1:] if out.startswith("一十") else out  # 十五, not 一十五
