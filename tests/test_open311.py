"""Open311 GeoReport v2 read back by an independent client: plain urllib, json and
ElementTree, none of the project's models. Real server subprocess, real HTTP; the module runs
on SQLite and again on PostgreSQL (date filters, the Open311 code's ticket numbering).
"""

from __future__ import annotations

import json
import threading
import tomllib
import urllib.error
import urllib.parse
import urllib.request
import uuid
import xml.etree.ElementTree as ET
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any

import httpx
import pytest

from server.provision import add_community, add_kiosk
from sync.contract.protocol import API_PREFIX
from sync.contract.signing import KioskSigner
from sync.contract.ticket import is_valid_ticket, make_ticket
from tests import console_support
from tests.conftest import REPO, STAFF_HEADERS, CentralServer, shuoshi

CONTACT_NAME, CONTACT_PHONE = "李秀英", "13912345678"
DESCRIPTION = "我家隔壁502的王大爷把车停在消防通道"
POSTED_FIRST, POSTED_LAST, POSTED_PHONE = "赵", "建国", "13700001111"
POSTED_DESCRIPTION = "幸福路口的路灯坏了三天，赵建国家门口很黑"
RESULT_NOTE = "已安排环卫每日两次清运"
CONCURRENT_POSTS = 4
"""At most 5 tries each (server.open311_requests.create): every lost race is another's win."""
KIOSK_DEFAULTS = tomllib.loads(
    (REPO / "assets" / "defaults.toml").read_text(encoding="utf-8"))["categories"]
DEFAULT_CATEGORIES = [c["name"] for c in KIOSK_DEFAULTS]
module_db_url = console_support.module_db_url


@dataclass
class Site:
    server: CentralServer
    api_key: str
    tickets: dict[str, str]  # what each ticket is: "recent", "closed", "old"
    bodies: list[str] = field(default_factory=list)
    """Every Open311 answer this module has read, for the privacy scan."""

    def call(self, path: str, data: dict[str, str] | None = None) -> tuple[int, str, str]:
        """(status, content type, body) of GET (or POST form-encoded) /open311/v2/<path>."""
        url = f"{self.server.url}/open311/v2/{path}"
        body = urllib.parse.urlencode(data).encode() if data is not None else None
        request = urllib.request.Request(url, data=body)
        try:
            with urllib.request.urlopen(request, timeout=10) as reply:
                status, kind, text = reply.status, reply.headers["content-type"], reply.read()
        except urllib.error.HTTPError as exc:
            status, kind, text = exc.code, exc.headers["content-type"], exc.read()
        self.bodies.append(text.decode())
        return status, kind, text.decode()

    def json(self, path: str, data: dict[str, str] | None = None) -> tuple[int, Any]:
        status, kind, text = self.call(path, data)
        assert kind.startswith("application/json")
        return status, json.loads(text)

    def xml(self, path: str, data: dict[str, str] | None = None) -> tuple[int, ET.Element]:
        status, kind, text = self.call(path, data)
        assert kind.startswith("text/xml")
        return status, ET.fromstring(text)

    def ids(self, query: str) -> set[str]:
        status, found = self.json(f"requests.json?{query}")
        assert status == 200, found
        return {r["service_request_id"] for r in found}


def _push(server: CentralServer, code: str, key: str, sequence: int, category: str,
          created: datetime, **extra: str) -> str:
    ticket = make_ticket(code, sequence)
    item = {"uuid": str(uuid.uuid4()), "ticket": ticket, "kiosk_code": code,
            "category": category, "description": extra.pop("description", "楼道灯坏了"),
            "place": "幸福里3栋", "created_at": created.isoformat(), **extra}
    with httpx.Client(base_url=server.url, auth=KioskSigner(code, key), timeout=10) as c:
        reply = c.post(f"{API_PREFIX}/submissions", json={"kiosk_code": code, "items": [item]})
    assert reply.json()["results"][0]["outcome"] == "accepted"
    return ticket


def _open311_codes(site: Site) -> list[str]:
    """The codes the server reserved for Open311: no key, so nobody signs as them; revoked."""
    return [code for (code,) in site.server.rows(
        "SELECT code FROM kiosks WHERE public_key = '' AND revoked_at IS NOT NULL "
        "ORDER BY code DESC")]


def _staff_step(server: CentralServer, ticket: str, step: str, note: str) -> None:
    reply = httpx.post(f"{server.url}{API_PREFIX}/staff/tickets/{ticket}/status",
                       json={"step": step, "note": note}, headers=STAFF_HEADERS, timeout=10)
    assert reply.status_code == 200


