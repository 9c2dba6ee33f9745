"""Shared request plumbing for the server's routers: database transactions.

A request does its database work in ONE thread call: the transaction begins, works and commits
inside the same sync function. Nothing keeps a transaction open while it waits for a worker
thread or for the response to be validated; on SQLite a writer holding the lock while it waits
for a thread that is itself waiting for the lock froze the whole server.

Two ways to get a session:

- inside a sync handler, ``with transaction(request) as db:`` (writes; SQLite's write lock from
  the first statement) or ``with reading(request) as db:`` (reads; never the write lock);
- the ``Db`` / ``ReadDb`` parameters of a handler: the session is made when the request
  arrives but begins only at its first use inside the handler, and ``install_transactions``
  makes the handler commit it (rollback on an exception) just before it returns, in the same
  thread. Take them in handlers only, not in dependencies (a dependency runs in a thread call
  of its own).
"""

from __future__ import annotations

import functools
import threading
import time
from collections.abc import AsyncIterator, Callable, Iterable, Iterator
from contextlib import asynccontextmanager, contextmanager
from datetime import datetime
from inspect import isasyncgenfunction, iscoroutinefunction, isgeneratorfunction
from typing import Annotated, Any

from fastapi import Depends, FastAPI, Request
from fastapi.routing import APIRoute
from sqlalchemy.orm import Session
from starlette.routing import BaseRoute

from server.database import ServerDatabase


def database(request: Request) -> ServerDatabase:
    found: ServerDatabase = request.app.state.database
    return found


@contextmanager
def transaction(request: Request) -> Iterator[Session]:
    """A write transaction, committed when the block ends (rolled back on an exception)."""
    with database(request).writing.begin() as db:
        yield db


@contextmanager
def reading(request: Request) -> Iterator[Session]:
    """A read transaction (SQLite: a snapshot that never takes the write lock)."""
    with database(request).reading.begin() as db:
        yield db


async def _write_session(request: Request) -> AsyncIterator[Session]:
    # async: made on the event loop, so no worker thread is used before the handler's own.
    async with _ended_anyway(database(request).writing()) as session:
        yield session


async def _read_session(request: Request) -> AsyncIterator[Session]:
    async with _ended_anyway(database(request).reading()) as session:
        yield session


@asynccontextmanager
async def _ended_anyway(session: Session) -> AsyncIterator[Session]:
    """Normally the handler has ended the transaction (install_transactions); this only
    catches a handler that was not wrapped, ending its work as the request finishes."""
    try:
        yield session
    except BaseException:
        session.rollback()
        raise
    else:
        if session.in_transaction():
            session.commit()
    finally:
        session.close()


Db = Annotated[Session, Depends(_write_session)]
"""A write session for a handler; committed by the handler's own thread call as it returns."""
ReadDb = Annotated[Session, Depends(_read_session)]
"""A read session for a handler (SQLite: no write lock); ended as the handler returns."""
_PROVIDERS = (_write_session, _read_session)


def _end(sessions: list[Session], *, commit: bool) -> None:
    # Not closed: a dependency and its handler share one session (FastAPI caches it per
    # request); either way the connection goes back to the pool here.
    for session in sessions:
        try:
            if commit:
                session.commit()
            else:
                session.rollback()
        except BaseException:
            session.rollback()
            raise


def _committing(call: Callable[..., Any], names: list[str]) -> Callable[..., Any]:
    """``call`` ending the sessions it was given under ``names`` before it returns."""
    if iscoroutinefunction(call):
        @functools.wraps(call)
        async def run_async(**values: Any) -> Any:
            sessions = [values[n] for n in names]
            try:
                result = await call(**values)
            except BaseException:
                _end(sessions, commit=False)
                raise
            _end(sessions, commit=True)
            return result

        return run_async

    @functools.wraps(call)
    def run(**values: Any) -> Any:
        sessions = [values[n] for n in names]
        try:
            result = call(**values)
        except BaseException:
            _end(sessions, commit=False)
            raise
        _end(sessions, commit=True)
        return result

    return run


def _api_routes(routes: Iterable[BaseRoute]) -> Iterator[APIRoute]:
    for route in routes:
        if isinstance(route, APIRoute):
            yield route
        included = getattr(route, "original_router", None)  # a router FastAPI includes lazily
        if included is not None:
            yield from _api_routes(included.routes)


def install_transactions(app: FastAPI) -> None:
    """Make every handler taking ``Db``/``ReadDb`` end its transactions itself, in its own
    thread call, before FastAPI validates its answer. Call once, after every router is
    included and before the first request."""
    for route in _api_routes(app.routes):
        if getattr(route.endpoint, "ends_its_transactions", False):
            continue
        names = [d.name for d in route.dependant.dependencies
                 if d.call in _PROVIDERS and d.name]
        if not names:
            continue
        if isgeneratorfunction(route.endpoint) or isasyncgenfunction(route.endpoint):
            raise TypeError(f"{route.endpoint.__qualname__} takes Db/ReadDb and yields, which "
                            "would keep its transaction open: use `with transaction(request)`")
        wrapped = _committing(route.endpoint, names)
        wrapped.ends_its_transactions = True  # type: ignore[attr-defined]
        route.endpoint = wrapped
        route.dependant.call = wrapped


class Every:
    """Says "due" at most once per ``interval_s`` (monotonic time), across threads: for
    housekeeping done now and then by whichever request comes along."""

    def __init__(self, interval_s: float) -> None:
        self.interval_s = interval_s
        self._next = 0.0
        self._lock = threading.Lock()

    def due(self) -> bool:
        now = time.monotonic()
        with self._lock:
            if now < self._next:
                return False
            self._next = now + self.interval_s
            return True


def now_iso() -> str:
    return datetime.now().astimezone().isoformat(timespec="seconds")
