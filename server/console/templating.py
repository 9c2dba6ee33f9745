"""The console's one Jinja2 environment, its globals, and the stylesheet route."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from fastapi import APIRouter, HTTPException, Request
from fastapi.responses import FileResponse, HTMLResponse
from fastapi.templating import Jinja2Templates
from jinja2 import pass_context
from jinja2.runtime import Context
from markupsafe import Markup, escape

# The labels come from the contract the kiosk speaks them from; importable from here too.
from sync.contract.protocol import AFFAIR_LABELS as AFFAIR_LABELS
from sync.contract.protocol import CHANNEL_LABELS as CHANNEL_LABELS
from sync.contract.protocol import OUTCOME_LABELS as OUTCOME_LABELS
from sync.contract.protocol import SCORE_LABELS as SCORE_LABELS
from sync.contract.protocol import STEP_LABELS, Step
from sync.contract.ticket import group

HERE = Path(__file__).resolve().parent
STATIC_DIR = HERE / "static"
templates = Jinja2Templates(directory=HERE / "templates")

PAGE_HEADERS = {
    # Pages may show personal data on purpose: never kept in a cache, never framed elsewhere.
    "cache-control": "no-store",
    "content-security-policy": "default-src 'self'; style-src 'self' 'unsafe-inline'; "
                               "img-src 'self' data:; script-src 'none'; object-src 'none'; "
                               "base-uri 'none'; frame-ancestors 'none'; form-action 'self'",
    "x-frame-options": "DENY",
    "referrer-policy": "same-origin",
}
RATING_CHANNEL_LABELS = {"kiosk": "现场", "phone": "电话回访"}


@pass_context
def csrf_field(context: Context) -> Markup:
    """``{{ csrf_field() }}`` inside every POST form: the session's CSRF token, hidden."""
    request: Request = context["request"]
    token = getattr(request.state, "csrf_token", "")
    return Markup(f'<input type="hidden" name="csrf_token" value="{escape(token)}">')


def step_label(value: str | None) -> str:
    try:
        return STEP_LABELS[Step(value or "")]
    except ValueError:
        return value or ""


def mask_name(name: str | None) -> str:
    """The resident's name with all but its first character hidden: 张** ."""
    return "未留" if not name else name[0] + "*" * max(1, len(name) - 1)


def mask_phone(phone: str | None) -> str:
    if not phone:
        return "未留"
    return phone[:3] + "****" + phone[-4:] if len(phone) >= 8 else "*" * len(phone)


def when(stamp: str | None) -> str:
    """``2026-05-05T09:30:12+08:00`` as ``2026-05-05 09:30`` (the hall's local time)."""
    return stamp[:16].replace("T", " ") if stamp else ""


templates.env.globals.update(
    csrf_field=csrf_field, mask_name=mask_name, mask_phone=mask_phone, STEPS=list(Step),
    STEP_LABELS=STEP_LABELS, AFFAIR_LABELS=AFFAIR_LABELS, OUTCOME_LABELS=OUTCOME_LABELS,
    CHANNEL_LABELS=CHANNEL_LABELS, SCORE_LABELS=SCORE_LABELS,
    RATING_CHANNEL_LABELS=RATING_CHANNEL_LABELS)
templates.env.filters.update(step_label=step_label, when=when, ticket=group)


def render(request: Request, name: str, status_code: int = 200, **context: Any) -> HTMLResponse:
    """A page from ``name``; templates get ``request``, ``staff`` (None when signed out) and
    ``csrf_token`` besides ``context``."""
    context.setdefault("staff", getattr(request.state, "staff", None))
    context.setdefault("csrf_token", getattr(request.state, "csrf_token", ""))
    response = templates.TemplateResponse(request, name, context, status_code=status_code)
    response.headers.update(PAGE_HEADERS)
    return response


static_router = APIRouter()


@static_router.get("/static/{name}")
def static_file(name: str) -> FileResponse:
    """The console's own stylesheet and images: no CDN, nothing to build."""
    path = STATIC_DIR / name
    if "/" in name or name.startswith(".") or not path.is_file():
        raise HTTPException(status_code=404)
    return FileResponse(path, headers={"cache-control": "no-cache"})
