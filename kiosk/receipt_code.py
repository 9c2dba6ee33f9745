"""What a scanned code says: the ticket of a 说事 receipt, or nothing we know.

A receipt's QR holds the hall's status URL with the ticket in it (``[printer] status_url``,
which a phone opens too), or the bare ticket digits where no URL is configured. Either is
accepted from any hall's receipt; the ticket's Damm check digit must hold, so a misread or
a code from some other paper is refused rather than looked up.
"""

from __future__ import annotations

import re
from urllib.parse import parse_qsl, urlsplit

from sync.contract.ticket import TICKET_DIGITS, is_valid_ticket

MAX_SCAN_CHARS = 512
"""A receipt's code is a URL of a few dozen characters; anything much longer is not one."""
_BARE = re.compile(rf"[0-9]{{{TICKET_DIGITS}}}")
_IN_URL = re.compile(rf"(?<![0-9])([0-9]{{{TICKET_DIGITS}}})(?![0-9])")


def ticket_from_scan(payload: str) -> str | None:
    """The ticket a scanned code carries, or None when it is not a 说事 receipt's code."""
    text = payload.strip()
    if not text or len(text) > MAX_SCAN_CHARS:
        return None
    if _BARE.fullmatch(text):
        return text if is_valid_ticket(text) else None
    parts = urlsplit(text)
    if parts.scheme not in ("http", "https") or not parts.netloc:
        return None
    # the ticket may sit in the path (/t/0001000153) or in the query (?ticket=0001000153)
    candidates = [*_IN_URL.findall(parts.path),
                  *(v for _k, v in parse_qsl(parts.query) if _BARE.fullmatch(v))]
    valid = {c for c in candidates if is_valid_ticket(c)}
    return valid.pop() if len(valid) == 1 else None


def receipt_code(ticket: str, status_url: str) -> str:
    """What a receipt's QR holds: the hall's status URL with the ticket (a phone opens it, the
    kiosk's scanner reads it), or the bare ticket where the hall has no URL."""
    return status_url.replace("{ticket}", ticket) if status_url else ticket