@pytest.fixture(scope="module")
def site(tmp_path_factory: pytest.TempPathFactory, module_db_url: str | None
         ) -> Iterator[Site]:
    server = CentralServer(tmp_path_factory.mktemp("open311") / "server.db", module_db_url)
    server.start()
    try:
        db = server.db_url
        add_community(db, "xingfuli", "幸福里社区")
        key = add_kiosk(db, "幸福里说事厅", "0042", community="xingfuli")[1]
        now = datetime.now().astimezone()
        tickets = {
            "recent": _push(server, "0042", key, 1, "停车出行", now - timedelta(days=2),
                            description=DESCRIPTION, contact_name=CONTACT_NAME,
                            contact_phone=CONTACT_PHONE),
            "closed": _push(server, "0042", key, 2, "环境卫生", now - timedelta(days=10)),
            "old": _push(server, "0042", key, 3, "环境卫生", now - timedelta(days=120)),
        }
        _staff_step(server, tickets["closed"], "evaluate", RESULT_NOTE)
        made = shuoshi("server", "add-api-key", "city-app", "--db", db)
        assert made.returncode == 0, made.stderr
        yield Site(server, made.stdout.strip(), tickets)
    finally:
        server.stop()


def test_services_are_the_kiosks_categories(site: Site) -> None:
    status, services = site.json("services.json")
    assert status == 200
    assert [s["service_name"] for s in services] == DEFAULT_CATEGORIES
    for s in services:
        assert set(s) == {"service_code", "service_name", "description", "metadata", "type",
                          "keywords", "group"}
        assert s["metadata"] is False and s["type"] == "realtime"
    assert [s["keywords"] for s in services] == [",".join(c["phrases"]) for c in KIOSK_DEFAULTS]
    status, root = site.xml("services.xml")
    assert status == 200 and root.tag == "services"
    assert [e.findtext("service_name") for e in root.findall("service")] == DEFAULT_CATEGORIES
    assert {e.findtext("metadata") for e in root.findall("service")} == {"false"}


def test_a_service_definition_and_an_unknown_service(site: Site) -> None:
    code = urllib.parse.quote("环境卫生")
    status, definition = site.json(f"services/{code}.json")
    assert status == 200 and definition == {"service_code": "环境卫生", "attributes": []}
    status, root = site.xml(f"services/{code}.xml")
    assert root.tag == "service_definition" and root.findtext("service_code") == "环境卫生"
    status, errors = site.json("services/no-such-thing.json")
    assert status == 404 and errors[0]["code"] == 404 and errors[0]["description"]


def test_requests_by_status_date_and_service(site: Site) -> None:
    recent, closed, old = (site.tickets[k] for k in ("recent", "closed", "old"))
    assert site.ids("") == {recent, closed}  # the last 90 days by default
    assert site.ids("status=open") == {recent}
    assert site.ids("status=closed") == {closed}
    assert site.ids("status=open,closed") == {recent, closed}
    assert site.ids(f"service_code={urllib.parse.quote('环境卫生')}") == {closed}
    start = (datetime.now().astimezone() - timedelta(days=200)).isoformat(timespec="seconds")
    assert site.ids(urllib.parse.urlencode({"start_date": start})) == {recent, closed, old}
    end = (datetime.now().astimezone() - timedelta(days=5)).isoformat(timespec="seconds")
    assert site.ids(urllib.parse.urlencode({"start_date": start, "end_date": end})) == {
        closed, old}
    assert site.ids(f"service_request_id={old},{recent}") == {old, recent}
    status, found = site.json(f"requests.json?service_request_id={closed}")
    assert found[0]["status"] == "closed"
    assert found[0]["status_notes"] == f"评事：{RESULT_NOTE}"
    assert found[0]["service_code"] == "环境卫生" and found[0]["address"] == "幸福里3栋"
    status, root = site.xml("requests.xml?status=closed")
    assert status == 200 and root.tag == "service_requests"
    assert [r.findtext("service_request_id") for r in root.findall("request")] == [closed]
    status, errors = site.json("requests.json?status=pending")
    assert status == 400 and errors[0]["code"] == 400


def test_requests_posted_at_once_are_numbered_apart(site: Site) -> None:
    """The first Open311 requests of a server, posted together: one of them reserves the
    server's Open311 code, and a request that lost the race for a number takes the next."""
    form = {"api_key": site.api_key, "service_code": "安全隐患",
            "address_string": "幸福里7栋", "description": "楼道里堆满了杂物"}
    replies: list[tuple[int, str, str]] = []
    start = threading.Barrier(CONCURRENT_POSTS)

    def post() -> None:
        start.wait()
        replies.append(site.call("requests.json", form))

    posters = [threading.Thread(target=post) for _ in range(CONCURRENT_POSTS)]
    for poster in posters:
        poster.start()
    for poster in posters:
        poster.join()
    assert [status for status, _, _ in replies] == [200] * CONCURRENT_POSTS, replies
    tickets = {json.loads(body)[0]["service_request_id"] for _, _, body in replies}
    assert len(tickets) == CONCURRENT_POSTS
    assert {t[:4] for t in tickets} <= set(_open311_codes(site))
    stored = site.server.rows("SELECT ticket FROM central_submissions "
                              "WHERE channel = 'staff_written'")
    assert {t for (t,) in stored} == tickets


def test_the_racing_requests_reserved_one_code(site: Site) -> None:
    """The highest free code, once: requests posted at once are numbered one at a time (on
    PostgreSQL under an advisory lock), so none of them reserves a second code."""
    assert _open311_codes(site) == ["9999"]


