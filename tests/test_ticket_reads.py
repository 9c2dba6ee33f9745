"""查进度 on the server: a kiosk reads the tickets of its own community only (a kiosk without a
community only its own), anything else looks missing, and a kiosk's lookups are rate limited.
Real server subprocess, real signed HTTP on 127.0.0.1; the module runs on SQLite and again on
PostgreSQL (the community rules are SQL).
"""

from __future__ import annotations

import uuid
from collections.abc import Iterator
from datetime import datetime

import httpx
import pytest

from server.provision import add_community, add_kiosk, move_kiosk
from sync.contract.protocol import API_PREFIX
from sync.contract.signing import KioskSigner
from sync.contract.ticket import make_ticket
from tests import console_support
from tests.conftest import STAFF_HEADERS, CentralServer, shuoshi

NOTE = "已登记，转物业公司处理"
KIOSKS = {  # code -> community
    "0101": "xingfuli", "0102": "xingfuli", "0201": "hepingli", "0301": None, "0302": None,
    "0401": None,
}
module_db_url = console_support.module_db_url


class Fleet:
    def __init__(self, server: CentralServer) -> None:
        self.server = server
        db = server.db_url
        add_community(db, "xingfuli", "幸福里社区")
        add_community(db, "hepingli", "和平里社区")
        self.keys = {code: add_kiosk(db, f"kiosk {code}", code, community=community)[1]
                     for code, community in KIOSKS.items()}
        self.tickets = {code: self.take(code) for code in ("0101", "0201", "0301")}

    def client(self, code: str) -> httpx.Client:
        return httpx.Client(base_url=self.server.url, auth=KioskSigner(code, self.keys[code]),
                            timeout=10)

    def take(self, code: str, sequence: int = 1) -> str:
        ticket = make_ticket(code, sequence)
        item = {"uuid": str(uuid.uuid4()), "ticket": ticket, "kiosk_code": code,
                "category": "物业服务", "description": "电梯经常停运", "place": "3栋",
                "created_at": datetime.now().astimezone().isoformat()}
        with self.client(code) as c:
            reply = c.post(f"{API_PREFIX}/submissions", json={"kiosk_code": code, "items": [item]})
        assert reply.json()["results"][0]["outcome"] == "accepted"
        moved = httpx.post(f"{self.server.url}{API_PREFIX}/staff/tickets/{ticket}/status",
                           json={"step": "sort", "note": NOTE}, headers=STAFF_HEADERS, timeout=10)
        assert moved.status_code == 200
        return ticket

    def read(self, code: str, ticket: str) -> httpx.Response:
        with self.client(code) as c:
            return c.get(f"{API_PREFIX}/tickets/{ticket}")


@pytest.fixture(scope="module")
def fleet(tmp_path_factory: pytest.TempPathFactory, module_db_url: str | None
          ) -> Iterator[Fleet]:
    server = CentralServer(tmp_path_factory.mktemp("reads") / "server.db", module_db_url)
    server.start()
    try:
        yield Fleet(server)
    finally:
        server.stop()


def _missing(fleet: Fleet, code: str, ticket: str) -> None:
    """Answered exactly as a ticket that does not exist."""
    reply = fleet.read(code, ticket)
    assert reply.status_code == 404
    assert reply.json() == {"detail": f"no submission with ticket {ticket}"}


def test_a_kiosk_reads_the_tickets_of_its_community(fleet: Fleet) -> None:
    reply = fleet.read("0102", fleet.tickets["0101"])
    assert reply.status_code == 200
    assert (reply.json()["ticket"], reply.json()["note"]) == (fleet.tickets["0101"], NOTE)
    assert fleet.read("0101", fleet.tickets["0101"]).status_code == 200


def test_another_communitys_ticket_looks_missing(fleet: Fleet) -> None:
    _missing(fleet, "0201", fleet.tickets["0101"])
    _missing(fleet, "0102", fleet.tickets["0201"])
    _missing(fleet, "0201", make_ticket("0101", 999))  # and a missing one says the same


def test_a_kiosk_without_a_community_reads_only_its_own(fleet: Fleet) -> None:
    assert fleet.read("0301", fleet.tickets["0301"]).status_code == 200
    _missing(fleet, "0302", fleet.tickets["0301"])
    _missing(fleet, "0301", fleet.tickets["0101"])
    _missing(fleet, "0101", fleet.tickets["0301"])


def test_the_community_recorded_with_the_ticket_counts_after_a_kiosk_moves(fleet: Fleet) -> None:
    ticket = fleet.take("0102", sequence=2)  # taken in 幸福里; the kiosk then moves
    recorded = fleet.server.rows("SELECT community_code FROM central_submissions "
                                 f"WHERE ticket = '{ticket}'")
    assert recorded == [("xingfuli",)]
    moved = shuoshi("server", "move-kiosk", "0102", "--community", "hepingli",
                    "--db", fleet.server.db_url)
    assert moved.returncode == 0, moved.stderr
    try:
        assert fleet.read("0101", ticket).status_code == 200
        _missing(fleet, "0201", ticket)
        assert fleet.read("0102", fleet.tickets["0201"]).status_code == 200  # its new one
        assert fleet.read("0102", ticket).status_code == 200  # and its own
    finally:
        move_kiosk(fleet.server.db_url, "0102", "xingfuli")


def test_lookups_past_the_burst_are_told_to_wait(fleet: Fleet) -> None:
    ticket = fleet.take("0401")  # kiosk 0401 has made no lookup yet
    with fleet.client("0401") as c:
        answers = [c.get(f"{API_PREFIX}/tickets/{ticket}") for _ in range(20)]
    codes = [a.status_code for a in answers]
    assert codes[:10] == [200] * 10
    limited = [a for a in answers if a.status_code == 429]
    assert limited, codes
    assert int(limited[0].headers["retry-after"]) >= 1
    # another kiosk's lookups are not held back by 0401's
    assert fleet.read("0101", fleet.tickets["0101"]).status_code == 200
