"""Console pages: 公示 (notices), 日程 (说事日, 议事会, 值班) and 便民服务, categories.

Everything is published through server.content, which puts it into the change feed for the
kiosks and into the list shown here. Community staff publish to, and withdraw from, their own
community only; admins to one community or to all ("" in the form's 发布到).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import date
from typing import Annotated, Any

from fastapi import APIRouter, HTTPException, Query, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response
from sqlalchemy import select
from sqlalchemy.orm import Session
from starlette.datastructures import FormData

from server import content
from server.console.auth import CheckedForm, Staff, StaffUser
from server.console.stats import figures_for, monthly_notice
from server.console.templating import render
from server.content import ContentError
from server.db import Community
from server.deps import Db, ReadDb

router = APIRouter()


@dataclass(frozen=True)
class Page:
    """One kind of content and its console page."""

    kind: str
    path: str
    template: str
    title: str
    body_of: Callable[[FormData], dict[str, Any]]
    key_of: Callable[[dict[str, Any]], str]


def _field(form: FormData, name: str) -> str:
    value = form.get(name)
    return value if isinstance(value, str) else ""


def _order(form: FormData) -> int:
    try:
        return int(_field(form, "order") or 0)
    except ValueError:
        raise ContentError("顺序应为数字") from None


PAGES: dict[str, Page] = {page.kind: page for page in (
    Page("notice", "/console/notices", "notices.html", "公示",
         lambda f: content.notice_body(title=_field(f, "title"), text=_field(f, "text"),
                                       notice_type=_field(f, "notice_type"),
                                       expires_on=_field(f, "expires_on")),
         lambda body: content.new_key(date.today().isoformat())),
    Page("schedule", "/console/schedule", "schedule.html", "日程",
         lambda f: content.schedule_body(entry_type=_field(f, "entry_type"), on=_field(f, "date"),
                                         time=_field(f, "time"), place=_field(f, "place"),
                                         text=_field(f, "text")),
         lambda body: content.new_key(f"{body['type']}-{body['date'] or 'regular'}")),
    Page("directory", "/console/schedule/directory", "directory.html", "便民服务",
         lambda f: content.directory_body(name=_field(f, "name"), phone=_field(f, "phone"),
                                          hours=_field(f, "hours"),
                                          helps_with=_field(f, "helps_with"),
                                          kind=_field(f, "kind")),
         lambda body: content.new_key("svc")),
    Page("category", "/console/categories", "categories.html", "分类",
         lambda f: content.category_body(name=_field(f, "name"), phrases=_field(f, "phrases"),
                                         order=_order(f)),
         lambda body: str(body["name"])),
)}


def _communities(db: Session, staff: StaffUser) -> list[Community]:
    query = select(Community).order_by(Community.code)
    if not staff.is_admin:
        query = query.where(Community.code == staff.community_code)
    return list(db.scalars(query))


def target_community(db: Session, staff: StaffUser, chosen: str) -> str | None:
    """The community to publish to (None: all), or 403/404 when ``staff`` may not."""
    if not chosen:
        if not staff.is_admin:
            raise HTTPException(status_code=403, detail="社区工作人员只能发布到本社区")
        return None
    if not staff.sees(chosen):
        raise HTTPException(status_code=403, detail="只能发布到本社区")
    if db.get(Community, chosen) is None:
        raise HTTPException(status_code=404, detail="没有这个社区")
    return chosen


def _show(request: Request, db: Session, staff: StaffUser, page: Page, *,
          error: str | None = None, form: dict[str, str] | None = None,
          status_code: int = 200) -> Response:
    communities = _communities(db, staff)
    names = {c.code: c.name for c in communities}
    visible = None if staff.is_admin else [staff.community_code or ""]
    items = content.published(db, page.kind, visible)
    if page.kind == "category":
        items.sort(key=lambda i: (i.community_code or "", _place(i.body), i.key))
    elif page.kind == "directory":
        items.sort(key=lambda i: (_kind_place(i.body), str(i.body.get("name", "")), i.key))
    elif page.kind == "schedule":
        items.sort(key=lambda i: i.key)
    editing = request.query_params.get("edit")
    if page.kind == "category" and editing and form is None:
        scope = request.query_params.get("community") or None
        form = next(({"name": str(i.body.get("name", i.key)),
                      "phrases": "\n".join(map(str, _list(i.body.get("phrases")))),
                      "order": str(i.body.get("order", 0)), "community": scope or ""}
                     for i in items if i.key == editing and i.community_code == scope), None)
    done = request.query_params.get("done")
    messages = {"published": ["已发布，说事机下次同步时收到。"],
                "withdrawn": ["已撤下。"]}.get(done or "", [])
    return render(request, page.template, status_code=status_code, page=page, items=items,
                  communities=communities, names=names, error=error, form=form or {},
                  messages=messages, notice_types=content.NOTICE_TYPES,
                  schedule_types=content.SCHEDULE_TYPES, directory_kinds=content.DIRECTORY_KINDS,
                  other_kind=content.OTHER_KIND, today=date.today().isoformat())


def _place(body: dict[str, Any]) -> float:
    """A category's place on screen; bodies from the JSON API may lack one."""
    order = body.get("order")
    return float(order) if isinstance(order, int | float) else float("inf")


