"""What operators need around every request: load shedding, metrics, the access log."""

from __future__ import annotations

import hmac
import os
import time

from fastapi import FastAPI
from sqlalchemy.orm import Session, sessionmaker
from starlette.concurrency import run_in_threadpool
from starlette.datastructures import State
from starlette.middleware import Middleware
from starlette.routing import BaseRoute, Match
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from server import access_log, metrics
from server.shedding import LoadShedder, SheddingPolicy, default_max_concurrency

MAX_CONCURRENCY_ENV = "SHUOSHI_MAX_CONCURRENCY"
"""Requests admitted into the application at once per worker (``--max-concurrency``)."""
METRICS_TOKEN_ENV = "SHUOSHI_METRICS_TOKEN"
"""When set, ``/metrics`` wants ``Authorization: Bearer <token>``; otherwise it is open (it
carries only counts and timings, and the server listens on 127.0.0.1 unless told otherwise)."""
UNMATCHED = "unmatched"
"""The route label of a request no route matches, so stray paths cannot grow the metrics."""


def install(app: FastAPI) -> None:
    """Wrap ``app`` in the operational middleware: the recorder outermost (it sees every
    answer, shed ones too), the shedder innermost (after the body limit has read the body)."""
    limit = int(os.environ.get(MAX_CONCURRENCY_ENV) or default_max_concurrency())
    app.user_middleware.append(Middleware(
        LoadShedder, policy=SheddingPolicy.for_limit(limit), on_shed=metrics.SHED.inc,
        on_admit=metrics.IN_FLIGHT.inc))
    app.add_middleware(RequestRecorder, routes=app.router.routes, state=app.state,
                       access_log_on=os.environ.get(access_log.ENABLED_ENV, "1") != "0",
                       metrics_token=os.environ.get(METRICS_TOKEN_ENV) or None)


class RequestRecorder:
    """Counts and times every request by route template and status, writes the access log
    line, and answers ``/metrics`` itself (so it is never shed)."""

    def __init__(self, app: ASGIApp, routes: list[BaseRoute], state: State,
                 access_log_on: bool, metrics_token: str | None) -> None:
        self.app = app
        self.routes = routes
        self.state = state
        self.access_log_on = access_log_on
        self.metrics_token = metrics_token

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        started = time.perf_counter()
        if scope["path"] == "/metrics":
            status = await self._metrics(scope, send)
        else:
            status = 500  # unless the application answers
            async def recording_send(message: Message) -> None:
                nonlocal status
                if message["type"] == "http.response.start":
                    status = message["status"]
                await send(message)
            try:
                await self.app(scope, receive, recording_send)
            finally:
                self._record(scope, status, time.perf_counter() - started)
            return
        self._record(scope, status, time.perf_counter() - started)

    def _record(self, scope: Scope, status: int, duration_s: float) -> None:
        route = self._template(scope)
        code = str(status)
        metrics.REQUESTS.labels(scope["method"], route, code).inc()
        metrics.LATENCY.labels(scope["method"], route, code).observe(duration_s)
        if self.access_log_on:
            access_log.record(scope, route, status, duration_s)

    def _template(self, scope: Scope) -> str:
        route = scope.get("route")
        if route is None:  # answered before routing (shed, too large): find it the same way
            if scope["path"] == "/metrics":
                return "/metrics"
            route = next((r for r in self.routes if r.matches(scope)[0] is not Match.NONE),
                         None)
        return str(getattr(route, "path", UNMATCHED)) if route is not None else UNMATCHED

    async def _metrics(self, scope: Scope, send: Send) -> int:
        if self.metrics_token and not _bearer_matches(scope, self.metrics_token):
            status, body = 401, b"metrics token required\n"
        else:
            status, body = 200, await run_in_threadpool(metrics.exposition,
                                                        _read_sessions(self.state))
        await send({"type": "http.response.start", "status": status,
                    "headers": [(b"content-type", metrics.CONTENT_TYPE.encode()),
                                (b"content-length", str(len(body)).encode())]})
        await send({"type": "http.response.body", "body": body})
        return status


def _read_sessions(state: State) -> sessionmaker[Session]:
    """Read transactions where the server has them (``state.database``), else its sessions."""
    database = getattr(state, "database", None)
    sessions: sessionmaker[Session] = database.reading if database is not None \
        else state.sessions
    return sessions


def _bearer_matches(scope: Scope, token: str) -> bool:
    given = next((v for k, v in scope["headers"] if k == b"authorization"), b"")
    return hmac.compare_digest(given, b"Bearer " + token.encode())
