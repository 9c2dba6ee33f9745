"""Console pages: the 理事 queue (三事分流), one issue with its steps, and the search.

Community staff see only their own community's issues: another community's issue answers 404,
as if it did not exist. Every change of step goes through ``server.steps.set_step``.
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass
from datetime import date, timedelta
from math import ceil
from pathlib import Path
from typing import Annotated, Any

from fastapi import APIRouter, HTTPException, Query, Request
from fastapi.responses import FileResponse, HTMLResponse, RedirectResponse, Response
from sqlalchemy import ColumnElement, and_, func, or_, select
from sqlalchemy.orm import Session
from starlette.datastructures import FormData

from server.console.auth import CheckedForm, Staff, StaffUser
from server.console.templating import render
from server.db import (
    Attachment,
    AuditEvent,
    CentralSubmission,
    Community,
    Rating,
    StepNote,
    Support,
)
from server.deps import now_iso, reading, transaction
from server.steps import set_step
from server.story import LATEST_RATING_FIRST
from sync.contract.protocol import AFFAIR_LABELS, OUTCOME_LABELS, Step
from sync.contract.ticket import normalize

router = APIRouter()
PAGE_SIZE = 50
QUEUE_LIMIT = 500
NOTE_MAX = 500  # what a kiosk accepts as a status note (SetStatusRequest.note)
TEXT_MAX = 200
TICKET_TYPED = re.compile(r"[0-9][0-9 -]*")


def _visible(staff: StaffUser) -> ColumnElement[bool]:
    if staff.is_admin:
        return CentralSubmission.id.is_not(None)
    return CentralSubmission.community_code == staff.community_code


def _issue(db: Session, staff: StaffUser, ticket: str) -> CentralSubmission:
    """The issue, if this staff member may see it; 404 otherwise (also for other communities)."""
    sub = db.scalar(select(CentralSubmission).where(CentralSubmission.ticket == normalize(ticket)))
    if sub is None or not staff.sees(sub.community_code):
        raise HTTPException(status_code=404, detail="没有这个事项")
    return sub


def _today() -> str:
    return date.today().isoformat()


def is_overdue(sub: CentralSubmission, today: str) -> bool:
    """Past its deadline or promised date and not yet 办结 (closed_at unset)."""
    return sub.closed_at is None and any(d is not None and d < today
                                         for d in (sub.deadline, sub.promised_date))


def _overdue_clause(today: str) -> ColumnElement[bool]:
    return and_(CentralSubmission.closed_at.is_(None),
                or_(CentralSubmission.deadline < today, CentralSubmission.promised_date < today))


def _communities(db: Session) -> dict[str, str]:
    return {code: name for code, name in db.execute(select(Community.code, Community.name))}


def _voice_ready(db: Session, sub: CentralSubmission) -> bool:
    if not sub.voice_sha256:
        return False
    row = db.get(Attachment, sub.voice_sha256)
    return row is not None and row.complete


def _audit(db: Session, staff: StaffUser, action: str, ticket: str) -> None:
    db.add(AuditEvent(staff=staff.username, action=action, ticket=ticket, at=now_iso()))


# --- 待理事: the queue ----------------------------------------------------------------------

@router.get("/", response_class=HTMLResponse)
@router.get("/queue", response_class=HTMLResponse)
def queue(request: Request, staff: Staff) -> HTMLResponse:
    with reading(request) as db:
        issues = db.scalars(
            select(CentralSubmission)
            .where(_visible(staff), CentralSubmission.step == Step.SAY.value)
            .order_by(CentralSubmission.urgent.desc(), CentralSubmission.created_at,
                      CentralSubmission.id)
            .limit(QUEUE_LIMIT)).all()
        voices = {s.ticket for s in issues if _voice_ready(db, s)}
        communities = _communities(db)
    return render(request, "queue.html", issues=issues, voices=voices, communities=communities,
                  limit=QUEUE_LIMIT)


def _date_field(form: FormData, name: str) -> str | None:
    """An ISO date from the form, None when left empty; ValueError when not a date."""
    value = str(form.get(name) or "").strip()
    return date.fromisoformat(value).isoformat() if value else None


def _text_field(form: FormData, name: str, limit: int = TEXT_MAX) -> str:
    value = str(form.get(name) or "").strip()
    if len(value) > limit:
        raise ValueError(f"不能超过 {limit} 个字")
    return value


@router.post("/issues/{ticket}/sort", response_model=None)
def sort_issue(request: Request, ticket: str, staff: Staff, form: CheckedForm) -> Response:
    """三事分流: class it 大事/小事/私事, name who handles it and by when, move it to 理事."""
    affair = str(form.get("affair_class") or "")
    try:
        if affair not in AFFAIR_LABELS:
            raise ValueError("请选择大事、小事或私事")
        responsible = _text_field(form, "responsible")
        deadline = _date_field(form, "deadline")
        note = _text_field(form, "note", NOTE_MAX)
    except ValueError as exc:
        return _issue_page(request, staff, ticket, error=f"没有保存：{exc}", status_code=422)
    with transaction(request) as db:
        sub = _issue(db, staff, ticket)
        already = sub.step != Step.SAY.value
        if not already:
            sub.affair_class, sub.responsible, sub.deadline = affair, responsible or None, deadline
            set_step(db, sub, Step.SORT, note or f"已受理，列为{AFFAIR_LABELS[affair]}",
                     staff.username)
    if already:  # two staff sorting the same issue at once: the first one counts
        return _issue_page(request, staff, ticket, status_code=409,
                           error="没有保存：这件事已经分流过了，请看下面的办理经过。")
    return RedirectResponse(f"/console/issues/{sub.ticket}?saved=1", status_code=303)


# --- one issue --------------------------------------------------------------------------------

@dataclass(frozen=True)
class _Change:
    step: Step
    note: str
    outcome: str | None
    promised: str | None
    responsible: str
    deadline: str | None


def _change_of(form: FormData) -> _Change:
    try:
        step = Step(str(form.get("step") or ""))
    except ValueError:
        raise ValueError("请选择步骤") from None
    outcome = str(form.get("outcome_class") or "") or None
    if outcome is not None and outcome not in OUTCOME_LABELS:
        raise ValueError("办理结果分类不对")
    promised = _date_field(form, "promised_date")
    if outcome == "promised" and promised is None:
        raise ValueError("承诺件必须填写承诺办结日期")
    return _Change(step, _text_field(form, "note", NOTE_MAX), outcome,
                   promised if outcome == "promised" else None,
                   _text_field(form, "responsible"), _date_field(form, "deadline"))


@router.post("/issues/{ticket}/step", response_model=None)
def move_issue(request: Request, ticket: str, staff: Staff, form: CheckedForm) -> Response:
    try:
        change = _change_of(form)
    except ValueError as exc:
        return _issue_page(request, staff, ticket, error=f"没有保存：{exc}", status_code=422)
    with transaction(request) as db:
        sub = _issue(db, staff, ticket)
        sub.outcome_class, sub.promised_date = change.outcome, change.promised
        sub.responsible, sub.deadline = change.responsible or None, change.deadline
        set_step(db, sub, change.step, change.note, staff.username)
    return RedirectResponse(f"/console/issues/{sub.ticket}?saved=1", status_code=303)


@router.post("/issues/{ticket}/reveal", response_class=HTMLResponse)
def reveal_contact(request: Request, ticket: str, staff: Staff, form: CheckedForm) -> Response:
    """Shows the resident's name and phone once, on purpose, and records who looked; the
    contacts its supporters (附议) left are shown with it."""
    with transaction(request) as db:
        sub = _issue(db, staff, ticket)
        _audit(db, staff, "reveal_contact", sub.ticket)
    return _issue_page(request, staff, ticket, revealed=True)


@router.get("/issues/{ticket}/voice", response_model=None)
def play_voice(request: Request, ticket: str, staff: Staff) -> Response:
    with transaction(request) as db:
        sub = _issue(db, staff, ticket)
        if not _voice_ready(db, sub):
            raise HTTPException(status_code=404, detail="没有录音")
        # Browsers fetch audio in ranges; a seek within the note is not another playing.
        if request.headers.get("range", "bytes=0-").startswith("bytes=0-"):
            _audit(db, staff, "play_voice", sub.ticket)
        sha = str(sub.voice_sha256)
    path: Path = request.app.state.attachments_dir / sha
    if not path.is_file():
        raise HTTPException(status_code=404, detail="录音文件不在服务器上")
    return FileResponse(path, media_type=_audio_type(path),
                        headers={"cache-control": "no-store"})


def _audio_type(path: Path) -> str:
    with path.open("rb") as f:
        head = f.read(12)
    if head.startswith(b"RIFF"):
        return "audio/wav"
    if head.startswith(b"OggS"):
        return "audio/ogg"
    if head.startswith(b"fLaC"):
        return "audio/flac"
    return "application/octet-stream"


@router.get("/issues/{ticket}", response_class=HTMLResponse)
def issue_page(request: Request, ticket: str, staff: Staff, saved: int = 0) -> Response:
    return _issue_page(request, staff, ticket, saved=bool(saved))


def _issue_page(request: Request, staff: StaffUser, ticket: str, *, revealed: bool = False,
                saved: bool = False, error: str | None = None,
                status_code: int = 200) -> Response:
    with reading(request) as db:
        sub = _issue(db, staff, ticket)
        history = db.scalars(select(StepNote).where(StepNote.ticket == sub.ticket)
                             .order_by(StepNote.id)).all()
        audits = db.scalars(select(AuditEvent).where(AuditEvent.ticket == sub.ticket)
                            .order_by(AuditEvent.id)).all()
        has_voice = _voice_ready(db, sub)
        communities = _communities(db)
        supports = db.scalars(select(Support).where(Support.ticket == sub.ticket)
                              .order_by(Support.created_at, Support.uuid)).all()
        ratings = [_RatingRow.of(r) for r in db.scalars(
            select(Rating).where(Rating.ticket == sub.ticket).order_by(*LATEST_RATING_FIRST))]
    return render(request, "issue.html", status_code=status_code, sub=sub, history=history,
                  audits=audits, has_voice=has_voice, communities=communities, revealed=revealed,
                  supports=supports, ratings=ratings,
                  saved=saved, error=error, overdue=is_overdue(sub, _today()),
                  current=Step(sub.step))


@dataclass(frozen=True)
class _RatingRow:
    score: str
    reasons: list[str]
    channel: str
    created_at: str

    @classmethod
    def of(cls, rating: Rating) -> _RatingRow:
        try:
            reasons = [str(r) for r in json.loads(rating.reasons or "[]")]
        except (ValueError, TypeError):
            reasons = []
        return cls(rating.score, reasons, rating.channel, rating.created_at)


def supporter_counts(db: Session, tickets: list[str]) -> dict[str, int]:
    """附议 count of each of ``tickets`` that has any."""
    if not tickets:
        return {}
    return {ticket: count for ticket, count in db.execute(
        select(Support.ticket, func.count()).where(Support.ticket.in_(tickets))
        .group_by(Support.ticket))}


# --- 全部事项: search -------------------------------------------------------------------------

def _search_filters(staff: StaffUser, params: dict[str, str], today: str
                    ) -> list[ColumnElement[bool]]:
    filters = [_visible(staff)]
    words = params["q"]
    if words:
        matches = [CentralSubmission.description.contains(words, autoescape=True),
                   CentralSubmission.place.contains(words, autoescape=True)]
        if TICKET_TYPED.fullmatch(words):  # "0101 00001 3", not "3栋"
            matches.append(CentralSubmission.ticket.contains(normalize(words), autoescape=True))
        filters.append(or_(*matches))
    if params["category"]:
        filters.append(CentralSubmission.category == params["category"])
    if params["community"]:
        filters.append(CentralSubmission.community_code == params["community"])
    if params["step"]:
        filters.append(CentralSubmission.step == params["step"])
    if params["date_from"]:
        filters.append(CentralSubmission.created_at >= params["date_from"])
    if params["date_to"]:
        after = (date.fromisoformat(params["date_to"]) + timedelta(days=1)).isoformat()
        filters.append(CentralSubmission.created_at < after)
    if params["overdue"]:
        filters.append(_overdue_clause(today))
    return filters


def _clean_dates(params: dict[str, str]) -> str | None:
    for name in ("date_from", "date_to"):
        if params[name]:
            try:
                params[name] = date.fromisoformat(params[name]).isoformat()
            except ValueError:
                params[name] = ""
                return "日期格式不对，已忽略（应为 年-月-日）"
    return None


@router.get("/issues", response_class=HTMLResponse)
def search(request: Request, staff: Staff,
           q: Annotated[str, Query(max_length=100)] = "",
           category: Annotated[str, Query(max_length=50)] = "",
           community: Annotated[str, Query(max_length=20)] = "",
           step: Annotated[str, Query(max_length=20)] = "",
           date_from: Annotated[str, Query(max_length=10)] = "",
           date_to: Annotated[str, Query(max_length=10)] = "",
           overdue: Annotated[str, Query(max_length=1)] = "",
           page: Annotated[int, Query(ge=1, le=100000)] = 1) -> HTMLResponse:
    params = {"q": q.strip(), "category": category, "community": community, "step": step,
              "date_from": date_from, "date_to": date_to, "overdue": overdue}
    error = _clean_dates(params)
    today = _today()
    with reading(request) as db:
        filters = _search_filters(staff, params, today)
        total = db.scalar(select(func.count()).select_from(CentralSubmission).where(*filters))
        issues = db.scalars(select(CentralSubmission).where(*filters)
                            .order_by(CentralSubmission.created_at.desc(),
                                      CentralSubmission.id.desc())
                            .limit(PAGE_SIZE).offset((page - 1) * PAGE_SIZE)).all()
        categories = db.scalars(select(CentralSubmission.category).distinct()
                                .where(_visible(staff)).order_by(CentralSubmission.category)
                                ).all()
        communities = _communities(db)
        supporters = supporter_counts(db, [sub.ticket for sub in issues])
    if not staff.is_admin:
        communities = {c: n for c, n in communities.items() if c == staff.community_code}
    pages = max(1, ceil((total or 0) / PAGE_SIZE))
    link: dict[str, Any] = {k: v for k, v in params.items() if v}
    return render(request, "search.html", issues=issues, total=total or 0, page=page,
                  pages=pages, params=params, link=link, categories=categories,
                  communities=communities, error=error, today=today, is_overdue=is_overdue,
                  supporters=supporters)
