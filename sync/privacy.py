"""Personal data: masked for paper and screens, dropped once the server holds it."""

from __future__ import annotations

ANONYMOUS = "匿名"


def mask_phone(phone: str | None) -> str:
    """138****1234 for a phone number; 匿名 when none was left."""
    digits = "".join(ch for ch in phone or "" if ch.isdigit())
    if not digits:
        return ANONYMOUS
    if len(digits) < 7:
        return "*" * len(digits)
    return f"{digits[:3]}****{digits[-4:]}"
