"""查进度 tells the truth: FOUND, NOT_FOUND only when the server says so, else UNREACHABLE.

Real HTTP on 127.0.0.1 against the real central server (or a deliberately bad one), real
SQLite files.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest

import kiosk.lookup
from kiosk.lookup import (
    DEFAULT_LOOKUP_TIMEOUT_S,
    LookupOutcome,
    LookupResult,
    StatusLookup,
)
from server.provision import add_community, move_kiosk
from sync.contract.protocol import API_PREFIX, Step
from sync.contract.ticket import make_ticket
from sync.http import ServerLink
from sync.store import Store, SubmissionDraft
from tests.conftest import STAFF_NOTE, CentralServer, free_port
from tests.faults import BadServer, FaultProxy

SECRET_WORDS = ("下水道", "幸福里3栋", "13800138000", "张三")


def _link(url: str, key: str, code: str = "0043", timeout: float = 10.0,
          ca_file: Path | None = None) -> ServerLink:
    return ServerLink(server_url=url, kiosk_code=code, signing_key=key, timeout=timeout,
                      ca_file=ca_file)


@pytest.fixture
def other_kiosk(tmp_path: Path, server: CentralServer,
                kiosk_key: str) -> Iterator[tuple[Store, str]]:
    """Kiosk 0043, provisioned on the server in the community of 0042 (a kiosk reads only its
    community's tickets), whose own store knows none of 0042's tickets."""
    store = Store(tmp_path / "kiosk-0043.db")
    key = server.provision("0043")
    add_community(f"sqlite:///{server.db}", "xingfuli", "幸福里社区")
    for code in ("0042", "0043"):
        move_kiosk(f"sqlite:///{server.db}", code, "xingfuli")
    yield store, key
    store.close()


def test_found_on_the_server(server: CentralServer, held_ticket: str,
                             other_kiosk: tuple[Store, str]) -> None:
    store, key = other_kiosk
    lookup = StatusLookup(store, _link(server.url, key))
    result = lookup.look_up(held_ticket)
    lookup.close()
    assert result.outcome is LookupOutcome.FOUND
    assert result.view is not None
    assert (result.view.ticket, result.view.category, result.view.step, result.view.note) == (
        held_ticket, "房屋设施与管网", Step.SORT, STAFF_NOTE)
    assert result.view.changed_at is not None


def test_found_locally_while_the_server_is_down(tmp_path: Path, kiosk_key_only: str) -> None:
    store = Store(tmp_path / "kiosk.db")
    stored = store.record_submission(SubmissionDraft("环境卫生", "垃圾没人收"), "0042")
    closed = f"http://127.0.0.1:{free_port()}"
    lookup = StatusLookup(store, _link(closed, kiosk_key_only, code="0042"))
    result = lookup.look_up(stored.ticket)
    assert result.outcome is LookupOutcome.FOUND and result.via_support is None
    assert result.view is not None
    # no story from the feed yet: what was said, 说事 on the day it was said
    assert (result.view.ticket, result.view.category, result.view.step, result.view.note,
            result.view.description, result.view.changed_at) == (
        stored.ticket, "环境卫生", Step.SAY, "", "垃圾没人收", stored.created_at)
    assert [(s.step, s.at) for s in result.view.steps] == [(Step.SAY, stored.created_at)]
    # typed with the printed spaces, it is the same ticket
    spaced = f"{stored.ticket[:4]} {stored.ticket[4:9]} {stored.ticket[9]}"
    assert lookup.look_up(spaced).outcome is LookupOutcome.FOUND
    lookup.close()
    store.close()


def test_not_found_only_when_the_server_says_so(server: CentralServer, held_ticket: str,
                                                other_kiosk: tuple[Store, str]) -> None:
    store, key = other_kiosk
    unknown = make_ticket("0042", 777)
    lookup = StatusLookup(store, _link(server.url, key))
    assert lookup.look_up(unknown) == LookupResult(LookupOutcome.NOT_FOUND)
    assert lookup.find(unknown) is None
    lookup.close()


def test_unreachable_when_nothing_listens(tmp_path: Path, kiosk_key_only: str) -> None:
    store = Store(tmp_path / "kiosk.db")
    lookup = StatusLookup(store, _link(f"http://127.0.0.1:{free_port()}", kiosk_key_only))
    assert lookup.look_up(make_ticket("0042", 1)) == LookupResult(LookupOutcome.UNREACHABLE)
    lookup.close()
    store.close()


def test_unreachable_without_a_signing_key(server: CentralServer, held_ticket: str,
                                           other_kiosk: tuple[Store, str]) -> None:
    store, _ = other_kiosk
    lookup = StatusLookup(store, _link(server.url, ""))
    assert lookup.look_up(held_ticket).outcome is LookupOutcome.UNREACHABLE
    lookup.close()


def test_unreachable_with_a_ca_file_that_cannot_be_read(
    tmp_path: Path, server: CentralServer, held_ticket: str, other_kiosk: tuple[Store, str]
) -> None:
    store, key = other_kiosk
    lookup = StatusLookup(store, _link(server.url, key, ca_file=tmp_path / "missing.pem"))
    assert lookup.look_up(held_ticket).outcome is LookupOutcome.UNREACHABLE
    lookup.close()


@pytest.mark.parametrize("delay_s, outcome", [(0.05, LookupOutcome.FOUND),
                                              (3.0, LookupOutcome.UNREACHABLE)])
def test_a_slow_answer_is_unreachable_not_not_found(
    server: CentralServer, held_ticket: str, other_kiosk: tuple[Store, str],
    delay_s: float, outcome: LookupOutcome,
) -> None:
    store, key = other_kiosk
    with FaultProxy(server.port, lambda: "delay", delay_s=delay_s) as proxy:
        lookup = StatusLookup(store, _link(proxy.url, key, timeout=0.5))
        start = time.monotonic()
        result = lookup.look_up(held_ticket)
        elapsed = time.monotonic() - start
        lookup.close()
    assert result.outcome is outcome
    assert elapsed < 2.0


def test_the_lookup_waits_a_few_seconds_not_the_sync_timeout(
    server: CentralServer, held_ticket: str, other_kiosk: tuple[Store, str],
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    store, key = other_kiosk
    assert 2.0 <= DEFAULT_LOOKUP_TIMEOUT_S <= 6.0
    assert StatusLookup(store, _link(server.url, key, timeout=30.0)).timeout \
        == DEFAULT_LOOKUP_TIMEOUT_S
    assert StatusLookup(store, _link(server.url, key, timeout=1.5)).timeout == 1.5
    # The cap, not the patient sync timeout, is what a resident waits for.
    monkeypatch.setattr(kiosk.lookup, "DEFAULT_LOOKUP_TIMEOUT_S", 0.5)
    with FaultProxy(server.port, lambda: "delay", delay_s=4.0) as proxy:
        lookup = StatusLookup(store, _link(proxy.url, key, timeout=30.0))
        start = time.monotonic()
        assert lookup.look_up(held_ticket).outcome is LookupOutcome.UNREACHABLE
        assert time.monotonic() - start < 2.0
        lookup.close()


def _status_body(ticket: str, support_ticket: str | None = None) -> bytes:
    support = f', "support_ticket": "{support_ticket}"' if support_ticket else ""
    return (f'{{"ticket": "{ticket}", "category": "其他", "step": "sort", "note": "",'
            f' "changed_at": "2026-03-01T08:00:00+08:00"{support}}}').encode()


TICKET = make_ticket("0042", 5)


def _mistyped(ticket: str) -> str:
    return ticket[:-1] + str((int(ticket[-1]) + 1) % 10)


@pytest.mark.parametrize(
    "bad",
    [
        BadServer(status=500, body="张三 13800138000 下水道".encode()),
        BadServer(status=503, headers={"retry-after": "30"}),
        BadServer(status=401, body=b'{"detail": "bad signature"}'),
        BadServer(status=403, body=b'{"detail": "forbidden"}'),
        BadServer(status=429),
        BadServer(status=400, body=b'{"detail": "no"}'),
        BadServer(body=b"{not json"),
        BadServer(body=b'{"ticket": 5, "step": "nowhere"}'),
        BadServer(body=_status_body(_mistyped(make_ticket("0042", 6)))),  # not a ticket
        BadServer(body=_status_body(make_ticket("0042", 6))),  # about another ticket
        BadServer(body=b" " * 500_000 + _status_body(TICKET)),  # oversized
        BadServer(body=_status_body(TICKET), drip_s=0.05),  # a slow drip
        BadServer(status=302, headers={"location": "/elsewhere"}),
    ],
    ids=["500", "503", "401", "403", "429", "400", "bad-json", "wrong-types",
         "not-a-ticket", "another-ticket", "oversized", "slow-drip", "redirect"],
)
def test_a_bad_answer_is_unreachable_not_not_found(
    tmp_path: Path, kiosk_key_only: str, bad: BadServer, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.DEBUG)
    store = Store(tmp_path / "kiosk.db")
    with bad:
        lookup = StatusLookup(store, _link(bad.url, kiosk_key_only, timeout=1.0))
        start = time.monotonic()
        result = lookup.look_up(TICKET)
        elapsed = time.monotonic() - start
        lookup.close()
    assert result == LookupResult(LookupOutcome.UNREACHABLE)
    assert bad.paths == [f"GET {API_PREFIX}/tickets/{TICKET}"]
    assert elapsed < 3.0
    logged = "\n".join(r.getMessage() for r in caplog.records)
    assert "lookup:" in logged
    assert not any(word in logged for word in SECRET_WORDS)
    store.close()


def test_a_well_formed_answer_from_the_same_bad_server_is_found(
    tmp_path: Path, kiosk_key_only: str
) -> None:
    """The control for the test above: the bad server itself is not what fails."""
    store = Store(tmp_path / "kiosk.db")
    with BadServer(body=_status_body(TICKET)) as good:
        lookup = StatusLookup(store, _link(good.url, kiosk_key_only, timeout=1.0))
        result = lookup.look_up(TICKET)
        lookup.close()
    assert result.outcome is LookupOutcome.FOUND and result.view is not None
    assert result.view.step is Step.SORT
    store.close()


def test_the_answer_to_a_support_receipt_is_the_issue_it_supports(
    tmp_path: Path, kiosk_key_only: str
) -> None:
    """Asked with a 附议 receipt's number, the server tells the story of the issue supported."""
    store = Store(tmp_path / "kiosk.db")
    supported = make_ticket("0042", 6)
    with BadServer(body=_status_body(supported, support_ticket=TICKET)) as good:
        lookup = StatusLookup(store, _link(good.url, kiosk_key_only, timeout=1.0))
        result = lookup.look_up(TICKET)
        lookup.close()
    assert result.outcome is LookupOutcome.FOUND and result.view is not None
    assert (result.view.ticket, result.via_support) == (supported, TICKET)
    store.close()


def test_logs_never_carry_the_ticket_contents(
    server: CentralServer, held_ticket: str, other_kiosk: tuple[Store, str],
    caplog: pytest.LogCaptureFixture,
) -> None:
    caplog.set_level(logging.DEBUG)
    store, key = other_kiosk
    lookup = StatusLookup(store, _link(server.url, key))
    assert lookup.look_up(held_ticket).outcome is LookupOutcome.FOUND
    lookup.close()
    logged = "\n".join(r.getMessage() for r in caplog.records)
    assert not any(word in logged for word in (*SECRET_WORDS, STAFF_NOTE))


def test_requests_are_signed_by_the_factory_and_the_transport_can_be_injected(
    tmp_path: Path, kiosk_key_only: str
) -> None:
    seen: list[httpx.Request] = []

    def answer(request: httpx.Request) -> httpx.Response:
        seen.append(request)
        return httpx.Response(404, json={"detail": "no submission"})

    store = Store(tmp_path / "kiosk.db")
    lookup = StatusLookup(store, _link("http://central.invalid", kiosk_key_only),
                          transport=httpx.MockTransport(answer))
    assert lookup.look_up(TICKET).outcome is LookupOutcome.NOT_FOUND
    assert lookup.look_up(TICKET).outcome is LookupOutcome.NOT_FOUND  # client kept, still open
    lookup.close()
    asked = f"http://central.invalid{API_PREFIX}/tickets/{TICKET}"
    assert [str(r.url) for r in seen] == [asked, asked]
    assert all("signature" in r.headers and "signature-input" in r.headers for r in seen)
    assert 'keyid="0043"' in seen[0].headers["signature-input"]
    store.close()


def test_a_number_that_cannot_be_a_ticket_is_not_looked_for(
    tmp_path: Path, kiosk_key_only: str
) -> None:
    store = Store(tmp_path / "kiosk.db")
    with BadServer(status=500) as bad:
        lookup = StatusLookup(store, _link(bad.url, kiosk_key_only))
        wrong_check_digit = TICKET[:-1] + str((int(TICKET[-1]) + 1) % 10)
        assert lookup.look_up(wrong_check_digit).outcome is LookupOutcome.NOT_FOUND
        assert lookup.look_up("12/../x").outcome is LookupOutcome.NOT_FOUND
        lookup.close()
    assert bad.requests == 0
    store.close()
