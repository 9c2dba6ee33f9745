"""Residents' ratings sent by signed kiosks: idempotent, and only for their own community.
On SQLite and on PostgreSQL (the community rules are SQL)."""

from __future__ import annotations

import uuid
from datetime import datetime

import httpx
import pytest

from server.provision import add_kiosk
from sync.contract.protocol import API_PREFIX
from sync.contract.ticket import make_ticket
from sync.store import SubmissionDraft
from tests import console_support
from tests.console_support import ConsoleSite, push_issue

console_site = console_support.console_site_on_both
module_db_url = console_support.module_db_url


def _rating(ticket: str, score: str = "satisfied", rating_id: str | None = None
            ) -> dict[str, str]:
    return {"uuid": rating_id or str(uuid.uuid4()), "ticket": ticket, "score": score,
            "created_at": datetime.now().astimezone().isoformat(timespec="seconds")}


def _rate(site: ConsoleSite, kiosk: str, body: dict[str, str]) -> httpx.Response:
    with site.server.signed_client(kiosk, site.kiosk_keys[kiosk]) as client:
        return client.post(f"{API_PREFIX}/ratings", json=body)


def _stored(site: ConsoleSite) -> list[tuple[str, str, str, str]]:
    return [(u, t, k, s) for u, t, k, s
            in site.rows("SELECT uuid, ticket, kiosk_code, score FROM ratings")]


@pytest.fixture(scope="module")
def xingfuli_ticket(console_site: ConsoleSite) -> str:
    """An issue raised at kiosk 0101 of 幸福里社区."""
    return push_issue(console_site, "0101", SubmissionDraft("环境卫生", "垃圾没有及时清运"))


def test_a_rating_is_stored_once_however_often_it_is_sent(
    console_site: ConsoleSite, xingfuli_ticket: str
) -> None:
    body = _rating(xingfuli_ticket, "fair")
    first = _rate(console_site, "0102", body)  # another kiosk of the same community
    again = _rate(console_site, "0102", body)
    assert (first.status_code, first.json()) == (200, {"status": "accepted"})
    assert (again.status_code, again.json()) == (200, {"status": "duplicate"})
    assert [r for r in _stored(console_site) if r[0] == body["uuid"]] == [
        (body["uuid"], xingfuli_ticket, "0102", "fair")]
    # The same uuid may not be reused by another kiosk for something else.
    assert _rate(console_site, "0101", body).status_code == 409


def test_a_kiosk_of_another_community_cannot_rate(
    console_site: ConsoleSite, xingfuli_ticket: str
) -> None:
    body = _rating(xingfuli_ticket, "unsatisfied")
    reply = _rate(console_site, "0201", body)  # 和平社区
    assert reply.status_code == 403
    assert body["uuid"] not in {r[0] for r in _stored(console_site)}


def test_a_kiosk_without_a_community_rates_only_its_own_tickets(
    console_site: ConsoleSite, xingfuli_ticket: str
) -> None:
    site = console_site
    for code in ("0901", "0902"):
        site.kiosk_keys[code] = add_kiosk(site.db_url, f"流动说事点 {code}", code)[1]
    own = push_issue(site, "0901", SubmissionDraft("噪音扰民", "夜里广场舞声音太大"))
    assert _rate(site, "0902", _rating(own)).status_code == 403
    assert _rate(site, "0901", _rating(xingfuli_ticket)).status_code == 403
    assert _rate(site, "0901", _rating(own)).json() == {"status": "accepted"}


def test_ratings_are_refused_unsigned_unknown_or_malformed(
    console_site: ConsoleSite, xingfuli_ticket: str
) -> None:
    before = len(_stored(console_site))
    unsigned = httpx.post(f"{console_site.url}{API_PREFIX}/ratings",
                          json=_rating(xingfuli_ticket), timeout=10)
    assert unsigned.status_code == 401
    assert _rate(console_site, "0101", _rating(make_ticket("0101", 99_999))).status_code == 404
    assert _rate(console_site, "0101", _rating(xingfuli_ticket, "great")).status_code == 422
    assert _rate(console_site, "0101", _rating("12345")).status_code == 422
    assert len(_stored(console_site)) == before
