"""The Open311 services: the issue categories residents choose from at the kiosk.

Where the list comes from, first found wins:
1. the categories staff have published (``PublishedContent`` kind "category"; its key, the
   category's name, is the service_code; the quick phrases of the body become the keywords,
   and a "description" or "group" in the body is used when present);
2. otherwise the kiosk's packaged default list (``assets/defaults.toml``), copied here because
   the server imports nothing of the kiosk's packages (tests/test_open311.py checks that the
   copy matches);
and, in both cases, any category a received submission carries that is not on the list, so
every request's service_code can be looked up.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from server.db import CentralSubmission, PublishedContent

DEFAULT_GROUP = "社区事务"

DEFAULT_CATEGORIES: tuple[tuple[str, tuple[str, ...]], ...] = (
    ("环境卫生", ("垃圾没有及时清运", "楼道堆放杂物", "路面脏乱无人打扫")),
    ("停车出行", ("车辆乱停占用消防通道", "小区停车位不够", "电动车在楼道充电")),
    ("噪音扰民", ("夜间施工噪音大", "广场舞音响太吵", "路边摊贩吆喝声大")),
    ("房屋设施与管网", ("下水道堵塞", "楼道灯坏了", "屋顶漏水")),
    ("物业服务", ("物业不及时维修", "电梯经常停运", "物业收费不明白")),
    ("安全隐患", ("电动车充电线从窗户垂下", "小巷没有路灯", "消防设施损坏")),
    ("邻里纠纷", ("楼上漏水到楼下", "公共区域被占用", "宠物扰民")),
    ("养老助残", ("老人需要上门照看", "无障碍通道不通", "想了解助餐服务")),
    ("政策咨询", ("想了解医保办理", "想了解低保申请", "想了解老旧小区改造")),
    ("其他", ()),
)
"""The kiosk's built-in categories and quick phrases, as in assets/defaults.toml."""


@dataclass(frozen=True)
class Service:
    code: str
    name: str
    """The category as submissions carry it."""
    description: str
    keywords: tuple[str, ...]
    group: str


def services(db: Session) -> list[Service]:
    """Every service, in the order the kiosk shows the categories."""
    listed = _published(db) or [
        Service(name, name, f"{name}方面的问题", phrases, DEFAULT_GROUP)
        for name, phrases in DEFAULT_CATEGORIES]
    names = {s.name for s in listed}
    codes = {s.code for s in listed}
    seen = db.scalars(select(CentralSubmission.category).distinct()
                      .order_by(CentralSubmission.category))
    extra = [Service(c, c, "", (), DEFAULT_GROUP) for c in seen
             if c not in names and c not in codes]
    return listed + extra


def _published(db: Session) -> list[Service]:
    """Published categories in their ``order`` on screen (server.content describes the body);
    the version published for all communities ("") comes before a community's own."""
    rows = db.scalars(select(PublishedContent).where(PublishedContent.kind == "category")
                      .order_by(PublishedContent.community_code, PublishedContent.key))
    found: dict[str, tuple[float, Service]] = {}
    for row in rows:
        if row.key in found:
            continue
        try:
            body: Any = json.loads(row.body)
        except ValueError:
            body = {}
        body = body if isinstance(body, dict) else {}
        phrases = body.get("phrases")
        keywords = tuple(str(p) for p in phrases) if isinstance(phrases, list) else ()
        order = body.get("order")
        place = float(order) if isinstance(order, int | float) else float("inf")
        found[row.key] = (place, Service(
            row.key, str(body.get("name") or row.key), str(body.get("description") or ""),
            keywords, str(body.get("group") or DEFAULT_GROUP)))
    return [s for _, s in sorted(found.values(), key=lambda p: (p[0], p[1].code))]


def by_code(db: Session) -> dict[str, Service]:
    return {s.code: s for s in services(db)}


def by_name(db: Session) -> dict[str, Service]:
    found: dict[str, Service] = {}
    for s in services(db):
        found.setdefault(s.name, s)
    return found
