"""The submission receipt (回执) as a layout; the printer turns it into bytes."""

from __future__ import annotations

from datetime import datetime

from device.printer import Cut, Feed, QRCode, ReceiptLayout, Rule, Text
from sync.protocol import STEP_LABELS, Step
from sync.store import StoredSubmission
from sync.ticket import group


def mask_phone(phone: str | None) -> str:
    """138****1234 for a mobile number; 匿名 when none was left."""
    if not phone:
        return "匿名"
    digits = "".join(ch for ch in phone if ch.isdigit())
    if len(digits) < 7:
        return "*" * len(digits)
    return f"{digits[:3]}****{digits[-4:]}"


def steps_line(current: Step) -> str:
    return " → ".join(f"【{label}】" if step is current else label
                      for step, label in STEP_LABELS.items())


def submission_receipt(
    sub: StoredSubmission, *, community: str, hall: str, hotline: str, columns: int = 48
) -> ReceiptLayout:
    when: datetime = sub.created_at
    description = sub.description if len(sub.description) <= 60 else sub.description[:58] + "……"
    return ReceiptLayout(
        columns=columns,
        elements=(
            Text(community, align="center", bold=True),
            Text(hall, align="center"),
            Text("说事回执", scale=2, align="center", bold=True),
            Rule(),
            Text("回执号码", align="center"),
            Text(group(sub.ticket), scale=2, align="center", bold=True),
            Rule(),
            Text(f"时间：{when:%Y-%m-%d %H:%M}"),
            Text(f"类别：{sub.category}"),
            Text(f"内容：{description}"),
            Text(f"联系电话：{mask_phone(sub.contact_phone)}"),
            Rule(),
            Text(steps_line(sub.step)),
            Text("凭此号码在说事厅扫码或输入查进度"),
            Text(f"或拨打说事热线 {hotline}"),
            QRCode(sub.ticket, module_size=6),
            Text("您的个人信息仅用于回复您，不会公开。", align="center"),
            Feed(3),
            Cut(),
        ),
    )
