import pytest

from kiosk.receipt_code import ticket_from_scan
from sync.contract.ticket import make_ticket

TICKET = make_ticket("0001", 15)


@pytest.mark.parametrize("payload", [
    TICKET,
    f" {TICKET}\r\n",
    f"https://shuoshi.example.cn/t/{TICKET}",
    f"http://10.0.0.5:8080/status?ticket={TICKET}&from=receipt",
    f"https://shuoshi.example.cn/status/{TICKET}/",
])
def test_a_receipt_code_gives_its_ticket(payload: str) -> None:
    assert ticket_from_scan(payload) == TICKET


@pytest.mark.parametrize("payload", [
    "",
    TICKET[:-1] + str((int(TICKET[-1]) + 1) % 10),  # wrong check digit
    "6901234567892",  # a product's barcode
    f"ftp://example.cn/{TICKET}",
    f"{TICKET} 0001000023",
    f"https://example.cn/t/{TICKET}?ticket={make_ticket('0001', 23)}",  # which one?
    f"https://example.cn/t/9{TICKET}",  # eleven digits
    "WIFI:S:hall;T:WPA;P:secret;;",
    "x" * 600,
])
def test_anything_else_is_not_a_receipt(payload: str) -> None:
    assert ticket_from_scan(payload) is None


@pytest.mark.parametrize("status_url", [
    "", "https://shuoshi.example.gov.cn/t/{ticket}", "http://10.1.2.3:8080/s?ticket={ticket}",
])
def test_what_a_receipt_holds_reads_back_as_its_ticket(status_url: str) -> None:
    from kiosk.receipt_code import receipt_code

    code = receipt_code(TICKET, status_url)
    assert (code == TICKET) == (not status_url)
    assert ticket_from_scan(code) == TICKET
