"""Console page 叫号: today's queue of each kiosk of the staff member's communities, and
叫下一位 (carried out by the kiosk when it next reports, see server.queue).

Community staff see and call only their own community's kiosks; another community's kiosk
answers 404, as if it did not exist.
"""

from __future__ import annotations

from datetime import UTC, date, datetime

from fastapi import APIRouter, HTTPException, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response

from server.console.auth import CheckedForm, Staff
from server.console.fleet import ago
from server.console.templating import render
from server.db import Kiosk
from server.deps import ReadDb, transaction
from server.queue import SILENT_AFTER, ask_next, queues_of_today
from sync.contract.queue import queue_label

router = APIRouter()
AUTO_REFRESH_S = 15


@router.get("/calling", response_class=HTMLResponse)
def calling_page(request: Request, db: ReadDb, staff: Staff, called: str = "",
                 auto: int = 0) -> Response:
    queues = queues_of_today(db, staff.sees, date.today(), datetime.now(UTC))
    named = {q.code: q.name for q in queues}
    messages = [f"已请求「{named[called]}」叫下一位，等待说事机响应。"] if called in named else []
    return render(request, "calling.html", queues=queues, messages=messages, ago=ago,
                  label=queue_label, auto=bool(auto), auto_seconds=AUTO_REFRESH_S,
                  silent_after=SILENT_AFTER, silent_seconds=int(SILENT_AFTER.total_seconds()))


@router.post("/calling/{kiosk_code}/call")
def call_next(request: Request, kiosk_code: str, staff: Staff, form: CheckedForm) -> Response:
    with transaction(request) as db:
        kiosk = db.get(Kiosk, kiosk_code)
        if kiosk is None or kiosk.revoked_at is not None or not staff.sees(kiosk.community_code):
            raise HTTPException(status_code=404, detail="没有这台说事机")
        ask_next(db, kiosk.code, staff.username, date.today())
    return RedirectResponse(f"/console/calling?called={kiosk_code}#kiosk-{kiosk_code}",
                            status_code=303)
