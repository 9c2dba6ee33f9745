"""Receipt layout: what goes on the paper, as plain immutable data."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal, TypeAlias

Align: TypeAlias = Literal["left", "center", "right"]

ALIGNS: tuple[Align, ...] = ("left", "center", "right")
MAX_SCALE = 4
MAX_MODULE_SIZE = 16
MAX_FEED_LINES = 255


@dataclass(frozen=True)
class Text:
    """One printed line; ``scale`` 1..4 multiplies glyph width and height."""

    text: str
    scale: int = 1
    align: Align = "left"
    bold: bool = False

    def __post_init__(self) -> None:
        if not 1 <= self.scale <= MAX_SCALE:
            raise ValueError(f"Text scale must be 1..{MAX_SCALE}, got {self.scale}")
        if self.align not in ALIGNS:
            raise ValueError(f"Text align must be one of {ALIGNS}, got {self.align!r}")


@dataclass(frozen=True)
class QRCode:
    """A centred QR code; one module is ``module_size`` printer dots wide."""

    data: str
    module_size: int = 6

    def __post_init__(self) -> None:
        if not self.data:
            raise ValueError("QRCode data must not be empty")
        if not 1 <= self.module_size <= MAX_MODULE_SIZE:
            raise ValueError(
                f"QRCode module_size must be 1..{MAX_MODULE_SIZE}, got {self.module_size}"
            )


@dataclass(frozen=True)
class Rule:
    """A full-width line of '-'."""


@dataclass(frozen=True)
class Feed:
    """Blank paper, ``lines`` text lines high."""

    lines: int = 1

    def __post_init__(self) -> None:
        if not 1 <= self.lines <= MAX_FEED_LINES:
            raise ValueError(f"Feed lines must be 1..{MAX_FEED_LINES}, got {self.lines}")


@dataclass(frozen=True)
class Cut:
    """Feed to the cutter and partially cut the paper."""


Element: TypeAlias = Text | QRCode | Rule | Feed | Cut


@dataclass(frozen=True)
class ReceiptLayout:
    """A whole receipt; ``columns`` is 48 for 80 mm paper, 32 for 58 mm."""

    elements: tuple[Element, ...]
    columns: int = 48

    def __post_init__(self) -> None:
        if self.columns < 1:
            raise ValueError(f"columns must be positive, got {self.columns}")
