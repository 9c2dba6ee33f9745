"""Console pages: statistics per community and month (件数, 三事, 办结率, 按时办结率, 满意率).

An issue counts in the month it was raised (its ``created_at``); a rating in the month it was
given. 办结 is ``closed_at`` set (the result published, 评事 reached). On time: closed no later
than its promised date (承诺件) or else its deadline, out of the closed issues that had one.
满意率 is (满意 + 基本满意) / ratings, counting each ticket's latest rating only (a later rating
replaces an earlier one); 满意 alone is shown beside it. Everything is summed by
the database (GROUP BY), never by loading the issues.
"""

from __future__ import annotations

import csv
import io
import re
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from datetime import date
from typing import Annotated, Any

from fastapi import APIRouter, HTTPException, Query, Request
from fastapi.responses import HTMLResponse, Response
from sqlalchemy import ColumnElement, and_, case, exists, func, or_, select
from sqlalchemy.orm import Session, aliased

from server.console.auth import Staff, StaffUser
from server.console.templating import render
from server.db import CentralSubmission, Community, Kiosk, Rating
from server.deps import ReadDb
from sync.contract.protocol import AFFAIR_LABELS, SCORE_LABELS

router = APIRouter()
MONTH = re.compile(r"\d{4}-(0[1-9]|1[0-2])")
UNSORTED = "未分流"
NO_COMMUNITY = "未归属社区"


@dataclass
class MonthFigures:
    """One community's (or several communities') figures for one month."""

    community: str | None  # code; None for the sum of several, or kiosks without one
    name: str
    month: str
    total: int = 0
    by_category: dict[str, int] = field(default_factory=dict)
    by_affair: dict[str, int] = field(default_factory=dict)  # keyed by the Chinese label
    closed: int = 0
    with_due: int = 0  # closed, and had a deadline or promised date
    on_time: int = 0
    ratings: dict[str, int] = field(default_factory=lambda: dict.fromkeys(SCORE_LABELS, 0))

    @property
    def rated(self) -> int:
        return sum(self.ratings.values())

    @property
    def closure_rate(self) -> float | None:
        return _share(self.closed, self.total)

    @property
    def on_time_rate(self) -> float | None:
        return _share(self.on_time, self.with_due)

    @property
    def satisfaction_rate(self) -> float | None:
        return _share(self.ratings["satisfied"] + self.ratings["fair"], self.rated)

    @property
    def satisfied_rate(self) -> float | None:
        return _share(self.ratings["satisfied"], self.rated)

    def add(self, other: MonthFigures) -> None:
        self.total += other.total
        self.closed += other.closed
        self.with_due += other.with_due
        self.on_time += other.on_time
        for mine, theirs in ((self.by_category, other.by_category),
                             (self.by_affair, other.by_affair), (self.ratings, other.ratings)):
            for key, count in theirs.items():
                mine[key] = mine.get(key, 0) + count


def _share(part: int, whole: int) -> float | None:
    return part / whole if whole else None


def _community_of_issue() -> ColumnElement[str | None]:
    """The issue's community, or its kiosk's when it was received before that was copied."""
    return func.coalesce(CentralSubmission.community_code, Kiosk.community_code)


def _latest_rating() -> ColumnElement[bool]:
    """The rating is its ticket's latest (server.story.LATEST_RATING_FIRST): none later."""
    later = aliased(Rating)
    return ~exists().where(later.ticket == Rating.ticket, or_(
        later.created_at > Rating.created_at,
        and_(later.created_at == Rating.created_at, later.uuid > Rating.uuid)))