def _kind_place(body: dict[str, Any]) -> int:
    """A 便民服务 entry's kind, in the order the kiosk shows them (no kind: 其他)."""
    kind = body.get("kind")
    kinds = content.DIRECTORY_KINDS
    return kinds.index(kind) if kind in kinds else kinds.index(content.OTHER_KIND)


def _list(value: object) -> list[object]:
    return value if isinstance(value, list) else []


def _publish(request: Request, db: Session, staff: StaffUser, form: FormData,
             page: Page) -> Response:
    community = target_community(db, staff, _field(form, "community"))
    try:
        body = page.body_of(form)
    except ContentError as exc:
        kept = {k: v for k, v in form.items() if isinstance(v, str) and k != "csrf_token"}
        return _show(request, db, staff, page, error=str(exc), form=kept, status_code=400)
    content.publish(db, kind=page.kind, key=page.key_of(body), body=body,
                    community_code=community, staff=staff.username)
    return RedirectResponse(f"{page.path}?done=published", status_code=303)


@router.get("/notices", response_class=HTMLResponse)
def notices(request: Request, db: ReadDb, staff: Staff,
            monthly: Annotated[str | None, Query(max_length=7)] = None,
            community: Annotated[str | None, Query(max_length=20)] = None) -> Response:
    """``?monthly=YYYY-MM[&community=CODE]``: the form filled in with that month's figures
    (the 统计 page links here), for a 月度数据 notice."""
    if monthly is None:
        return _show(request, db, staff, PAGES["notice"])
    fig, _, chosen, _ = figures_for(staff, db, community, monthly)
    title, text = monthly_notice(fig)
    return _show(request, db, staff, PAGES["notice"], form={
        "notice_type": "monthly", "community": chosen, "title": title, "text": text})


@router.post("/notices", response_model=None)
def publish_notice(request: Request, db: Db, staff: Staff, form: CheckedForm) -> Response:
    return _publish(request, db, staff, form, PAGES["notice"])


@router.get("/schedule", response_class=HTMLResponse)
def schedule(request: Request, db: ReadDb, staff: Staff) -> Response:
    return _show(request, db, staff, PAGES["schedule"])


@router.post("/schedule", response_model=None)
def publish_schedule(request: Request, db: Db, staff: Staff, form: CheckedForm) -> Response:
    return _publish(request, db, staff, form, PAGES["schedule"])


@router.get("/schedule/directory", response_class=HTMLResponse)
def directory(request: Request, db: ReadDb, staff: Staff) -> Response:
    return _show(request, db, staff, PAGES["directory"])


@router.post("/schedule/directory", response_model=None)
def publish_directory(request: Request, db: Db, staff: Staff, form: CheckedForm) -> Response:
    return _publish(request, db, staff, form, PAGES["directory"])


@router.get("/categories", response_class=HTMLResponse)
def categories(request: Request, db: ReadDb, staff: Staff) -> Response:
    return _show(request, db, staff, PAGES["category"])


@router.post("/categories", response_model=None)
def publish_category(request: Request, db: Db, staff: Staff, form: CheckedForm) -> Response:
    return _publish(request, db, staff, form, PAGES["category"])


@router.post("/content/withdraw", response_model=None)
def withdraw(db: Db, staff: Staff, form: CheckedForm) -> Response:
    page = PAGES.get(_field(form, "kind"))
    if page is None:
        raise HTTPException(status_code=404, detail="没有这类内容")
    community = target_community(db, staff, _field(form, "community"))
    try:
        content.withdraw(db, kind=page.kind, key=_field(form, "key"), community_code=community)
    except ContentError as exc:
        raise HTTPException(status_code=400, detail=str(exc)) from None
    return RedirectResponse(f"{page.path}?done=withdrawn", status_code=303)

