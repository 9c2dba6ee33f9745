"""Publishing content to kiosks (公示栏, 值班表, 便民服务手册, categories): one place for it.

Every publish or withdrawal goes into the change feed (server.feed) for the kiosks of one
community, or of all when ``community_code`` is None, and is kept in
``server.db.PublishedContent`` (``community_code`` "" for all) so the console can list what is
published now. A kiosk keeps one entry per (kind, key) (``sync.inbox.Inbox.catalog``); when
the same key is published both for all and for one community, that community's own version
wins at its kiosks, whichever was published last, and withdrawing one version brings the
other back.

The bodies the console publishes (the JSON staff API passes its body through unchanged):

``notice`` (公示), key ``YYYY-MM-DD-xxxxxx`` (publication date first, so the kiosk's catalog,
ordered by key, lists notices oldest first)::

    {"title": str, "text": str, "notice_type": "decision" | "result" | "monthly" | "other",
     "type_label": "议事会决定" | "办理结果" | "月度数据" | "其他",
     "published_on": "YYYY-MM-DD", "expires_on": "YYYY-MM-DD" | null}

    A kiosk stops showing a notice after ``expires_on``. The server does not withdraw it by
    itself: the console marks it 已过期 and staff withdraw it.

``category`` (issue category and its quick phrases), key = the category's name; the same
fields as the kiosk's own ``[[categories]]`` config (kiosk.config.Category) plus the place on
screen::

    {"name": str, "phrases": [str, ...], "order": int}

``schedule`` (说事日, 议事会, 值班表), key ``<type>-<date or "regular">-xxxxxx``::

    {"type": "say_day" | "council" | "duty", "type_label": "说事日" | "议事会" | "值班",
     "date": "YYYY-MM-DD" | "", "time": str, "place": str, "text": str}

    ``text`` is what the day is (e.g. 逢五说事：每月5日、15日、25日), the topic of a 议事会, or
    who is on duty.

``directory`` (便民服务, for 私事 referrals), key ``svc-xxxxxx``::

    {"name": str, "phone": str, "hours": str, "helps_with": str,
     "kind": "维修" | "家政" | "医疗" | "法律" | "养老" | "其他"}

    The kiosk lists the entries by ``kind``; an entry without one (published before kinds,
    or through the JSON staff API without it) is read as 其他.
"""

from __future__ import annotations

import json
import secrets
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date
from typing import Any, Literal, get_args

from sqlalchemy import select
from sqlalchemy.orm import Session

from server.db import PublishedContent
from server.deps import now_iso
from server.feed import append_change
from sync.contract.protocol import SERVICE_KINDS

ContentKind = Literal["notice", "category", "schedule", "directory"]
CONTENT_KINDS: tuple[str, ...] = get_args(ContentKind)
MAX_KEY_LENGTH = 100
"""The feed's ``Change.key`` limit: a longer key would make every kiosk's page invalid."""
ALL = ""
"""``PublishedContent.community_code`` of content every community gets."""

NOTICE_TYPES: dict[str, str] = {
    "decision": "议事会决定",
    "result": "办理结果",
    "monthly": "月度数据",
    "other": "其他",
}
SCHEDULE_TYPES: dict[str, str] = {"say_day": "说事日", "council": "议事会", "duty": "值班"}
DIRECTORY_KINDS: tuple[str, ...] = SERVICE_KINDS
"""What a 便民服务 entry helps with, as the kiosk groups them; the last one is the default."""
OTHER_KIND = DIRECTORY_KINDS[-1]


class ContentError(ValueError):
    """Content that cannot be published as given (the message is for staff, in Chinese)."""


@dataclass(frozen=True)
class Published:
    """One item published now, as the console lists it."""

    kind: str
    key: str
    community_code: str | None  # None: every community
    body: dict[str, Any]
    published_at: str
    published_by: str | None


def publish(db: Session, *, kind: str, key: str, body: dict[str, Any],
            community_code: str | None, staff: str | None) -> None:
    """Publish ``body`` under (kind, key) to one community's kiosks, or to all for None."""
    _check(kind, key)
    scope = community_code or ALL
    text = json.dumps(body, ensure_ascii=False)
    db.merge(PublishedContent(kind=kind, key=key, community_code=scope, body=text,
                              published_at=now_iso(), published_by=staff))
    append_change(db, kind=kind, key=key, body=text, community_code=community_code or None)
    if scope == ALL:
        _reassert_own_versions(db, kind, key)