def month_figures(db: Session, month: str, communities: Sequence[str] | None
                  ) -> dict[str | None, MonthFigures]:
    """Figures for ``month`` ("YYYY-MM") of each community in ``communities`` (None: every
    community, and the kiosks without one under the key None)."""
    where_community = _community_of_issue()
    due = func.coalesce(CentralSubmission.promised_date, CentralSubmission.deadline)
    closed = CentralSubmission.closed_at.is_not(None)
    issues = (
        select(where_community, CentralSubmission.category, CentralSubmission.affair_class,
               func.count(),
               func.sum(case((closed, 1), else_=0)),
               func.sum(case((and_(closed, due.is_not(None)), 1), else_=0)),
               func.sum(case((and_(closed, due.is_not(None),
                                   func.substr(CentralSubmission.closed_at, 1, 10) <= due), 1),
                             else_=0)))
        .outerjoin(Kiosk, Kiosk.code == CentralSubmission.kiosk_code)
        .where(func.substr(CentralSubmission.created_at, 1, 7) == month)
        .group_by(where_community, CentralSubmission.category, CentralSubmission.affair_class)
    )
    ratings = (
        select(where_community, Rating.score, func.count())
        .join(CentralSubmission, CentralSubmission.ticket == Rating.ticket)
        .outerjoin(Kiosk, Kiosk.code == CentralSubmission.kiosk_code)
        .where(func.substr(Rating.created_at, 1, 7) == month, _latest_rating())
        .group_by(where_community, Rating.score)
    )
    if communities is not None:
        issues = issues.where(where_community.in_(communities))
        ratings = ratings.where(where_community.in_(communities))
    names = {code: name for code, name in db.execute(select(Community.code, Community.name))}
    found: dict[str | None, MonthFigures] = {
        code: MonthFigures(code, names.get(code, code), month)
        for code in (names if communities is None else communities)}

    def figures_of(code: str | None) -> MonthFigures:
        if code not in found:
            found[code] = MonthFigures(code, names.get(code, code) if code else NO_COMMUNITY,
                                       month)
        return found[code]

    for code, category, affair, count, n_closed, n_due, n_on_time in db.execute(issues):
        fig = figures_of(code)
        fig.total += count
        fig.closed += n_closed or 0
        fig.with_due += n_due or 0
        fig.on_time += n_on_time or 0
        fig.by_category[category] = fig.by_category.get(category, 0) + count
        label = AFFAIR_LABELS.get(affair or "", UNSORTED)
        fig.by_affair[label] = fig.by_affair.get(label, 0) + count
    for code, score, count in db.execute(ratings):
        if score in SCORE_LABELS:
            figures_of(code).ratings[score] += count
    return found


def summed(parts: Iterable[MonthFigures], month: str, name: str) -> MonthFigures:
    total = MonthFigures(None, name, month)
    for part in parts:
        total.add(part)
    return total


def percent(rate: float | None) -> str:
    return "" if rate is None else f"{rate * 100:.1f}"


def csv_rows(figures: Sequence[MonthFigures]) -> Iterable[list[str]]:
    """Long form, one figure a row, so every category fits and Excel can pivot it."""
    yield ["社区代码", "社区", "月份", "指标", "分项", "数值"]
    for fig in figures:
        head = [fig.community or "", fig.name, fig.month]
        yield [*head, "事项数", "", str(fig.total)]
        for label, count in _ordered(fig.by_category):
            yield [*head, "按类别", label, str(count)]
        for label, count in _affair_rows(fig):
            yield [*head, "按三事", label, str(count)]
        yield [*head, "已办结", "", str(fig.closed)]
        yield [*head, "办结率(%)", "", percent(fig.closure_rate)]
        yield [*head, "有时限的办结件", "", str(fig.with_due)]
        yield [*head, "按时办结", "", str(fig.on_time)]
        yield [*head, "按时办结率(%)", "", percent(fig.on_time_rate)]
        yield [*head, "评价数", "", str(fig.rated)]
        for score, label in SCORE_LABELS.items():
            yield [*head, "评价", label, str(fig.ratings[score])]
        yield [*head, "满意率(%)", "满意+基本满意", percent(fig.satisfaction_rate)]
        yield [*head, "满意率(%)", "仅满意", percent(fig.satisfied_rate)]


def _ordered(counts: dict[str, int]) -> list[tuple[str, int]]:
    return sorted(counts.items(), key=lambda item: (-item[1], item[0]))


def _affair_rows(fig: MonthFigures) -> list[tuple[str, int]]:
    labels = [*AFFAIR_LABELS.values(), UNSORTED]
    return [(label, fig.by_affair.get(label, 0)) for label in labels]


def _scope(staff: StaffUser, db: Session, community: str | None, month: str | None
           ) -> tuple[list[str] | None, str, str]:
    """(communities to count or None for all, the community asked for ("" for all), month)."""
    month = month or date.today().isoformat()[:7]
    if not MONTH.fullmatch(month):
        raise HTTPException(status_code=400, detail="月份应为 年-月，例如 2026-11")
    if not staff.is_admin:
        if community and community != staff.community_code:
            raise HTTPException(status_code=403, detail="只能查看本社区的统计")
        return [staff.community_code or ""], staff.community_code or "", month
    if community:
        if db.get(Community, community) is None:
            raise HTTPException(status_code=404, detail="没有这个社区")
        return [community], community, month
    return None, "", month


