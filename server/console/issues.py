"""Console pages: issues."""

from __future__ import annotations

from fastapi import APIRouter, Request
from fastapi.responses import HTMLResponse

from server.console.auth import Staff
from server.console.templating import render

router = APIRouter()


@router.get("/", response_class=HTMLResponse)
def queue(request: Request, staff: Staff) -> HTMLResponse:
    return render(request, "queue.html", issues=[])


@router.get("/issues", response_class=HTMLResponse)
def search(request: Request, staff: Staff) -> HTMLResponse:
    return render(request, "queue.html", issues=[])
