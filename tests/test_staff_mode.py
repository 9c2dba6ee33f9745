"""Staff mode without the screen: the PIN check and its lockout (kept across a restart), the
[staff] config section, and `shuoshi staff-pin` as staff run it."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

from kiosk.config import ConfigError, load_config
from kiosk.idle import IdleGuard, IdleLimits
from kiosk.staff_mode import (
    LOCK_SECONDS,
    MAX_TRIES,
    STAFF_IDLE_SECONDS,
    PinResult,
    StaffFlow,
    StaffGate,
    hash_pin,
)
from sync.store import Store
from tests.conftest import REPO, kiosk_toml

PIN = "246810"


class FakeClock:
    def __init__(self) -> None:
        self.now = 1_800_000_000.0

    def __call__(self) -> float:
        return self.now


@pytest.fixture(scope="module")
def pin_hash() -> str:
    return hash_pin(PIN)


def test_right_pin_opens_and_a_wrong_one_does_not(tmp_path: Path, pin_hash: str) -> None:
    store = Store(tmp_path / "kiosk.db")
    try:
        gate = StaffGate(pin_hash, store)
        assert gate.check("000000") is PinResult.WRONG
        assert gate.tries_left() == MAX_TRIES - 1
        assert gate.check(PIN) is PinResult.OPEN
        assert gate.tries_left() == MAX_TRIES  # a right PIN forgets the wrong tries
        assert StaffGate("", store).check(PIN) is PinResult.OFF
    finally:
        store.close()


def test_five_wrong_tries_lock_for_five_minutes_across_a_restart(tmp_path: Path,
                                                                 pin_hash: str) -> None:
    clock = FakeClock()
    store = Store(tmp_path / "kiosk.db")
    try:
        gate = StaffGate(pin_hash, store, clock)
        results = [gate.check("1111") for _ in range(MAX_TRIES)]
        assert results == [PinResult.WRONG] * (MAX_TRIES - 1) + [PinResult.LOCKED]
        assert gate.check(PIN) is PinResult.LOCKED  # even the right PIN, while locked
    finally:
        store.close()
    store = Store(tmp_path / "kiosk.db")  # the kiosk restarted
    try:
        gate = StaffGate(pin_hash, store, clock)
        clock.now += LOCK_SECONDS - 1
        assert gate.locked_for() == pytest.approx(1)
        assert gate.check(PIN) is PinResult.LOCKED
        clock.now += 2
        assert gate.locked_for() == 0
        assert gate.check(PIN) is PinResult.OPEN
    finally:
        store.close()


def test_config_takes_an_argon2_hash_or_nothing(tmp_path: Path, pin_hash: str) -> None:
    assert load_config(kiosk_toml(tmp_path)).staff.pin_hash == ""
    good = kiosk_toml(tmp_path, staff=f'pin_hash = "{pin_hash}"')
    assert load_config(good).staff.pin_hash == pin_hash
    bad = kiosk_toml(tmp_path, staff='pin_hash = "1234"')
    with pytest.raises(ConfigError) as err:
        load_config(bad)
    message = str(err.value)
    assert str(bad) in message and "staff.pin_hash" in message and "argon2" in message


def _staff_pin(text: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run([sys.executable, "-m", "shuoshi", "staff-pin"], input=text,
                          capture_output=True, text=True, timeout=60, cwd=REPO, check=False)


def test_staff_pin_prints_the_config_line(tmp_path: Path) -> None:
    made = _staff_pin(f"{PIN}\n{PIN}\n")
    assert made.returncode == 0, made.stderr
    assert PIN not in made.stdout
    line = next(x for x in made.stdout.splitlines() if x.startswith("pin_hash = "))
    config = kiosk_toml(tmp_path, staff=line)
    store = Store(tmp_path / "kiosk.db")
    try:
        assert StaffGate(load_config(config).staff.pin_hash, store).check(PIN) is PinResult.OPEN
    finally:
        store.close()
    differ = _staff_pin(f"{PIN}\n135790\n")
    assert differ.returncode == 2 and "pin_hash" not in differ.stdout
    short = _staff_pin("12\n12\n")
    assert short.returncode == 2 and "pin_hash" not in short.stdout


class _Screens:
    current = "staff_menu"

    def has_screen(self, _name: str) -> bool:
        return False


class _App(StaffFlow):
    """StaffFlow's idle handling with the screens left out."""

    def __init__(self, resident_idle: IdleGuard) -> None:
        self.idle = resident_idle
        self.root = _Screens()
        self.went: list[str] = []

    def go(self, name: str) -> None:
        self.went.append(name)


def test_staff_mode_leaves_after_two_minutes_without_the_residents_warning() -> None:
    clock = FakeClock()
    resident_events: list[str] = []
    resident = IdleGuard(IdleLimits(60, 20, 30), limit_for=lambda: 60, has_work=lambda: True,
                         on_warn=lambda _s: resident_events.append("warn"),
                         on_keep=lambda: None, on_reset=lambda: resident_events.append("reset"),
                         clock=clock)
    app = _App(resident)
    app._enter_staff_idle(clock)
    assert app.idle is not resident
    clock.now += STAFF_IDLE_SECONDS - 30
    app.idle.touched()  # staff at work: the two minutes start again
    clock.now += STAFF_IDLE_SECONDS - 1
    app.idle.tick()
    assert app.went == [] and resident_events == []
    clock.now += 2
    app.idle.tick()
    assert app.went == ["home"] and app.idle is resident and resident_events == []


def test_leaving_the_staff_screens_otherwise_gives_the_resident_guard_back() -> None:
    clock = FakeClock()
    resident = IdleGuard(IdleLimits(60, 20, 30), limit_for=lambda: 60, has_work=lambda: True,
                         on_warn=lambda _s: None, on_keep=lambda: None, on_reset=lambda: None,
                         clock=clock)
    app = _App(resident)
    app._enter_staff_idle(clock)
    app.root.current = "status"  # a receipt scanned while in staff mode
    app.idle.tick()
    assert app.idle is resident and app.went == []
