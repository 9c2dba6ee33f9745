"""Open311 GeoReport v2 at /open311/v2/: the categories as services, tickets as requests.

Every call ends in ``.json`` or ``.xml``. Reading is open to anyone (the spec's GET calls take
no key) and shows nothing personal (see server.open311_requests); posting a request needs an
``api_key`` from ``shuoshi server add-api-key``. ``jurisdiction_id`` is accepted and ignored:
a server is one jurisdiction. Errors are the spec's list of {code, description}.
"""

from __future__ import annotations

from collections.abc import Callable

from fastapi import APIRouter, Request, Response
from sqlalchemy.orm import Session
from starlette.concurrency import run_in_threadpool

from server import open311_requests as requests
from server import open311_services as catalogue
from server.db import CentralSubmission
from server.deps import ReadDb, transaction
from server.open311_format import FORMATS, Open311Error, error, render, render_one
from server.open311_keys import client_of

router = APIRouter(prefix="/open311/v2")


def _answer(fmt: str, make: Callable[[], Response]) -> Response:
    if fmt not in FORMATS:
        return error("json", 404, f"unknown format {fmt!r}; use .json or .xml")
    try:
        return make()
    except Open311Error as exc:
        return error(fmt, exc.status, exc.description)


@router.get("/services.{fmt}")
def service_list(fmt: str, db: ReadDb) -> Response:
    return _answer(fmt, lambda: render(fmt, "services", "service", [
        {"service_code": s.code, "service_name": s.name, "description": s.description,
         "metadata": False, "type": "realtime", "keywords": ",".join(s.keywords),
         "group": s.group}
        for s in catalogue.services(db)]))


@router.get("/services/{service_code}.{fmt}")
def service_definition(service_code: str, fmt: str, db: ReadDb) -> Response:
    def make() -> Response:
        if service_code not in catalogue.by_code(db):
            raise Open311Error(404, f"no service {service_code}")
        return render_one(fmt, "service_definition",
                          {"service_code": service_code, "attributes": []})
    return _answer(fmt, make)


@router.get("/requests.{fmt}")
def request_list(fmt: str, request: Request, db: ReadDb) -> Response:
    def make() -> Response:
        query = requests.parse_query(request.query_params, catalogue.by_code(db))
        return _requests(fmt, db, requests.find(db, query))
    return _answer(fmt, make)


@router.get("/requests/{service_request_id}.{fmt}")
def one_request(service_request_id: str, fmt: str, db: ReadDb) -> Response:
    def make() -> Response:
        found = requests.find(db, requests.RequestQuery(ids=(service_request_id,)))
        if not found:
            raise Open311Error(404, f"no service request {service_request_id}")
        return _requests(fmt, db, found)
    return _answer(fmt, make)


@router.get("/tokens/{token}.{fmt}")
def token(token: str, fmt: str, db: ReadDb) -> Response:
    def make() -> Response:
        sub = requests.by_token(db, token)
        if sub is None:
            raise Open311Error(404, f"no service request for token {token}")
        return render(fmt, "service_requests", "request",
                      [{"service_request_id": sub.ticket, "token": sub.uuid}])
    return _answer(fmt, make)


@router.post("/requests.{fmt}")
async def post_request(fmt: str, request: Request) -> Response:
    try:
        form = {k: v for k, v in (await request.form()).items() if isinstance(v, str)}
    except Exception:  # a body that is not form-encoded
        return error(fmt, 400, "send the request form-encoded "
                               "(application/x-www-form-urlencoded)")
    form.setdefault("api_key", request.query_params.get("api_key", ""))
    return await run_in_threadpool(_answer, fmt, lambda: _create(fmt, request, form))


def _create(fmt: str, request: Request, form: dict[str, str]) -> Response:
    """In one thread call, as server.deps asks of a write transaction."""
    with transaction(request) as db:
        if client_of(db, form["api_key"]) is None:
            raise Open311Error(403, "api_key is missing, unknown or revoked")
        sub = requests.create(db, form, catalogue.by_code(db))
    return render(fmt, "service_requests", "request", [
        {"service_request_id": sub.ticket, "token": sub.uuid,
         "service_notice": "已受理，可凭此编号查询进度", "account_id": None}])


def _requests(fmt: str, db: Session, subs: list[CentralSubmission]) -> Response:
    services = catalogue.by_name(db)
    return render(fmt, "service_requests", "request",
                  [requests.record_of(sub, services) for sub in subs])
