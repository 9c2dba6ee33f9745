"""Receipt layout: what goes on the paper, as plain immutable data."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Literal, TypeAlias

Align: TypeAlias = Literal["left", "center", "right"]

ALIGNS: tuple[Align, ...] = ("left", "center", "right")
MAX_SCALE = 4
MAX_MODULE_SIZE = 16
MAX_FEED_LINES = 255


@dataclass(frozen=True)
class Text:
    """A paragraph, wrapped to the paper; ``scale`` 1..4 multiplies glyph width and height.

    ``keep_whole`` text (a ticket number) is never wrapped: on narrow paper it is printed
    at the largest scale that still fits on one line.
    """

    text: str
    scale: int = 1
    align: Align = "left"
    bold: bool = False
    keep_whole: bool = False

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
    """End of the receipt: cut as the printer profile allows, or feed enough paper to tear."""


Element: TypeAlias = Text | QRCode | Rule | Feed | Cut


@dataclass(frozen=True)
class ReceiptLayout:
    """A whole receipt; ``columns`` is 48 for 80 mm paper, 32 for 58 mm (the profile's)."""

    elements: tuple[Element, ...]
    columns: int = 48

    def __post_init__(self) -> None:
        if self.columns < 1:
            raise ValueError(f"columns must be positive, got {self.columns}")


_ELEMENT_TYPES: dict[str, type[Element]] = {
    cls.__name__: cls for cls in (Text, QRCode, Rule, Feed, Cut)
}


def layout_to_dict(layout: ReceiptLayout) -> dict[str, object]:
    """Plain data for a JSON file: the print queue keeps layouts, not bytes."""
    return {
        "columns": layout.columns,
        "elements": [{"type": type(item).__name__, **vars(item)} for item in layout.elements],
    }


def layout_from_dict(data: dict[str, Any]) -> ReceiptLayout:
    """The inverse of ``layout_to_dict``; raises ValueError on anything else."""
    try:
        elements = tuple(
            _ELEMENT_TYPES[item["type"]](**{k: v for k, v in item.items() if k != "type"})
            for item in data["elements"]
        )
        return ReceiptLayout(elements, int(data["columns"]))
    except (KeyError, TypeError) as error:
        raise ValueError(f"not a receipt layout: {error}") from None
