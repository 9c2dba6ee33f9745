"""查事: the whole story of a ticket as the status screen shows and says it, page by page.

Kept apart from any widget: what is shown and said (sections of blocks), and how sections are
paged given a way to measure text, so long texts (the resident's description, staff's reply)
are continued on the next page and never cut off.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, replace
from datetime import date, datetime
from typing import Literal

from kiosk.session import MESSAGES, status_prompt
from sync.contract.protocol import (
    AFFAIR_LABELS,
    OUTCOME_LABELS,
    STEP_LABELS,
    TicketStatus,
)
from sync.contract.ticket import group

StepState = Literal["passed", "current", "ahead"]
TextKind = Literal["main", "small"]
SENTENCE_ENDS = "。！？；!?;\n"
NOT_YET = "未到"
CURRENT = "当前"


@dataclass(frozen=True)
class Block:
    """A line or paragraph of a page: ``text`` shown, ``said`` spoken ("" for nothing)."""

    text: str
    said: str
    kind: TextKind = "small"
    long: bool = False
    """A text that may run over pages (the description, the reply): said as shown."""
    left: bool = False
    """Aligned left, as a paragraph is read."""


@dataclass(frozen=True)
class StepCell:
    label: str
    state: StepState
    line: str
    """Under the name: the date reached (and 当前 for the current step), or 未到."""


@dataclass(frozen=True)
class Section:
    title: str
    blocks: tuple[Block, ...] = ()
    steps: tuple[StepCell, ...] = ()
    said: tuple[str, ...] = ()
    """What a steps section says (a blocks section says its blocks)."""


@dataclass(frozen=True)
class StoryPage:
    title: str
    blocks: tuple[Block, ...] = ()
    steps: tuple[StepCell, ...] = ()
    said: tuple[str, ...] = ()


def month_day(when: date | datetime) -> str:
    """"11月5日", in the kiosk's local time for a moment."""
    day = when.astimezone() if isinstance(when, datetime) else when
    return f"{day.month}月{day.day}日"


def full_date(when: date) -> str:
    return f"{when.year}年{when.month}月{when.day}日"


def step_cells(view: TicketStatus) -> list[StepCell]:
    reached = {each.step: each.at for each in view.steps}
    cells = []
    for step, label in STEP_LABELS.items():
        at = reached.get(step)
        when = month_day(at) if at is not None else ""
        if step is view.step:
            cells.append(StepCell(label, "current", f"{CURRENT} {when}".strip()))
        elif step.number < view.step.number:
            cells.append(StepCell(label, "passed", when or "已过"))
        else:
            cells.append(StepCell(label, "ahead", NOT_YET))
    return cells


def _steps_said(view: TicketStatus, cells: list[StepCell]) -> tuple[str, ...]:
    reached = {each.step: each.at for each in view.steps}
    dates = "".join(f"{STEP_LABELS[step]}，{month_day(at)}。" for step, at in
                    sorted(reached.items(), key=lambda item: item[0].number)
                    if step.number <= view.step.number)
    ahead = [cell.label for cell in cells if cell.state == "ahead"]
    said = [f"办理进度：{dates}" if dates else "办理进度。", status_prompt(view.step)]
    if ahead:
        said.append(f"还没到：{'，'.join(ahead)}。")
    return tuple(said)


def _handling(view: TicketStatus) -> list[Block]:
    blocks = []
    affair = AFFAIR_LABELS[view.affair_class] if view.affair_class else ""
    outcome = OUTCOME_LABELS[view.outcome_class] if view.outcome_class else ""
    said = (f"三事分流，这件事分为{affair}。" if affair else "") + \
        (f"办理方式是{outcome}。" if outcome else "")
    if affair and outcome:
        blocks.append(Block(f"分类：{affair}，{outcome}", said, "main"))
    elif affair or outcome:
        blocks.append(Block(f"分类：{affair}" if affair else f"办理方式：{outcome}", said, "main"))
    if view.outcome_class == "promised" and view.promised_date is not None:
        promised = full_date(view.promised_date)
        blocks.append(Block(f"承诺{promised}前办好", f"承诺在{promised}前办好。"))
    if view.responsible:
        blocks.append(Block(f"负责：{view.responsible}", f"负责的是{view.responsible}。"))
    if view.supporters > 0:
        text = f"已有{view.supporters}位居民附议"
        blocks.append(Block(text, f"{text}。"))
    return blocks


