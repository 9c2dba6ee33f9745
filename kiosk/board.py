"""The hall's information from the last pulled catalog (公示栏, 便民服务, 说事日程), as typed
items for the screens: notices newest first without the expired ones, services by kind, the
next 说事日 and 议事会, today's 值班, and how old it all is. No Kivy here.

The bodies are those server.content documents; content published through the JSON staff API
may lack fields, so every field is read with a default and nothing here raises on a body.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from typing import TYPE_CHECKING

from kiosk.receipt import next_say_day
from sync.contract.protocol import SERVICE_KINDS

if TYPE_CHECKING:
    from sync.store import Store

Body = dict[str, object]

OTHER_KIND = SERVICE_KINDS[-1]
NOTICE_LABELS = {"decision": "议事会决定", "result": "办理结果", "monthly": "月度数据",
                 "other": "其他"}
WEEKDAYS = "一二三四五六日"
STALE_AFTER = timedelta(days=1)
"""Information older than this says how old it is."""
LOOK_AHEAD_DAYS = 62
"""How far ahead a 说事日 is looked for (a rule naming no day of any month finds none)."""

_HAN_DIGITS = {"一": 1, "二": 2, "三": 3, "四": 4, "五": 5, "六": 6, "七": 7, "八": 8, "九": 9,
               "十": 10}
_FENG = re.compile(r"逢([一二三四五六七八九十])")
_DAYS_OF_MONTH = re.compile(r"(?<!\d)(\d{1,2})[日号]")


def _text(body: Body, name: str) -> str:
    value = body.get(name)
    return value.strip() if isinstance(value, str) else ""


def _date(body: Body, name: str) -> date | None:
    try:
        return date.fromisoformat(_text(body, name))
    except ValueError:
        return None


def month_day(day: date) -> str:
    """12月5日 (how the screens and the slips write a date; speech reads it as it is said)."""
    return f"{day.month}月{day.day}日"


def weekday(day: date) -> str:
    return f"星期{WEEKDAYS[day.weekday()]}"


# ---- 公示栏 ----

@dataclass(frozen=True)
class Notice:
    title: str
    text: str
    type_label: str
    published_on: date | None
    expires_on: date | None


def notice_of(body: Body) -> Notice:
    kind = _text(body, "notice_type")
    return Notice(title=_text(body, "title") or "公示", text=_text(body, "text"),
                  type_label=_text(body, "type_label") or NOTICE_LABELS.get(kind, "其他"),
                  published_on=_date(body, "published_on"), expires_on=_date(body, "expires_on"))


def notices(catalog: Sequence[Body], today: date) -> list[Notice]:
    """The notices to show, newest first: by publication date, then by key (the catalog
    comes ordered by key, so a later place is a later key); those whose ``expires_on`` is
    before ``today`` are left out."""
    placed = [(notice_of(body), place) for place, body in enumerate(catalog)]
    shown = [(n, place) for n, place in placed if n.expires_on is None or n.expires_on >= today]
    shown.sort(key=lambda item: (item[0].published_on or date.min, item[1]), reverse=True)
    return [n for n, _place in shown]


def notice_said(notice: Notice) -> str:
    """What is read aloud for a notice: what kind, when, the title, the whole text."""
    when = f"{month_day(notice.published_on)}发布。" if notice.published_on else ""
    return f"{notice.type_label}。{when}{notice.title}。{notice.text}"


def text_pages(text: str, per_page: int) -> list[str]:
    """``text`` cut into pages of at most ``per_page`` characters, at the end of a sentence
    or clause where one falls in the second half of a page; line breaks are kept."""
    per_page = max(1, per_page)
    pages: list[str] = []
    rest = text.strip()
    while len(rest) > per_page:
        cut = max(rest.rfind(mark, per_page // 2, per_page) for mark in "。！？；\n，、")
        cut = cut + 1 if cut > 0 else per_page
        pages.append(rest[:cut].strip())
        rest = rest[cut:].strip()
    return [*pages, rest] if rest or not pages else pages


# ---- 便民服务 ----

@dataclass(frozen=True)
class Service:
    name: str
    phone: str
    hours: str
    helps_with: str
    kind: str


def service_of(body: Body) -> Service:
    kind = _text(body, "kind")
    return Service(name=_text(body, "name"), phone=_text(body, "phone"),
                   hours=_text(body, "hours"), helps_with=_text(body, "helps_with"),
                   kind=kind if kind in SERVICE_KINDS else OTHER_KIND)


def services_by_kind(catalog: Sequence[Body]) -> dict[str, list[Service]]:
    """The kinds that have entries, in SERVICE_KINDS order; each kind's entries by name."""
    entries = [service_of(body) for body in catalog]
    grouped = {kind: sorted((s for s in entries if s.kind == kind and s.name),
                            key=lambda s: s.name) for kind in SERVICE_KINDS}
    return {kind: found for kind, found in grouped.items() if found}


