"""代录: in staff mode, a staff member enters an issue raised 当面说, 电话说 or 书面说 on the
resident's behalf. The resident's own screens are used (category, phrase, own words, place,
phone, 公开, 请核对), the submission carrying the channel and the staff member's name."""

from __future__ import annotations

from collections.abc import Callable
from typing import TYPE_CHECKING, Any

ASSISTED_CHANNELS = ("staff_in_person", "staff_phone", "staff_written")
UNNAMED_STAFF = "工作人员"
"""The 录入人 when the kiosk's config names no staff members."""
HANDED_OVER = {
    "staff_in_person": "已代录，请把回执交给居民",
    "staff_phone": "已代录，请把号码告诉来电居民",
    "staff_written": "已代录，请把回执和书面材料一起存档",
}
"""What the done screen says to the staff member instead of 请取走回执."""


def staff_note(channel: str) -> Callable[[bool], str] | None:
    """The done screen's line for staff after 代录 (given whether the receipt is coming);
    None for the resident's own submission."""
    if channel not in HANDED_OVER:
        return None
    note = HANDED_OVER[channel]
    return lambda receipt_coming: (note if receipt_coming
                                   else f"{note}（打印机暂时不能出回执，请记下号码）")


class AssistedFlow:
    """The 代录 screen's actions, mixed into KioskApp."""

    services: Any
    root: Any
    session: Any

    if TYPE_CHECKING:
        def go(self, name: str) -> None: ...
        def _show_categories(self) -> None: ...

    def staff_assisted_open(self) -> None:
        self.root.get_screen("staff_assisted").reset(
            list(self.services.staff_members) or [UNNAMED_STAFF])
        self.go("staff_assisted")

    def staff_assisted_start(self, channel: str, member: str) -> None:
        """A channel chosen: the resident's screens from the categories on, for this entry."""
        if channel not in ASSISTED_CHANNELS:
            raise ValueError(f"not a staff channel: {channel}")
        self.session.reset()
        self.session.channel, self.session.entered_by = channel, member
        print(f"ASSISTED {channel}", flush=True)  # never the member's name in the log
        self._show_categories()
        self.go("category")
