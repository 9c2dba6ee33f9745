"""Ticket numbers: digits only, unique city-wide without coordination, with a Damm check digit.

A ticket is ``KKKK SSSSS C``: the kiosk's 4-digit code (assigned once when the kiosk is
provisioned), a 5-digit sequence kept by that kiosk, and a Damm check digit. Two kiosks
never share a code, and one kiosk never reuses a sequence number, so no two tickets are
equal even when no kiosk can reach the network. The Damm check digit detects every single
wrong digit and every swap of two neighbouring digits.
"""

from __future__ import annotations

import re

KIOSK_CODE_DIGITS = 4
SEQUENCE_DIGITS = 5
TICKET_DIGITS = KIOSK_CODE_DIGITS + SEQUENCE_DIGITS + 1
MAX_SEQUENCE = 10**SEQUENCE_DIGITS - 1

# The totally anti-symmetric quasigroup of order 10 from Damm's thesis (2004).
_DAMM_TABLE = (
    (0, 3, 1, 7, 5, 9, 8, 6, 4, 2),
    (7, 0, 9, 2, 1, 5, 4, 8, 6, 3),
    (4, 2, 0, 6, 8, 7, 1, 3, 5, 9),
    (1, 7, 5, 0, 9, 8, 3, 4, 2, 6),
    (6, 1, 2, 3, 0, 4, 5, 9, 7, 8),
    (3, 6, 7, 4, 2, 0, 9, 5, 8, 1),
    (5, 8, 6, 9, 7, 2, 0, 1, 3, 4),
    (8, 9, 4, 5, 3, 6, 2, 0, 1, 7),
    (9, 4, 3, 8, 6, 1, 7, 2, 0, 5),
    (2, 5, 8, 1, 4, 3, 6, 7, 9, 0),
)

_KIOSK_CODE = re.compile(r"^[0-9]{4}$")


class TicketError(ValueError):
    """A ticket number that cannot be right."""


def damm_digit(digits: str) -> int:
    """The Damm check digit of a string of decimal digits."""
    interim = 0
    for ch in digits:
        interim = _DAMM_TABLE[interim][int(ch)]
    return interim


def is_valid_kiosk_code(code: str) -> bool:
    return bool(_KIOSK_CODE.match(code))


def make_ticket(kiosk_code: str, sequence: int) -> str:
    """The ticket for the kiosk's ``sequence``-th submission, as 10 plain digits."""
    if not is_valid_kiosk_code(kiosk_code):
        raise TicketError(f"kiosk code must be 4 digits, got {kiosk_code!r}")
    if not 1 <= sequence <= MAX_SEQUENCE:
        raise TicketError(f"sequence must be 1..{MAX_SEQUENCE}, got {sequence}")
    body = f"{kiosk_code}{sequence:0{SEQUENCE_DIGITS}d}"
    return f"{body}{damm_digit(body)}"


def normalize(typed: str) -> str:
    """Digits only: residents and staff may type spaces or dashes between groups."""
    return "".join(ch for ch in typed if ch.isdigit())


def is_valid_ticket(typed: str) -> bool:
    digits = normalize(typed)
    return len(digits) == TICKET_DIGITS and damm_digit(digits) == 0


def group(ticket: str) -> str:
    """The ticket as printed and shown: ``1234 56789 0``."""
    d = normalize(ticket)
    k, s = KIOSK_CODE_DIGITS, KIOSK_CODE_DIGITS + SEQUENCE_DIGITS
    return f"{d[:k]} {d[k:s]} {d[s:]}"
