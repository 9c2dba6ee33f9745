"""附议 ("me too"): an open public issue of the same category, supported instead of raised
again.

When a resident picks a category, the open issues of this community in it that their
residents made 公开 come first, one a page, newest first, read aloud. 我也遇到了 asks only for
a phone (or 匿名), shows what will be supported, and 提交附议 stores the support with a receipt
of its own; 我要说别的 goes on as if nothing had been offered.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from typing import TYPE_CHECKING, Any

from kiosk.session import ResidentSession
from sync.contract.protocol import PublicIssue

if TYPE_CHECKING:
    from kiosk.services import KioskServices

log = logging.getLogger(__name__)

MOST_OFFERED = 5
"""More than a few would keep a resident paging past issues that are not theirs."""


class MeTooFlow:
    """KioskApp's part for 附议. ``self`` is the KioskApp."""

    root: Any
    services: KioskServices
    session: ResidentSession
    _trail: list[str]
    _show: Callable[..., None]
    ask_contact: Callable[[], None]
    continue_category: Callable[[str], None]
    store_and_hand_over: Callable[[Any, Callable[[], str], str], None]

    def offer_support(self, category: str) -> bool:
        """Offer the open public issues of ``category``; False when there are none."""
        issues = self._open_issues(category)
        if not issues:
            return False
        self.session.supporting = None
        self.root.get_screen("support").show(issues)
        self._trail = []
        self._show("support")
        return True

    def _open_issues(self, category: str) -> list[PublicIssue]:
        from sqlalchemy.exc import SQLAlchemyError

        from sync.inbox import Inbox

        try:
            return Inbox(self.services.intake.store).public_issues(category)[:MOST_OFFERED]
        except SQLAlchemyError as error:  # never stands between a resident and 说事
            log.error("public issues not read: %s", type(error).__name__)
            return []

    def support_this(self) -> None:
        """我也遇到了: this issue; a phone next (or 匿名)."""
        self.session.supporting = self.root.get_screen("support").issue
        self.ask_contact()

    def say_something_else(self) -> None:
        """我要说别的: none of these; on to the category's phrases."""
        self.session.supporting = None
        self._trail = []
        self.continue_category(self.session.category)

    def confirm_support(self) -> None:
        """After the phone (or 匿名): what will be supported, with 提交附议."""
        self.root.get_screen("support_confirm").show(self.session)
        self._show("support_confirm")

    def submit_support(self) -> None:
        issue, session = self.session.supporting, self.session
        if issue is None:
            return
        self.store_and_hand_over(
            self.root.get_screen("support_confirm"),
            lambda: self.services.intake.support(issue, session.contact_name or None,
                                                 session.contact_phone or None).support_ticket,
            "SUPPORTED")