def figures_for(staff: StaffUser, db: Session, community: str | None, month: str | None
             ) -> tuple[MonthFigures, list[MonthFigures], str, str]:
    """The figures shown (one community, or all summed) and each community's."""
    communities, chosen, month = _scope(staff, db, community, month)
    per = month_figures(db, month, communities)
    rows = sorted(per.values(), key=lambda f: (f.community is None, f.community or ""))
    if chosen:
        return per[chosen], rows, chosen, month
    return summed(rows, month, "全部社区"), rows, chosen, month


def monthly_notice(fig: MonthFigures) -> tuple[str, str]:
    """Title and text of a 月度数据 notice with ``fig``, for staff to check and publish."""
    month = f"{fig.month[:4]}年{int(fig.month[5:])}月"
    affairs = "、".join(f"{label}{count}件" for label, count in _affair_rows(fig) if count)
    parts = [f"{month}，{fig.name}共收到居民说事{fig.total}件"
             + (f"（{affairs}）" if affairs else ""),
             f"已办结{fig.closed}件" + (f"，办结率{percent(fig.closure_rate)}%"
                                       if fig.closure_rate is not None else "")]
    if fig.on_time_rate is not None:
        parts.append(f"按时办结率{percent(fig.on_time_rate)}%")
    if fig.satisfaction_rate is not None:
        parts.append(f"居民评价{fig.rated}条，满意率{percent(fig.satisfaction_rate)}%")
    return f"{month}{fig.name}说事办理情况", "；".join(parts) + "。"


def _months_around(month: str) -> tuple[str, str]:
    year, mon = int(month[:4]), int(month[5:])
    before = f"{year - 1}-12" if mon == 1 else f"{year}-{mon - 1:02d}"
    after = f"{year + 1}-01" if mon == 12 else f"{year}-{mon + 1:02d}"
    return before, after


def bars(counts: Sequence[tuple[str, int | float]], top: float | None = None
         ) -> dict[str, Any]:
    """What the SVG bar chart macro needs: each label, value and bar width out of 100, the
    longest bar full width unless ``top`` (100 for percentages) says what is."""
    top = top or max((value for _, value in counts), default=0) or 1
    return {"rows": [(label, value, value / top * 100) for label, value in counts]}


@router.get("/stats", response_class=HTMLResponse)
def stats_page(request: Request, db: ReadDb, staff: Staff,
               community: Annotated[str | None, Query(max_length=20)] = None,
               month: Annotated[str | None, Query(max_length=7)] = None) -> Response:
    shown, rows, chosen, month = figures_for(staff, db, community, month)
    before, after = _months_around(month)
    communities = db.scalars(select(Community).order_by(Community.code)).all() \
        if staff.is_admin else []
    rates = [("办结率", shown.closure_rate), ("按时办结率", shown.on_time_rate),
             ("满意率", shown.satisfaction_rate), ("满意（不含基本满意）", shown.satisfied_rate)]
    return render(
        request, "stats.html", fig=shown, rows=rows, chosen=chosen, month=month,
        before=before, after=after, communities=communities, percent=percent,
        category_chart=bars(_ordered(shown.by_category)),
        affair_chart=bars(_affair_rows(shown)),
        rate_chart=bars([(label, round(rate * 100, 1)) for label, rate in rates
                         if rate is not None], top=100),
        rating_chart=bars([(label, shown.ratings[score])
                           for score, label in SCORE_LABELS.items()]),
        csv_query=f"community={chosen}&month={month}")


@router.get("/stats.csv")
def stats_csv(db: ReadDb, staff: Staff,
              community: Annotated[str | None, Query(max_length=20)] = None,
              month: Annotated[str | None, Query(max_length=7)] = None) -> Response:
    shown, rows, chosen, month = figures_for(staff, db, community, month)
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\r\n")
    writer.writerows(csv_rows(rows if chosen or len(rows) < 2 else [*rows, shown]))
    # The BOM makes Excel read the file as UTF-8 rather than the system's code page.
    body = "\ufeff" + out.getvalue()
    name = f"shuoshi-stats-{chosen or 'all'}-{month}.csv"
    return Response(body.encode("utf-8"), media_type="text/csv; charset=utf-8",
                    headers={"content-disposition": f'attachment; filename="{name}"'})
