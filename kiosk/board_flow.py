"""公示栏, 便民服务 and 说事日程 on the kiosk, from the last pulled catalog.

The catalog is read from the kiosk's store when a screen opens (a SQLite read of a few rows,
on the UI thread like 提交's commit); without a network the screens show what was pulled
last and say how old it is. Printing goes through the receipt printer's queue, as the 回执.
"""

from __future__ import annotations

import logging
from datetime import date, datetime
from typing import TYPE_CHECKING, Any

from kiosk.session import MESSAGES

if TYPE_CHECKING:  # the store and printer packages load after the first frame
    from device.printer import ReceiptLayout
    from kiosk.board import Body
    from kiosk.screens.schedule import ScheduleRow
    from kiosk.services import KioskServices

log = logging.getLogger(__name__)


class BoardFlow:
    """KioskApp's part for the hall's information screens. ``self`` is the KioskApp."""

    root: Any
    services: KioskServices

    # ---- 公示栏 ----

    def show_notices(self) -> None:
        from kiosk import board

        catalog, age = self._read_catalog("notice")
        screen = self.root.get_screen("notices")
        screen.show(board.notices(catalog, date.today()), age, on_print=self.print_notice,
                    on_turn=self._page_turned)
        self.go("notices")

    def print_notice(self) -> None:
        from kiosk.slips import notice_copy

        notice = self.root.get_screen("notices").current()
        if notice is None:
            return
        intake = self.services.intake
        layout = notice_copy(notice, intake.hall.text, printed_at=datetime.now(),
                             columns=intake.printer.printer.profile.columns)
        self._print("notice", layout)

    # ---- 便民服务 ----

    def show_services(self) -> None:
        from kiosk import board

        catalog, age = self._read_catalog("directory")
        self.root.get_screen("services").show_kinds(
            board.services_by_kind(catalog), age, on_choice=self.choose_service_kind,
            on_page=self._page_turned)
        self.go("services")

    def choose_service_kind(self, kind: str) -> None:
        self.root.get_screen("services").show_entries(kind, on_turn=self._page_turned)
        self.go("services")

    def show_service_kinds(self) -> None:
        """返回 from a kind's entries: the kinds again, as they were."""
        self.root.get_screen("services").back_to_kinds()
        self.go("services")

    def print_service(self) -> None:
        from kiosk.slips import service_slip

        service = self.root.get_screen("services").current()
        if service is None:
            return
        intake = self.services.intake
        layout = service_slip(service, intake.hall.text, printed_at=datetime.now(),
                              columns=intake.printer.printer.profile.columns)
        self._print("service", layout)

    # ---- 说事日程 ----

    def show_schedule(self) -> None:
        catalog, age = self._read_catalog("schedule")
        self.root.get_screen("schedule").show(self._schedule_rows(catalog, date.today()), age)
        self.go("schedule")

    def _schedule_rows(self, catalog: list[Body], today: date) -> list[ScheduleRow]:
        from kiosk import board
        from kiosk.screens.schedule import ScheduleRow

        say_day = board.next_say_day_from(catalog, today)
        when = board.when_text(say_day.day, today)
        meeting = say_day.meeting
        if meeting is not None:
            when = " ".join(p for p in (when, meeting.time, meeting.place) if p)
        rule = meeting.text if meeting is not None else "逢五说事"
        rows = [ScheduleRow("下次说事日", f"{when}（{rule}）" if rule else when,
                            f"下次说事日：{when}。{rule + '。' if rule else ''}")]
        council = board.next_council(catalog, today)
        if council is None or council.day is None:
            rows.append(ScheduleRow("议事会", "近期没有", MESSAGES["board_no_council"]))
        else:
            when = board.when_text(council.day, today, council.time)
            where = f" {council.place}" if council.place else ""
            topic = f" 议题：{council.text}" if council.text else ""
            rows.append(ScheduleRow("议事会", f"{when}{where}{topic}",
                                    f"下次议事会：{when}{where}。{topic.strip()}。"))
        duty = board.duty_today(catalog, today)
        if duty:
            who = "；".join(" ".join(p for p in (d.time, d.text, d.place) if p) for d in duty)
            rows.append(ScheduleRow("今日值班", who, f"今天值班：{who}。"))
        else:
            rows.append(ScheduleRow("今日值班", "今天没有值班安排", MESSAGES["board_no_duty"]))
        hotline = self.services.hotline
        if hotline:
            rows.append(ScheduleRow("说事热线", hotline,
                                    f"说事热线：{board.phone_said(hotline)}。"))
        return rows

    # ---- shared ----

    def _read_catalog(self, kind: str) -> tuple[list[Body], str]:
        """What the kiosk last pulled of ``kind``, and how old it is ("" if fresh). A store
        that cannot be read shows nothing rather than stopping the kiosk."""
        from sqlalchemy.exc import SQLAlchemyError

        from kiosk import board

        try:
            store = self.services.intake.store
            catalog = board.catalog(store, kind)
            pulled = board.last_pulled(store)
        except (SQLAlchemyError, OSError) as error:
            log.error("could not read the %s catalog: %s", kind, type(error).__name__)
            return [], board.age_text(None, datetime.now().astimezone())
        return catalog, board.age_text(pulled, datetime.now().astimezone())

    def _print(self, what: str, layout: ReceiptLayout) -> None:
        intake = self.services.intake
        name = f"{what}-{datetime.now():%Y%m%d-%H%M%S-%f}"
        try:  # the receipt printer's queue; "请取走" only once it is printing
            printable = intake.print_slip(name, layout, label=what)
        except OSError as error:
            log.error("could not queue %s: %s", name, error)
            self.speak_screen(MESSAGES["board_cannot_print"])
            return
        self.speak_screen(MESSAGES["board_printing" if printable else "board_cannot_print"])
        print(f"PRINTED {name}", flush=True)

    # ---- provided by the app ----

    def go(self, name: str) -> None:
        raise NotImplementedError

    def speak_screen(self, *texts: str) -> None:
        raise NotImplementedError

    def _page_turned(self) -> None:
        raise NotImplementedError