def story_sections(view: TicketStatus, *, via_support: bool = False) -> list[Section]:
    """What the status screen tells, in the order it is read: what the issue is and where it
    stands; the six steps with their dates; how it was classed and decided, and who handles
    it; staff's reply in full."""
    what = []
    if via_support:  # the number shown is the issue's, not that of the 附议 receipt
        what.append(Block(f"事项号码：{group(view.ticket)}", MESSAGES["story_via_support"]))
    what.append(Block(f"当前：{view.step.label}阶段", status_prompt(view.step), "main"))
    what.append(Block(f"类别：{view.category}", f"类别：{view.category}。"))
    if view.description:
        what.append(Block(f"内容：{view.description}", f"内容：{view.description}", long=True,
                          left=True))
    if view.place:
        what.append(Block(f"地点：{view.place}", f"地点：{view.place}。"))
    cells = step_cells(view)
    title = "您附议的事项" if via_support else f"回执号码 {group(view.ticket)}"
    sections = [Section(title, tuple(what)),
                Section("办理进度", steps=tuple(cells), said=_steps_said(view, cells))]
    handling = _handling(view)
    if handling:
        sections.append(Section("办理情况", tuple(handling)))
    reply = (Block(view.note, view.note, long=True, left=True) if view.note.strip()
             else Block("暂无答复", MESSAGES["story_no_reply"], "main"))
    sections.append(Section("工作人员答复", (reply,)))
    return sections


Measure = Callable[[str, TextKind], float]
"""The height (px) a block's text takes at the width of the page."""


def paginate(sections: list[Section], measure: Measure, room: float, gap: float
             ) -> list[StoryPage]:
    """Pages of at most ``room`` px of blocks (``gap`` between them); a long block that does
    not fit is cut, at a sentence's end where one is near, and goes on on the next page,
    whose title says 续. Nothing is ever left out."""
    pages: list[StoryPage] = []
    for section in sections:
        if section.steps:
            pages.append(StoryPage(section.title, steps=section.steps, said=section.said))
            continue
        title, shown, used = section.title, list[Block](), 0.0
        waiting = list(section.blocks)
        while waiting:
            block = waiting.pop(0)
            height = measure(block.text, block.kind) + (gap if shown else 0.0)
            if used + height <= room:
                shown.append(block)
                used += height
                continue
            left = room - used - (gap if shown else 0.0)
            cut = _cut(block.text, block.kind, measure, left) if block.long else 0
            if cut == 0 and not shown:  # alone on a page and still too big: it goes anyway
                cut = max(1, _cut(block.text, block.kind, measure, room)) if block.long \
                    else len(block.text)
            if cut > 0:
                head, rest = block.text[:cut], block.text[cut:].lstrip("\n")
                shown.append(replace(block, text=head, said=head if block.long else block.said))
                if rest:
                    waiting.insert(0, replace(block, text=rest, said=rest))
            else:
                waiting.insert(0, block)
            pages.append(_page(title, shown))
            title, shown, used = f"{section.title}（续）", [], 0.0
        if shown:
            pages.append(_page(title, shown))
    return pages


def _page(title: str, blocks: list[Block]) -> StoryPage:
    return StoryPage(title, tuple(blocks), said=tuple(b.said for b in blocks if b.said))


def _cut(text: str, kind: TextKind, measure: Measure, room: float) -> int:
    """How many characters of ``text`` fit in ``room`` px, ending a sentence where one ends
    in the last third of them."""
    low, high = 0, len(text)
    while low < high:  # the longest prefix that fits
        mid = (low + high + 1) // 2
        if measure(text[:mid], kind) <= room:
            low = mid
        else:
            high = mid - 1
    if low in (0, len(text)):
        return low
    end = max(text.rfind(mark, 0, low) for mark in SENTENCE_ENDS)
    return end + 1 if end >= low * 2 // 3 else low


def page_said(page: StoryPage, number: int, pages: int, *, ratable: bool) -> list[str]:
    """What a page says: which page, what it shows, then what comes next (我要评价 on the
    last page of an issue that ``may_be_rated``)."""
    said = [MESSAGES["page"].format(page=number + 1, pages=pages)] if pages > 1 else []
    said += page.said
    if number < pages - 1:
        said.append(MESSAGES["story_more"])
    elif ratable:
        said.append(MESSAGES["story_rate_offer"])
    return said
