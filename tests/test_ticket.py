import itertools
import random

import pytest

from sync.contract.ticket import (
    TICKET_DIGITS,
    TicketError,
    group,
    is_valid_ticket,
    make_ticket,
    normalize,
)


def test_ticket_is_ten_digits_with_kiosk_code_first() -> None:
    ticket = make_ticket("0042", 7)
    assert len(ticket) == TICKET_DIGITS and ticket.isdigit()
    assert ticket.startswith("004200007")
    assert is_valid_ticket(ticket)


def test_every_single_wrong_digit_is_caught() -> None:
    rng = random.Random(1)
    for _ in range(300):
        ticket = make_ticket(f"{rng.randrange(10000):04d}", rng.randrange(1, 100000))
        for pos, wrong in itertools.product(range(TICKET_DIGITS), "0123456789"):
            if ticket[pos] != wrong:
                assert not is_valid_ticket(ticket[:pos] + wrong + ticket[pos + 1:])


def test_every_swap_of_neighbouring_digits_is_caught() -> None:
    rng = random.Random(2)
    for _ in range(2000):
        ticket = make_ticket(f"{rng.randrange(10000):04d}", rng.randrange(1, 100000))
        for pos in range(TICKET_DIGITS - 1):
            a, b = ticket[pos], ticket[pos + 1]
            if a != b:
                assert not is_valid_ticket(ticket[:pos] + b + a + ticket[pos + 2:])


def test_two_kiosks_never_collide() -> None:
    seen = {make_ticket(f"{k:04d}", s) for k in range(0, 10000, 97) for s in range(1, 200)}
    assert len(seen) == len(range(0, 10000, 97)) * 199


def test_typed_with_spaces_is_accepted_and_grouped_for_reading() -> None:
    ticket = make_ticket("1234", 56789)
    assert group(ticket) == f"1234 56789 {ticket[-1]}"
    assert is_valid_ticket(group(ticket))
    assert normalize("1234-56789-0") == "1234567890"


@pytest.mark.parametrize("code, seq", [("12", 1), ("abcd", 1), ("0001", 0), ("0001", 100000)])
def test_bad_parts_refused(code: str, seq: int) -> None:
    with pytest.raises(TicketError):
        make_ticket(code, seq)