def phone_said(phone: str) -> str:
    """A phone number digit by digit (幺 for 1), a pause between its groups."""
    from device.speech.numbers import read_digits

    groups = [g for g in re.split(r"[\s\-－—_/]+", phone) if g]
    return "，".join(read_digits(g) for g in groups)


def service_said(service: Service) -> str:
    said = f"{service.name}。电话：{phone_said(service.phone)}。"
    if service.hours:
        said += f"服务时间：{service.hours}。"
    if service.helps_with:
        said += f"能帮您：{service.helps_with}。"
    return said


# ---- 说事日程 ----

@dataclass(frozen=True)
class Meeting:
    """A 说事日, a 议事会 or a day's 值班, as published."""

    day: date | None
    time: str
    place: str
    text: str


def meeting_of(body: Body) -> Meeting:
    return Meeting(day=_date(body, "date"), time=_text(body, "time"),
                   place=_text(body, "place"), text=_text(body, "text"))


def say_days_of_month(rule: str) -> set[int]:
    """The days of the month a rule such as 逢五说事 (5, 15, 25) or 每月5日、15日、25日 names;
    empty if it names none."""
    named = {int(d) for d in _DAYS_OF_MONTH.findall(rule) if 1 <= int(d) <= 31}
    if named:
        return named
    feng = _FENG.search(rule)
    if feng is None:
        return set()
    last = _HAN_DIGITS[feng[1]] % 10  # 逢十: the 10th, 20th and 30th
    return {d for d in range(1, 32) if d % 10 == last}


@dataclass(frozen=True)
class SayDay:
    day: date
    meeting: Meeting | None
    """The published 说事日 entry it comes from; None: the hall's standing 逢五 rule."""


def next_say_day_from(entries: Sequence[Body], today: date) -> SayDay:
    """The next 说事日 on or after ``today``: from the published ones (a dated one, or a
    rule such as 逢五说事), else the standing rule (kiosk.receipt.next_say_day)."""
    found: list[SayDay] = []
    for body in entries:
        if _text(body, "type") != "say_day":
            continue
        meeting = meeting_of(body)
        if meeting.day is not None:
            if meeting.day >= today:
                found.append(SayDay(meeting.day, meeting))
            continue
        days = say_days_of_month(meeting.text)
        for ahead in range(LOOK_AHEAD_DAYS):
            day = today + timedelta(days=ahead)
            if day.day in days:
                found.append(SayDay(day, meeting))
                break
    if found:
        return min(found, key=lambda s: s.day)
    return SayDay(next_say_day(today - timedelta(days=1)), None)


def next_council(entries: Sequence[Body], today: date) -> Meeting | None:
    """The next 议事会 on or after ``today`` (the earliest date, then the earliest time)."""
    coming = [m for m in (meeting_of(b) for b in entries if _text(b, "type") == "council")
              if m.day is not None and m.day >= today]
    return min(coming, key=lambda m: (m.day or today, m.time), default=None)


def duty_today(entries: Sequence[Body], today: date) -> list[Meeting]:
    return sorted((m for m in (meeting_of(b) for b in entries if _text(b, "type") == "duty")
                   if m.day == today), key=lambda m: m.time)


def when_text(day: date, today: date, time: str = "") -> str:
    """今天 / 明天 / 12月5日 星期六, with the time if there is one."""
    if day == today:
        words = f"今天 {month_day(day)}"
    elif day == today + timedelta(days=1):
        words = f"明天 {month_day(day)}"
    else:
        words = month_day(day)
    return f"{words} {weekday(day)}{' ' + time if time else ''}"


# ---- how old ----

def age_text(last_pulled: datetime | None, now: datetime) -> str:
    """"" when the information is fresh (pulled within a day), else how old it is."""
    if last_pulled is None:
        return "还没有从街道取到信息"
    if last_pulled.tzinfo is None:
        last_pulled = last_pulled.astimezone()
    age = now - last_pulled
    if age <= STALE_AFTER:
        return ""
    return f"信息更新于{age.days}天前"


def last_pulled(store: Store) -> datetime | None:
    from sync.inbox import Inbox

    return Inbox(store).last_pulled_at()


def catalog(store: Store, kind: str) -> list[Body]:
    from sync.inbox import Inbox

    return Inbox(store).catalog(kind)
