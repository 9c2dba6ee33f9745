"""评事 at the kiosk: a rating is refused before 办事, replaces an earlier one and says so, and
reaches the central server exactly once through the ratings outbox, whatever the network does.

The real server on 127.0.0.1, real SQLite stores, the fault proxy of the sync tests.
"""

from __future__ import annotations

import json
import time
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest

from kiosk.evaluation import RatingRecorded, RatingRefused, Ratings
from kiosk.lookup import LookupOutcome, StatusLookup
from sync.contract.protocol import API_PREFIX, Step, TicketStatus
from sync.contract.ticket import make_ticket
from sync.feedback import FeedbackOutbox
from sync.http import ServerLink
from sync.store import Store, SubmissionDraft
from tests.conftest import STAFF_HEADERS, CentralServer, drain, free_port, sync_worker
from tests.faults import FaultProxy

REPLY = "已疏通，物业每周巡查一次"


def move(server: CentralServer, ticket: str, step: Step, note: str = "") -> None:
    """Staff move ``ticket`` to ``step`` through the server's API."""
    reply = httpx.post(f"{server.url}{API_PREFIX}/staff/tickets/{ticket}/status",
                       json={"step": step.value, "note": note}, headers=STAFF_HEADERS,
                       timeout=10)
    assert reply.status_code == 200, reply.text


def taken_and_sent(store: Store, server: CentralServer, key: str, step: Step) -> str:
    """A ticket taken at kiosk 0042, sent, moved to ``step`` by staff and pulled back."""
    ticket = store.record_submission(
        SubmissionDraft("房屋设施与管网", "下水道堵塞", place="幸福里3栋",
                        contact_phone="13800138000"), "0042").ticket
    worker = sync_worker(store, server.url, key)
    assert drain(worker, rounds=5, pause_s=0.05).waiting == 0
    if step is not Step.SAY:
        move(server, ticket, step, REPLY)
    assert not worker.run_once().error  # the story comes down the feed
    worker.close()
    return ticket


def next_second() -> None:
    """Ratings carry their time to the second and the latest one counts: rate again only in
    a later second, so which one is the latest is not left to chance."""
    now = int(time.time())
    while int(time.time()) == now:
        time.sleep(0.02)


def server_ratings(server: CentralServer, ticket: str) -> list[tuple[str, str, str, list[str]]]:
    return [(u, s, c, json.loads(r)) for u, s, c, r in server.rows(
        f"SELECT uuid, score, channel, reasons FROM ratings WHERE ticket = '{ticket}' "
        "ORDER BY created_at, uuid")]


@pytest.fixture
def store(tmp_path: Path) -> Iterator[Store]:
    opened = Store(tmp_path / "kiosk.db")
    yield opened
    opened.close()


def ratings_of(store: Store, url: str, key: str) -> tuple[Ratings, StatusLookup]:
    lookup = StatusLookup(store, ServerLink(server_url=url, kiosk_code="0042", signing_key=key,
                                            timeout=5))
    return Ratings(store, lookup), lookup


def local_view(lookup: StatusLookup, ticket: str) -> TicketStatus:
    result = lookup.look_up(ticket)
    assert result.outcome is LookupOutcome.FOUND and result.view is not None
    return result.view


def test_a_rating_made_offline_arrives_exactly_once(
    server: CentralServer, kiosk_key: str, store: Store
) -> None:
    ticket = taken_and_sent(store, server, kiosk_key, Step.ACT)
    modes = ["drop"]
    with FaultProxy(server.port, lambda: modes[0]) as proxy:
        ratings, lookup = ratings_of(store, f"http://127.0.0.1:{free_port()}", kiosk_key)
        view = local_view(lookup, ticket)  # told from the stored story: no network
        assert (view.step, view.note, view.description) == (Step.ACT, REPLY, "下水道堵塞")
        assert ratings.rate(view, "satisfied", ["办得快"]) == RatingRecorded(ticket, False)
        lookup.close()
        worker = sync_worker(store, proxy.url, kiosk_key, timeout=2.0, retry_base_s=0.01,
                             retry_cap_s=0.01)
        offline = worker.run_once()
        assert offline.error and offline.waiting == 1 and offline.ratings_sent == 0
        modes[0] = "swallow"  # the server takes it; its answer is lost on the way back
        assert worker.run_once().error
        assert len(server_ratings(server, ticket)) == 1
        modes[0] = "pass"
        time.sleep(0.05)  # past the backoff
        back = worker.run_once()
        worker.close()
    assert not back.error and back.ratings_sent == 1 and back.waiting == 0
    [(_, score, channel, reasons)] = server_ratings(server, ticket)
    assert (score, channel, reasons) == ("satisfied", "kiosk", ["办得快"])
    assert FeedbackOutbox(store).depth() == 0
    assert proxy.counts.get("swallow") and proxy.counts.get("drop")