def withdraw(db: Session, *, kind: str, key: str, community_code: str | None) -> bool:
    """Take (kind, key) down from one community's kiosks (or from all); False if it was not
    published there. The deleted change is sent either way, so withdrawing again (or content
    published before the server kept a list) still clears it from the kiosks."""
    _check(kind, key)
    scope = community_code or ALL
    row = db.get(PublishedContent, (kind, key, scope))
    if row is not None:
        db.delete(row)
    append_change(db, kind=kind, key=key, body="{}", deleted=True,
                  community_code=community_code or None)
    if scope == ALL:
        _reassert_own_versions(db, kind, key)
    else:
        shared = db.get(PublishedContent, (kind, key, ALL))
        if shared is not None:
            append_change(db, kind=kind, key=key, body=shared.body, community_code=scope)
    return row is not None


def published(db: Session, kind: str, communities: Sequence[str] | None) -> list[Published]:
    """What is published now of ``kind``, newest first: for the given communities and for all
    (``communities`` None: everything)."""
    query = select(PublishedContent).where(PublishedContent.kind == kind)
    if communities is not None:
        query = query.where(PublishedContent.community_code.in_([ALL, *communities]))
    rows = db.scalars(query.order_by(PublishedContent.published_at.desc(),
                                     PublishedContent.key.desc())).all()
    return [Published(kind=r.kind, key=r.key, community_code=r.community_code or None,
                      body=json.loads(r.body), published_at=r.published_at,
                      published_by=r.published_by) for r in rows]


def new_key(prefix: str) -> str:
    """A fresh key: ``prefix`` (a date or a type) and a random tail, so two never collide."""
    return f"{prefix}-{secrets.token_hex(3)}"


def notice_body(*, title: str, text: str, notice_type: str, expires_on: str) -> dict[str, Any]:
    title, text = title.strip(), text.strip()
    if not title or not text:
        raise ContentError("标题和正文都要填写")
    if notice_type not in NOTICE_TYPES:
        raise ContentError("请选择公示类别")
    return {"title": title[:100], "text": text[:4000], "notice_type": notice_type,
            "type_label": NOTICE_TYPES[notice_type], "published_on": date.today().isoformat(),
            "expires_on": _iso_date(expires_on, "截止日期") or None}


def category_body(*, name: str, phrases: str, order: int) -> dict[str, Any]:
    name = name.strip()
    if not name or len(name) > 40:
        raise ContentError("类别名称要填写，最多40个字")
    lines = [p.strip() for p in phrases.splitlines() if p.strip()]
    return {"name": name, "phrases": lines[:30], "order": order}


def schedule_body(*, entry_type: str, on: str, time: str, place: str,
                  text: str) -> dict[str, Any]:
    if entry_type not in SCHEDULE_TYPES:
        raise ContentError("请选择日程类别")
    when = _iso_date(on, "日期")
    if entry_type != "say_day" and not when:
        raise ContentError("议事会和值班要填写日期")
    if not text.strip():
        raise ContentError("请填写内容")
    return {"type": entry_type, "type_label": SCHEDULE_TYPES[entry_type], "date": when,
            "time": time.strip()[:40], "place": place.strip()[:100], "text": text.strip()[:500]}


def directory_body(*, name: str, phone: str, hours: str, helps_with: str,
                   kind: str = "") -> dict[str, Any]:
    if not name.strip() or not phone.strip():
        raise ContentError("服务名称和电话都要填写")
    kind = kind.strip() or OTHER_KIND
    if kind not in DIRECTORY_KINDS:
        raise ContentError("请选择服务类别")
    return {"name": name.strip()[:60], "phone": phone.strip()[:40], "hours": hours.strip()[:60],
            "helps_with": helps_with.strip()[:300], "kind": kind}


def _reassert_own_versions(db: Session, kind: str, key: str) -> None:
    """After a change for all kiosks, communities with their own version get it again."""
    own = db.scalars(select(PublishedContent).where(
        PublishedContent.kind == kind, PublishedContent.key == key,
        PublishedContent.community_code != ALL)).all()
    for row in own:
        append_change(db, kind=kind, key=key, body=row.body, community_code=row.community_code)


def _check(kind: str, key: str) -> None:
    if kind not in CONTENT_KINDS:
        raise ContentError(f"unknown content kind {kind!r}")
    if not key or len(key) > MAX_KEY_LENGTH:
        raise ContentError(f"a key of 1 to {MAX_KEY_LENGTH} characters is needed")


def _iso_date(value: str, label: str) -> str:
    value = value.strip()
    if not value:
        return ""
    try:
        return date.fromisoformat(value).isoformat()
    except ValueError:
        raise ContentError(f"{label}应为 年-月-日，例如 2026-12-01") from None
