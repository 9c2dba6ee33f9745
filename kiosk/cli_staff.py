"""``shuoshi staff-pin``: the line with the staff PIN's argon2 hash for the kiosk's config."""

from __future__ import annotations

import argparse
import getpass
import sys

MIN_DIGITS = 4
MAX_DIGITS = 12


def register(sub: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    p = sub.add_parser("staff-pin", help="hash a staff PIN for the config's [staff] pin_hash")
    p.set_defaults(handler=run_staff_pin)


def _read(prompt: str) -> str:
    """From the terminal without echo; piped in, one line of standard input."""
    if sys.stdin.isatty():
        return getpass.getpass(prompt)
    return sys.stdin.readline().strip()


def run_staff_pin(_args: argparse.Namespace) -> int:
    from kiosk.staff_mode import hash_pin

    pin = _read("PIN: ")
    if not (pin.isdigit() and pin.isascii() and MIN_DIGITS <= len(pin) <= MAX_DIGITS):
        print(f"a PIN is {MIN_DIGITS} to {MAX_DIGITS} digits", file=sys.stderr)
        return 2
    if _read("PIN again: ") != pin:
        print("the two PINs differ; nothing written", file=sys.stderr)
        return 2
    print("[staff]")
    print(f'pin_hash = "{hash_pin(pin)}"')
    return 0
