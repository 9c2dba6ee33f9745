"""Staff mode on the kiosk: a long press in the home screen's corner, then the PIN; a menu to
reprint a receipt, print the day's 记录簿, see the printer and the sync queue, and mute.

Nothing on these screens is spoken: a resident standing by hears no PIN and no tickets.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from datetime import date, datetime
from enum import Enum
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from kiosk.idle import IdleGuard
    from sync.store import Store

MAX_TRIES = 5
LOCK_SECONDS = 5 * 60
STAFF_IDLE_SECONDS = 120.0
"""Staff mode leaves by itself after this long without a touch (no warning first)."""
LONG_PRESS_SECONDS = 3.0
CORNER_MM = 18.0
"""The invisible corner square that opens staff mode (≥ 15 mm, a fingertip's width more)."""
STAFF_SCREENS = ("staff_pin", "staff_menu", "staff_reprint", "staff_info", "staff_assisted",
                 "staff_queue")
FAILURES_KEY = "staff_pin_failures"
LOCKED_UNTIL_KEY = "staff_locked_until"


class PinResult(Enum):
    OPEN = "open"
    WRONG = "wrong"
    LOCKED = "locked"
    OFF = "off"


class StaffGate:
    """The PIN check: argon2 against the configured hash; five wrong tries lock it for five
    minutes. Tries and the lock are kept in the store's sync_state, so a restart keeps them
    (wall time: a kiosk's clock jump at worst shortens or lengthens one lock)."""

    def __init__(self, pin_hash: str, store: Store, clock: Callable[[], float] = time.time
                 ) -> None:
        self.pin_hash = pin_hash
        self.store = store
        self._clock = clock

    @property
    def enabled(self) -> bool:
        return bool(self.pin_hash)

    def locked_for(self) -> float:
        """Seconds the PIN stays locked; 0 when it may be tried."""
        until = float(self.store.get_state(LOCKED_UNTIL_KEY, "0") or 0)
        return max(0.0, until - self._clock())

    def tries_left(self) -> int:
        return MAX_TRIES - int(self.store.get_state(FAILURES_KEY, "0") or 0)

    def check(self, pin: str) -> PinResult:
        if not self.enabled:
            return PinResult.OFF
        if self.locked_for() > 0:
            return PinResult.LOCKED
        from argon2 import PasswordHasher
        from argon2.exceptions import InvalidHashError, VerificationError

        try:
            PasswordHasher().verify(self.pin_hash, pin)
        except (VerificationError, InvalidHashError):
            failures = int(self.store.get_state(FAILURES_KEY, "0") or 0) + 1
            if failures >= MAX_TRIES:
                self.store.set_state(**{FAILURES_KEY: "0",
                                        LOCKED_UNTIL_KEY: str(self._clock() + LOCK_SECONDS)})
                return PinResult.LOCKED
            self.store.set_state(**{FAILURES_KEY: str(failures)})
            return PinResult.WRONG
        self.store.set_state(**{FAILURES_KEY: "0", LOCKED_UNTIL_KEY: "0"})
        return PinResult.OPEN


def hash_pin(pin: str) -> str:
    from argon2 import PasswordHasher

    return PasswordHasher().hash(pin)


def sync_lines(store: Store) -> list[str]:
    """The sync queue as `shuoshi sync status` shows it, in Chinese."""
    from sync.status import SyncStatus

    status = SyncStatus.read(store)
    lines = [f"等待发送：{status.waiting} 件，评价/附议 {status.feedback_waiting} 件",
             f"最早等待：{status.oldest_minutes:.0f} 分钟",
             f"隔离：{status.quarantined_count} 件"]
    lines += [f"  {ticket}：{reason}" for ticket, reason in status.quarantined]
    lines += [f"  {kind} {ticket}：{reason}" for kind, ticket, reason in status.held]
    lines += [f"最近成功：{status.last_success or '从未'}",
              f"最近错误：{status.last_error or '无'}"]
    if status.paused:
        lines.append(f"暂停发送：{status.paused}")
    return lines


class StaffFlow:
    """The staff screens' actions, mixed into KioskApp."""

    services: Any
    root: Any
    idle: IdleGuard
    _staff_resident_idle: IdleGuard | None = None

    if TYPE_CHECKING:
        def go(self, name: str) -> None: ...
        def speak_screen(self, *texts: str) -> None: ...

    def _staff_gate(self) -> StaffGate:
        return StaffGate(self.services.staff_pin_hash, self.services.intake.store)

    def open_staff(self) -> None:
        """The corner was held long enough: the PIN keypad, when staff mode is configured."""
        if not self.services.staff_pin_hash or self.root.current != "home":
            return
        self.services.speech.stop()
        self._enter_staff_idle()
        self.root.get_screen("staff_pin").reset(self._pin_message())
        self.go("staff_pin")

    def _pin_message(self) -> str:
        locked = self._staff_gate().locked_for()
        if locked > 0:
            return f"已锁定，请 {int(locked // 60) + 1} 分钟后再试"
        return "请输入工作人员密码"

    def staff_pin_entered(self, pin: str) -> None:
        result = self._staff_gate().check(pin)
        screen = self.root.get_screen("staff_pin")
        if result is PinResult.OPEN:
            print("STAFF OPEN", flush=True)
            self.staff_menu()
            return
        print(f"STAFF PIN {result.name}", flush=True)  # never the digits
        screen.reset("密码不对，请再试" if result is PinResult.WRONG else self._pin_message())

    def staff_menu(self) -> None:
        self.root.get_screen("staff_menu").muted = self.services.speech.mute.is_muted()
        self.go("staff_menu")

    def leave_staff(self) -> None:
        """退出, or two minutes without a touch: home, and the resident's idle guard again."""
        if self._staff_resident_idle is not None:
            self.idle = self._staff_resident_idle
            self._staff_resident_idle = None
        if self.root.has_screen("staff_pin"):
            self.root.get_screen("staff_pin").reset("")
        print("STAFF LEFT", flush=True)
        self.go("home")

    def _enter_staff_idle(self, clock: Callable[[], float] = time.monotonic) -> None:
        """While in staff screens a guard of their own: leaves staff mode after two minutes,
        with no resident's warning or reset in between."""
        from kiosk.idle import IdleGuard, IdleLimits

        if self._staff_resident_idle is not None:
            return
        self._staff_resident_idle = self.idle
        self.idle = IdleGuard(IdleLimits(STAFF_IDLE_SECONDS, 1.0, STAFF_IDLE_SECONDS),
                              limit_for=lambda: STAFF_IDLE_SECONDS, has_work=self._still_staff,
                              on_warn=lambda _left: self.leave_staff(), on_keep=lambda: None,
                              on_reset=lambda: None, clock=clock)

    def _still_staff(self) -> bool:
        """Left the staff screens some other way (a receipt scanned opens its status): the
        resident's idle guard again."""
        if self.root.current in STAFF_SCREENS:
            return True
        if self._staff_resident_idle is not None:
            self.idle, self._staff_resident_idle = self._staff_resident_idle, None
        return False

    # ---- the menu's actions ----

    def staff_show(self, title: str, lines: list[str],
                   action: tuple[str, Callable[[], None]] | None = None) -> None:
        self.root.get_screen("staff_info").show(title, lines, action)
        self.go("staff_info")

    def staff_reprint_open(self) -> None:
        self.root.get_screen("staff_reprint").reset("请输入回执号码")
        self.go("staff_reprint")

    def staff_reprint(self, number: str) -> None:
        """补打: the same as `shuoshi receipt print TICKET --reprint`."""
        from sync.contract.ticket import group, is_valid_ticket, normalize

        ticket = normalize(number)
        screen = self.root.get_screen("staff_reprint")
        if not is_valid_ticket(ticket):
            screen.reset("号码不对（10位数字），请再输入")
            return
        job = self.services.intake.reprint(ticket)
        if job is None:
            screen.reset(f"本机没有 {group(ticket)} 号")
            return
        print(f"STAFF REPRINT {ticket}", flush=True)
        screen.reset(f"已补打 {group(ticket)}")

    def staff_scanned(self, ticket: str | None) -> None:
        """A code scanned in staff mode (the PIN taken): 补打 of that receipt, silently."""
        if self.root.current == "staff_pin":
            return
        if self.root.current != "staff_reprint":
            self.staff_reprint_open()
        if ticket is None:
            self.root.get_screen("staff_reprint").reset("这不是回执上的码，请扫回执或输入号码")
            return
        self.staff_reprint(ticket)

    def staff_print_book(self) -> None:
        """打印记录簿: today's, as `shuoshi receipt book` prints it."""
        from kiosk.cli_receipt import _book_entries
        from kiosk.receipt import record_book

        intake = self.services.intake
        today = date.today()
        entries = _book_entries(intake.store, today)
        layout = record_book(entries, intake.hall.text, day=today,
                             printed_at=datetime.now().astimezone(),
                             columns=intake.printer.printer.profile.columns)
        intake.printer.submit(f"book-{today:%Y%m%d}", layout)
        print("STAFF BOOK", flush=True)
        self.staff_show("打印记录簿", [f"今天 {len(entries)} 件，记录簿已送去打印"])

    def staff_printer(self) -> None:
        """打印机: its state as `shuoshi printer status` shows it, and a test page."""
        worker = self.services.intake.printer
        report = worker.report
        counts = worker.spool.counts()
        lines = [f"打印机：{report.state.label}（{report.state.value}）",
                 f"{report.detail}",
                 f"等待 {counts.get('pending', 0)} 张，待补打 {counts.get('held', 0)} 张"]
        self.staff_show("打印机", lines, ("打印测试页", self.staff_test_page))

    def staff_test_page(self) -> None:
        from kiosk.receipt import printer_test_page

        worker = self.services.intake.printer
        page = printer_test_page(worker.printer.profile, now=datetime.now().astimezone(),
                                 device="kiosk")
        worker.submit("test-page", page)
        print("STAFF TEST PAGE", flush=True)
        self.staff_show("打印机", ["测试页已送去打印"])

    def staff_sync(self) -> None:
        """同步: the queue as `shuoshi sync status` prints it."""
        self.staff_show("同步", sync_lines(self.services.intake.store))

    def staff_toggle_mute(self) -> None:
        """静音 / 取消静音: the same mute file as `shuoshi speak --mute / --unmute`."""
        switch = self.services.speech.mute
        try:
            switch.set(not switch.is_muted())
        except ValueError:  # no mute file configured
            return
        self.root.get_screen("staff_menu").muted = switch.is_muted()
        print(f"STAFF {'MUTED' if switch.is_muted() else 'UNMUTED'}", flush=True)
