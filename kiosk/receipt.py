"""Receipts as layouts: the 回执, its reprint, a queue slip, the 记录簿 and a test page.

The kiosk decides what goes on paper; device.printer turns it into bytes for the profile.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date, datetime, timedelta

from device.printer import Cut, Element, Feed, PrinterProfile, QRCode, ReceiptLayout, Rule, Text
from device.printer import wrap as wrap_columns
from kiosk.receipt_code import receipt_code
from sync.contract.protocol import STEP_LABELS, Step
from sync.contract.ticket import group
from sync.privacy import mask_phone
from sync.store import StoredSubmission, StoredSupport

SAY_DAYS = (5, 15, 25)  # 逢五说事: the hall's fixed days for saying issues
DESCRIPTION_LINES = 2
REPLY_WORKING_DAYS = 3
QR_MODULE = 6
STEPS_ROW = 3  # steps per line on narrow paper


@dataclass(frozen=True)
class HallText:
    """What every receipt says about the hall."""

    community: str
    name: str
    hotline: str
    status_url: str = ""  # "{ticket}" is replaced by the ticket number


def _look_up_lines(ticket: str, hall: HallText) -> list[Element]:
    """How to follow it, with the one QR the kiosk's scanner and a phone both read, and the
    说事热线 big: the way for someone who will not scan a code."""
    where = "在说事厅或用手机扫下方二维码" if hall.status_url else "在说事厅扫下方二维码"
    lines: list[Element] = [Text(f"查进度：{where}，或输入回执号码", bold=True),
                            QRCode(receipt_code(ticket, hall.status_url), module_size=QR_MODULE)]
    if hall.hotline:
        lines += [Text("或拨打说事热线", align="center", bold=True), _big(hall.hotline)]
    return lines


def _big(text: str) -> Text:
    """Double height and width, bold, on one line: smaller only if the paper is too narrow."""
    return Text(text, scale=2, align="center", bold=True, keep_whole=True)


def _say_day_lines(after: date) -> list[Element]:
    day = next_say_day(after)
    return [Text("下次说事日（逢五说事）", align="center", bold=True),
            _big(f"{day.month}月{day.day}日")]


def steps_line(current: Step) -> str:
    return "→".join(f"【{label}】" if step is current else label
                    for step, label in STEP_LABELS.items())


def _steps(current: Step, columns: int) -> list[Text]:
    whole = f"进度：{steps_line(current)}"
    if len(whole) * 2 <= columns:
        return [Text(whole)]
    labels = [f"【{label}】" if step is current else label for step, label in STEP_LABELS.items()]
    rows = ["→".join(labels[i : i + STEPS_ROW]) for i in range(0, len(labels), STEPS_ROW)]
    return [Text("进度：" + rows[0] + "→"), *(Text("　　　" + row) for row in rows[1:])]


def next_say_day(after: date) -> date:
    """The next 5th, 15th or 25th after ``after``."""
    day = after + timedelta(days=1)
    while day.day not in SAY_DAYS:
        day += timedelta(days=1)
    return day


def first_lines(label: str, text: str, columns: int, lines: int = DESCRIPTION_LINES) -> list[str]:
    """``label`` + ``text`` wrapped, at most ``lines`` lines, the last ending in …… if cut."""
    wrapped = wrap_columns(label + " ".join(text.split()), columns)
    if len(wrapped) <= lines:
        return wrapped
    last = wrapped[lines - 1]
    while last and len(wrap_columns(last + "……", columns)) > 1:
        last = last[:-1]
    return [*wrapped[: lines - 1], last + "……"]


def _header(hall: HallText, title: str) -> list[Element]:
    return [Text(hall.community, align="center", bold=True), Text(hall.name, align="center"),
            Text(title, scale=2, align="center", bold=True)]


def submission_receipt(
    sub: StoredSubmission, hall: HallText, *, columns: int = 48,
    reprinted_at: datetime | None = None, voice_seconds: int | None = None,
) -> ReceiptLayout:
    """The 回执 the resident takes home; ``reprinted_at`` marks it 补打."""
    when = sub.created_at
    said = (f"语音留言 {voice_seconds} 秒" if voice_seconds and not sub.description
            else sub.description)
    elements: list[Element] = _header(hall, "说事回执")
    if reprinted_at is not None:
        elements.append(Text(f"补打 {reprinted_at:%Y-%m-%d %H:%M}", align="center", bold=True))
    elements += [
        Text("回执号码", align="center"),
        Text(group(sub.ticket), scale=3, align="center", bold=True, keep_whole=True),
        Rule(),
        Text(f"时间：{when:%Y-%m-%d %H:%M}"),
        Text(f"类别：{sub.category}"),
        *(Text(line) for line in first_lines("内容：", said, columns)),
    ]
    if sub.place:
        elements += [Text(line) for line in first_lines("地点：", sub.place, columns, 1)]
    elements += [
        Text(f"电话：{sub.masked_phone or mask_phone(sub.contact_phone)}"),
        Rule(),
        *_steps(sub.step, columns),
        Text(f"答复：{REPLY_WORKING_DAYS}个工作日内会联系您"),
        *_look_up_lines(sub.ticket, hall),
        *_say_day_lines(when.date()),
        Text("个人信息仅用于回复您，不会公开。", align="center"),
        Feed(2),
        Cut(),
    ]
    return ReceiptLayout(tuple(elements), columns)


def support_receipt(support: StoredSupport, hall: HallText, *, columns: int = 48,
                    reprinted_at: datetime | None = None) -> ReceiptLayout:
    """The 附议回执: its own number big, with the issue supported as it stood (its ticket,
    category, the first line of what it is, its step)."""
    elements: list[Element] = _header(hall, "附议回执")
    if reprinted_at is not None:
        elements.append(Text(f"补打 {reprinted_at:%Y-%m-%d %H:%M}", align="center", bold=True))
    elements += [
        Text("回执号码", align="center"),
        Text(group(support.support_ticket), scale=3, align="center", bold=True,
             keep_whole=True),
        Rule(),
        Text(f"时间：{support.created_at:%Y-%m-%d %H:%M}"),
        Text(f"附议事项：{group(support.ticket)}"),
        Text(f"类别：{support.category}"),
        *(Text(line) for line in first_lines("内容：", support.description, columns, 1)),
        Text(f"电话：{support.masked_phone}"),
        Rule(),
        *_steps(support.step, columns),
        *_look_up_lines(support.support_ticket, hall),
        *_say_day_lines(support.created_at.date()),
        Text("感谢您的附议，个人信息不会公开。", align="center"),
        Feed(2),
        Cut(),
    ]
    return ReceiptLayout(tuple(elements), columns)


def queue_slip(number: int, hall: HallText, *, waiting: int, now: datetime,
               columns: int = 48) -> ReceiptLayout:
    """A queue-number slip for residents waiting to talk to staff."""
    return ReceiptLayout((
        *_header(hall, "排队号"),
        Text(f"{number:03d}", scale=4, align="center", bold=True, keep_whole=True),
        Text(f"前面还有 {waiting} 位", align="center"),
        Text(f"{now:%Y-%m-%d %H:%M}", align="center"),
        Text("请留意叫号，过号请重新取号", align="center"),
        Feed(2), Cut(),
    ), columns)


@dataclass(frozen=True)
class BookEntry:
    """One line of the record book; no names or phone numbers."""

    ticket: str
    created_at: datetime
    category: str
    step: Step


def record_book(entries: Sequence[BookEntry], hall: HallText, *, day: date,
                printed_at: datetime, columns: int = 48) -> ReceiptLayout:
    """The staff's 记录簿 for one day: every ticket with its time, category and step."""
    elements: list[Element] = [*_header(hall, "说事记录簿"),
                               Text(f"{day:%Y-%m-%d} 共 {len(entries)} 件", align="center"),
                               Rule()]
    for entry in entries:
        line = f"{group(entry.ticket)} {entry.created_at:%H:%M} {entry.step.label}"
        elements += [Text(line), Text("　" + entry.category)]
    if not entries:
        elements.append(Text("今日暂无登记", align="center"))
    elements += [Rule(), Text(f"打印时间 {printed_at:%Y-%m-%d %H:%M}"), Feed(2), Cut()]
    return ReceiptLayout(tuple(elements), columns)


def printer_test_page(profile: PrinterProfile, *, now: datetime, device: str) -> ReceiptLayout:
    """Profile, encoding, columns and a character sample, to check a printer by eye."""
    columns = profile.columns
    encoding = profile.encoding.upper() or "无中文字库（整页图像）"
    return ReceiptLayout((
        Text("打印机测试页", scale=2, align="center", bold=True),
        Text(f"型号：{profile.name}"),
        Text(f"连接：{device}"),
        Text(f"编码：{encoding}"),
        Text(f"纸宽：{profile.paper_dots} 点，{columns} 列"),
        Text(f"二维码：{'打印机指令' if profile.native_qr else '图像'}；切纸：{profile.cut}"),
        Rule(),
        Text("".join(str(i % 10) for i in range(1, columns + 1))),
        Text("说事理事议事办事评事查事" * 4),
        Text("标点：，。、；：？！「」『』（）《》……——"),
        Text("生僻字：𠮷 㐀 堃 喆 ；符号：☎ ① ℃"),
        Text("大号字", scale=2, align="center"),
        QRCode("shuoshi test", module_size=QR_MODULE),
        Text(f"{now:%Y-%m-%d %H:%M}", align="center"),
        Feed(2), Cut(),
    ), columns)
