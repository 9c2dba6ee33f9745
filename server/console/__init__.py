"""The staff console: server-rendered pages in Chinese under /console."""

from __future__ import annotations

from fastapi import APIRouter

from server.console import calling, content, fleet, issues, login, stats

router = APIRouter(prefix="/console", include_in_schema=False)
for _part in (login, issues, content, fleet, stats, calling):
    router.include_router(_part.router)