def test_a_second_rating_replaces_the_first_and_says_so(
    server: CentralServer, kiosk_key: str, store: Store
) -> None:
    ticket = taken_and_sent(store, server, kiosk_key, Step.EVALUATE)
    ratings, lookup = ratings_of(store, server.url, kiosk_key)
    view = local_view(lookup, ticket)
    assert ratings.rate(view, "unsatisfied", ["没人回复"]).replaced is False
    worker = sync_worker(store, server.url, kiosk_key)
    assert worker.run_once().ratings_sent == 1
    # Rated again at the screen: this kiosk holds the first, so the new one says "replaced".
    next_second()
    again = ratings.rate(local_view(lookup, ticket), "fair", [])
    assert again == RatingRecorded(ticket, True)
    assert worker.run_once().ratings_sent == 1
    scores = [s for _, s, _, _ in server_ratings(server, ticket)]
    assert sorted(scores) == ["fair", "unsatisfied"]
    # The story the server tells (and feeds back to this kiosk) has the latest rating only.
    worker.run_once()
    story = local_view(lookup, ticket)
    assert story.rating == "fair"
    # Another kiosk knows nothing of it but the story: that story's rating says "replaced".
    other = Store(store.path.with_name("other.db"))
    assert Ratings(other, lookup).rate(story, "satisfied", []).replaced is True
    other.close()
    # Two unsent ratings of one ticket: the older is never sent.
    ratings.rate(story, "satisfied", [])
    assert ratings.rate(story, "unsatisfied", ["态度好"]).replaced is True
    assert worker.run_once().ratings_sent == 1
    assert sorted((s, r) for _, s, _, r in server_ratings(server, ticket)) == [
        ("fair", []), ("unsatisfied", ["态度好"]), ("unsatisfied", ["没人回复"])]
    worker.close()
    lookup.close()


def test_a_rating_before_act_is_refused_and_nothing_is_stored(
    server: CentralServer, kiosk_key: str, store: Store
) -> None:
    ticket = taken_and_sent(store, server, kiosk_key, Step.DELIBERATE)
    ratings, lookup = ratings_of(store, server.url, kiosk_key)
    with pytest.raises(RatingRefused) as refused:
        ratings.rate(local_view(lookup, ticket), "satisfied", [])
    assert refused.value.reason == "not_yet" and "办事" in refused.value.message
    with pytest.raises(RatingRefused) as unknown:
        ratings.rate_ticket(make_ticket("0042", 900), "satisfied", [])
    assert unknown.value.reason == "unknown" and "没有这个回执号码" in unknown.value.message
    with pytest.raises(RatingRefused) as too_many:
        move(server, ticket, Step.ACT)
        ratings.rate_ticket(ticket, "fair", [f"理由{i}" for i in range(9)])
    assert too_many.value.reason.startswith("invalid")
    assert FeedbackOutbox(store).depth() == 0
    # The feed has not brought 办事 yet; staff typing the ticket are asked of the server.
    assert ratings.rate_ticket(ticket, "fair", ["办得快"]).ticket == ticket
    lookup.close()


def test_a_rating_the_server_refuses_is_quarantined_not_retried(
    server: CentralServer, kiosk_key: str, store: Store
) -> None:
    ticket = taken_and_sent(store, server, kiosk_key, Step.SORT)
    # As if the kiosk's story said 办事 when the server disagrees, and a ticket it never had.
    store.record_rating(ticket, "satisfied", [], "kiosk")
    store.record_rating(make_ticket("0042", 901), "fair", [], "phone")
    worker = sync_worker(store, server.url, kiosk_key)
    first = worker.run_once()
    assert not first.error and first.quarantined == 2 and first.ratings_sent == 0
    held = sorted(FeedbackOutbox(store).quarantined())
    assert [(kind, t) for kind, t, _ in held] == sorted(
        [("评事", ticket), ("评事", make_ticket("0042", 901))])
    assert all(reason.startswith("refused by the server: 40") for _, _, reason in held)
    second = worker.run_once()  # kept for staff, never sent again
    worker.close()
    assert second.quarantined == 0 and second.ratings_sent == 0 and second.waiting == 2
    assert server_ratings(server, ticket) == []
