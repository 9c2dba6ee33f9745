"""Shared request plumbing for the server's routers."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import datetime
from typing import Annotated

from fastapi import Depends, Request
from sqlalchemy.orm import Session


def _session(request: Request) -> Iterator[Session]:
    with request.app.state.sessions.begin() as session:
        yield session


Db = Annotated[Session, Depends(_session)]


def now_iso() -> str:
    return datetime.now().astimezone().isoformat(timespec="seconds")
