"""Console pages: the kiosks (设备), the ones needing a visit first.

Order: silent kiosks (no heartbeat for STALE_AFTER), then printers that cannot print (paper
out, cover open, error, offline), then paper running low, then the rest; withdrawn kiosks last.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any

from fastapi import APIRouter, Request
from fastapi.responses import HTMLResponse, Response
from sqlalchemy import select
from sqlalchemy.orm import Session

from server.console.auth import Staff, StaffUser
from server.console.templating import render
from server.db import Community, Kiosk
from server.deps import ReadDb

router = APIRouter()
STALE_AFTER = timedelta(minutes=5)
PRINTER_OK = frozenset({"online", "ok", "ready"})
PRINTER_LOW = frozenset({"paper_near_end"})
PRINTER_UNKNOWN = frozenset({"unknown", ""})
"""No status reply: some printers cannot report one, so it is shown but not put on top."""
PRINTER_LABELS = {
    "online": "正常", "ok": "正常", "ready": "正常", "paper_near_end": "纸快用完",
    "unknown": "状态未知", "cover_open": "打印机盖未关", "paper_out": "缺纸",
    "error": "打印机故障", "offline": "打印机离线", "unreachable": "打印机未连接",
}


@dataclass(frozen=True)
class KioskRow:
    code: str
    name: str
    community: str  # the community's name, or ""
    heartbeat_at: str | None
    silent_for: timedelta | None  # None: never sent a heartbeat
    stale: bool
    printer_state: str
    printer_blocked: bool  # cannot print: paper out, cover open, error, offline
    paper_low: bool
    queue_depth: int | None
    oldest_unsent_seconds: float | None
    software_version: str
    free_disk_bytes: int | None
    last_error: str
    revoked: bool

    @property
    def printer_label(self) -> str:
        return PRINTER_LABELS.get(self.printer_state, self.printer_state or "—")

    @property
    def needs_visit(self) -> bool:
        return not self.revoked and (self.stale or self.printer_blocked or self.paper_low)

    def sort_key(self) -> tuple[int, str]:
        if self.revoked:
            rank = 4
        elif self.stale:
            rank = 0
        elif self.printer_blocked:
            rank = 1
        elif self.paper_low:
            rank = 2
        else:
            rank = 3
        return rank, self.code


def fleet_rows(db: Session, staff: StaffUser, now: datetime) -> list[KioskRow]:
    """The kiosks ``staff`` may see, the ones needing attention first."""
    query = select(Kiosk)
    if not staff.is_admin:
        query = query.where(Kiosk.community_code == staff.community_code)
    names = {code: name for code, name in db.execute(select(Community.code, Community.name))}
    rows = [_row(k, names, now) for k in db.scalars(query)]
    return sorted(rows, key=KioskRow.sort_key)


def _row(kiosk: Kiosk, names: dict[str, str], now: datetime) -> KioskRow:
    beat: dict[str, Any] = json.loads(kiosk.heartbeat) if kiosk.heartbeat else {}
    silent = now - datetime.fromisoformat(kiosk.heartbeat_at) if kiosk.heartbeat_at else None
    state = str(beat.get("printer_state", "")) if beat else ""
    known = bool(beat)
    return KioskRow(
        code=kiosk.code, name=kiosk.name,
        community=names.get(kiosk.community_code or "", kiosk.community_code or ""),
        heartbeat_at=kiosk.heartbeat_at, silent_for=silent,
        stale=silent is None or silent > STALE_AFTER, printer_state=state,
        printer_blocked=known and state not in PRINTER_OK | PRINTER_LOW | PRINTER_UNKNOWN,
        paper_low=state in PRINTER_LOW,
        queue_depth=beat.get("queue_depth"),
        oldest_unsent_seconds=beat.get("oldest_unsent_seconds"),
        software_version=str(beat.get("software_version", "")),
        free_disk_bytes=beat.get("free_disk_bytes"),
        last_error=str(beat.get("last_error", "")),
        revoked=kiosk.revoked_at is not None,
    )


def ago(span: timedelta | float | None) -> str:
    """A span of time in plain Chinese: 3分钟, 2小时15分钟, 4天."""
    if span is None:
        return "—"
    seconds = int(span.total_seconds() if isinstance(span, timedelta) else span)
    if seconds < 60:
        return f"{max(seconds, 0)}秒"
    minutes = seconds // 60
    if minutes < 60:
        return f"{minutes}分钟"
    hours, minutes = divmod(minutes, 60)
    if hours < 48:
        return f"{hours}小时{minutes}分钟" if minutes else f"{hours}小时"
    return f"{hours // 24}天"


def disk(size: int | None) -> str:
    if size is None:
        return "—"
    return f"{size / 2**30:.1f} GB" if size >= 2**30 else f"{size / 2**20:.0f} MB"


@router.get("/fleet", response_class=HTMLResponse)
def fleet_page(request: Request, db: ReadDb, staff: Staff) -> Response:
    rows = fleet_rows(db, staff, datetime.now(UTC))
    return render(request, "fleet.html", kiosks=rows, ago=ago, disk=disk,
                  attention=sum(r.needs_visit for r in rows),
                  stale_minutes=int(STALE_AFTER.total_seconds() // 60))
