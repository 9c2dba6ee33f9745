"""What the hall's information screens print: a copy of a notice (公示), a 便民服务 slip and
叫号's queue slip.

Layouts only (device.printer renders and wraps them to the paper's columns); the hall's name
and 说事热线 come from the same HallText the 回执 uses.
"""

from __future__ import annotations

from datetime import datetime

from device.printer import Cut, Element, Feed, ReceiptLayout, Rule, Text
from device.printer.layout import MAX_SCALE
from kiosk.board import Notice, Service, month_day
from kiosk.receipt import HallText

MOST_NOTICE_PARAGRAPHS = 60
"""A notice is at most 4000 characters; its paragraphs beyond this are joined into the last."""


def _header(hall: HallText, title: str) -> list[Element]:
    return [Text(hall.community, align="center", bold=True), Text(hall.name, align="center"),
            Text(title, scale=2, align="center", bold=True)]


def _paragraphs(text: str) -> list[str]:
    lines = [line.strip() for line in text.splitlines() if line.strip()]
    if len(lines) > MOST_NOTICE_PARAGRAPHS:
        lines = [*lines[:MOST_NOTICE_PARAGRAPHS - 1], "".join(lines[MOST_NOTICE_PARAGRAPHS - 1:])]
    return lines


def notice_copy(notice: Notice, hall: HallText, *, printed_at: datetime,
                columns: int = 48) -> ReceiptLayout:
    """A printed copy of one notice of the 公示栏, for the resident to take home."""
    published = (f"{notice.published_on.year}年{month_day(notice.published_on)}"
                 if notice.published_on else "")
    elements: list[Element] = [
        *_header(hall, "公示"),
        Text(notice.title, align="center", bold=True),
        Text(f"{notice.type_label}　{published}".strip(), align="center"),
        Rule(),
        *(Text(paragraph) for paragraph in _paragraphs(notice.text)),
        Rule(),
    ]
    if notice.expires_on is not None:
        expires = notice.expires_on
        elements.append(Text(f"公示至 {expires.year}年{month_day(expires)}"))
    elements += [
        Text(f"打印于 {printed_at:%Y-%m-%d %H:%M}"),
        Text(f"有疑问请拨打说事热线 {hall.hotline}" if hall.hotline else "有疑问请咨询工作人员",
             bold=True),
        Feed(2),
        Cut(),
    ]
    return ReceiptLayout(tuple(elements), columns)


def service_slip(service: Service, hall: HallText, *, printed_at: datetime,
                 columns: int = 48) -> ReceiptLayout:
    """A small slip with one 便民服务 entry: what it is, its phone and its hours."""
    elements: list[Element] = [
        *_header(hall, "便民服务"),
        Text(service.name, align="center", bold=True),
        Text(f"类别：{service.kind}"),
        Text(f"电话：{service.phone}", bold=True),
    ]
    if service.hours:
        elements.append(Text(f"服务时间：{service.hours}"))
    if service.helps_with:
        elements.append(Text(f"能帮您：{service.helps_with}"))
    elements += [
        Rule(),
        Text("私事由您自己联系办理，社区只作推荐。"),
        Text(f"{hall.name}　说事热线 {hall.hotline}".strip() if hall.hotline else hall.name,
             bold=bool(hall.hotline)),
        Text(f"打印于 {printed_at:%Y-%m-%d %H:%M}"),
        Feed(2),
        Cut(),
    ]
    return ReceiptLayout(tuple(elements), columns)


def queue_slip(label: str, ahead: int, hall: HallText, *, taken_at: datetime,
               columns: int = 48) -> ReceiptLayout:
    """叫号's slip: the number as big as the printer prints, how many wait before it, when
    it was taken, and where to go."""
    elements: list[Element] = [
        Text(hall.community, align="center", bold=True),
        Text(hall.name, align="center"),
        Text("说事排队号", scale=2, align="center", bold=True),
        Text(label, scale=MAX_SCALE, align="center", bold=True, keep_whole=True),
        Text(f"前面还有 {ahead} 人", scale=2, align="center", bold=True),
        Text(f"取号时间 {taken_at:%Y-%m-%d %H:%M}", align="center"),
        Rule(),
        Text("听到叫号请到说事桌，过号请找工作人员", bold=True),
    ]
    if hall.hotline:
        elements.append(Text(f"说事热线 {hall.hotline}", bold=True))
    elements += [Feed(2), Cut()]
    return ReceiptLayout(tuple(elements), columns)