def test_a_posted_request_reaches_staff_and_reads_back(site: Site) -> None:
    form = {"api_key": site.api_key, "service_code": "安全隐患",
            "address_string": "幸福路与和平街路口", "description": POSTED_DESCRIPTION,
            "first_name": POSTED_FIRST, "last_name": POSTED_LAST, "phone": POSTED_PHONE}
    status, created = site.json("requests.json", form)
    assert status == 200, created
    ticket, token = created[0]["service_request_id"], created[0]["token"]
    assert is_valid_ticket(ticket)
    # in the staff's list like any other issue (the ticket is checked well-formed above)
    rows = site.server.rows("SELECT category, place, channel, contact_phone FROM "
                            f"central_submissions WHERE ticket = '{ticket}'")
    assert rows == [("安全隐患", "幸福路与和平街路口", "staff_written", POSTED_PHONE)]
    assert ticket[:4] in _open311_codes(site)  # the server's own Open311 code
    _staff_step(site.server, ticket, "sort", "已转城管处理")
    status, found = site.json(f"requests/{ticket}.json")
    assert status == 200 and found[0]["status"] == "open"
    assert found[0]["status_notes"] == "理事：已转城管处理"
    status, root = site.xml(f"tokens/{token}.xml")
    assert root.findtext("request/service_request_id") == ticket
    status, second = site.xml("requests.xml", {**form, "address_string": "幸福里5栋"})
    assert status == 200
    following = second.findtext("request/service_request_id") or ""
    assert following[:4] == ticket[:4] and following != ticket  # the same Open311 code


def test_a_post_without_a_good_key_is_refused(site: Site) -> None:
    form = {"service_code": "安全隐患", "address_string": "幸福路", "description": "路灯坏了"}
    status, errors = site.json("requests.json", form)
    assert status == 403 and errors[0]["code"] == 403 and errors[0]["description"]
    status, root = site.xml("requests.xml", {**form, "api_key": "not-a-key"})
    assert status == 403 and root.tag == "errors"
    assert root.findtext("error/code") == "403" and root.findtext("error/description")
    other = shuoshi("server", "add-api-key", "old-app", "--db", site.server.db_url)
    key = other.stdout.strip()
    assert site.json("requests.json", {**form, "api_key": key})[0] == 200
    revoked = shuoshi("server", "revoke-api-key", "old-app", "--db", site.server.db_url)
    assert revoked.returncode == 0
    assert site.json("requests.json", {**form, "api_key": key})[0] == 403
    status, errors = site.json("requests.json", {**form, "api_key": site.api_key,
                                                 "service_code": "no-such-thing"})
    assert status == 400 and errors[0]["code"] == 400


def test_unknown_requests_and_tokens(site: Site) -> None:
    status, errors = site.json(f"requests/{make_ticket('0042', 999)}.json")
    assert status == 404 and errors[0]["code"] == 404
    status, root = site.xml("requests/nonsense.xml")
    assert status == 404 and root.tag == "errors" and root.findtext("error/code") == "404"
    status, errors = site.json(f"tokens/{uuid.uuid4()}.json")
    assert status == 404
    status, errors = site.json("services.csv")
    assert status == 404 and errors[0]["code"] == 404


def test_published_categories_are_the_services(site: Site) -> None:
    """Runs after the tests of the default list: staff publish their own categories."""
    for key, body, community in (
            ("楼道照明", {"name": "楼道照明", "phrases": ["楼道灯坏了"], "order": 2}, None),
            ("加装电梯", {"name": "加装电梯", "phrases": ["想加装电梯"], "order": 1}, None),
            ("楼道照明", {"name": "楼道照明", "phrases": ["幸福里"], "order": 2}, "xingfuli")):
        reply = httpx.put(f"{site.server.url}{API_PREFIX}/staff/content/category/{key}",
                          params={"community": community} if community else {}, json=body,
                          headers=STAFF_HEADERS, timeout=10)
        assert reply.status_code == 200, reply.text
    status, services = site.json("services.json")
    assert status == 200
    names = [s["service_name"] for s in services]
    assert names[:2] == ["加装电梯", "楼道照明"]
    assert services[1]["keywords"] == "楼道灯坏了"  # the version for every community
    # categories that received requests carry stay listed, so their service_code resolves
    assert {"停车出行", "环境卫生", "安全隐患"} <= set(names[2:])
    assert "噪音扰民" not in names


def test_no_answer_carries_a_residents_contact_or_words(site: Site) -> None:
    """Runs last in this module: it scans every answer the tests above read, and a few more."""
    everything = "requests.{}?start_date=" + urllib.parse.quote(
        (datetime.now().astimezone() - timedelta(days=365)).isoformat(timespec="seconds"))
    for fmt in ("json", "xml"):
        site.call(everything.format(fmt))
        for ticket in site.tickets.values():
            site.call(f"requests/{ticket}.{fmt}")
    assert len(site.bodies) > 30
    for body in site.bodies:
        for secret in (CONTACT_NAME, CONTACT_PHONE, DESCRIPTION, POSTED_PHONE,
                       POSTED_DESCRIPTION, POSTED_FIRST + POSTED_LAST, "建国"):
            assert secret not in body
