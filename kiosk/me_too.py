"""附议 ("me too"): an open public issue of the same category, supported instead of raised
again."""

from __future__ import annotations


class MeTooFlow:
    """KioskApp's part for 附议."""
