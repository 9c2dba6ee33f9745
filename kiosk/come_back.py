"""Coming back to the hall: a scanned receipt, the whole story of a ticket, and 评事."""

from __future__ import annotations


class ComeBackFlow:
    """KioskApp's part for 查事 and 评事."""
