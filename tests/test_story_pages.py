"""The story of a ticket as the status screen pages it (kiosk/story.py), with a ruler that
gives each character the same width: nothing is ever cut off, a long reply is continued on
pages whose title says 续, a page breaks at a sentence's end where one is near, and what each
page says matches what it shows."""

from __future__ import annotations

import math
from datetime import UTC, date, datetime

from kiosk.session import MESSAGES
from kiosk.story import (
    Section,
    StoryPage,
    TextKind,
    page_said,
    paginate,
    step_cells,
    story_sections,
)
from sync.contract.protocol import Step, StepReached, TicketStatus

PER_LINE = 10
LINE = 40.0
GAP = 5.0


def ruler(text: str, kind: TextKind) -> float:
    """Ten characters a line, 40 px a line (50 for main text)."""
    lines = sum(max(1, math.ceil(len(part) / PER_LINE)) for part in text.split("\n"))
    return lines * (50.0 if kind == "main" else LINE)


def _view(step: Step, note: str = "", **story: object) -> TicketStatus:
    reached = [StepReached(step=s, at=datetime(2026, 11, 3 + s.number, 2, tzinfo=UTC))
               for s in Step if s.number <= step.number]
    return TicketStatus.model_validate({
        "ticket": "0042000173", "category": "环境卫生", "step": step, "note": note,
        "changed_at": reached[-1].at, "description": "楼道堆放杂物", "steps": reached,
        **story})


def _shown(pages: list[StoryPage], title: str) -> str:
    return "".join(b.text for p in pages if p.title.startswith(title) for b in p.blocks)


def test_a_long_reply_goes_on_over_pages_and_nothing_is_lost() -> None:
    reply = "".join(f"第{n}句说明工作的进展情况。" for n in range(1, 30))
    pages = paginate(story_sections(_view(Step.ACT, reply)), ruler, room=200.0, gap=GAP)
    replies = [p for p in pages if p.title.startswith("工作人员答复")]
    assert len(replies) > 2
    assert [p.title for p in replies[1:]] == ["工作人员答复（续）"] * (len(replies) - 1)
    assert _shown(pages, "工作人员答复") == reply
    for page in replies:
        assert sum(ruler(b.text, b.kind) for b in page.blocks) <= 200.0
        assert list(page.said) == [b.text for b in page.blocks]  # said as shown
    assert all(p.blocks[0].text.endswith("。") for p in replies[:-1])  # at a sentence's end


def test_a_sentence_too_long_for_a_page_is_cut_where_the_page_ends() -> None:
    reply = "一" * 95
    pages = paginate([Section("工作人员答复", story_sections(_view(Step.ACT, reply))[-1].blocks)],
                     ruler, room=2 * LINE, gap=GAP)
    assert [len(p.blocks[0].text) for p in pages] == [20] * 4 + [15]


def test_the_story_in_order_with_steps_classes_and_who() -> None:
    view = _view(Step.ACT, "已派人处理。", affair_class="minor", outcome_class="promised",
                 promised_date=date(2030, 1, 15), responsible="物业办", supporters=2)
    pages = paginate(story_sections(view), ruler, room=400.0, gap=GAP)
    assert [p.title for p in pages] == ["回执号码 0042 00017 3", "办理进度", "办理情况",
                                        "工作人员答复"]
    assert [b.text for b in pages[2].blocks] == [
        "分类：小事，承诺件", "承诺2030年1月15日前办好", "负责：物业办", "已有2位居民附议"]
    cells = pages[1].steps
    assert [(c.label, c.state) for c in cells] == [
        ("说事", "passed"), ("理事", "passed"), ("议事", "passed"), ("办事", "current"),
        ("评事", "ahead"), ("查事", "ahead")]
    said_at = view.steps[0].at.astimezone()  # in the kiosk's local time
    assert cells[0].line == f"{said_at.month}月{said_at.day}日"
    assert cells[3].line.startswith("当前 ")
    assert [c.line for c in cells[4:]] == ["未到", "未到"]
    said = page_said(pages[-1], 3, 4, ratable=True)
    assert said == [MESSAGES["page"].format(page=4, pages=4), "已派人处理。",
                    MESSAGES["story_rate_offer"]]
    assert page_said(pages[0], 0, 4, ratable=True)[-1] == MESSAGES["story_more"]


def test_before_a_decision_no_classes_and_a_support_tells_the_issue_supported() -> None:
    view = _view(Step.SORT)
    sections = story_sections(view, via_support=True)
    assert [s.title for s in sections] == ["您附议的事项", "办理进度", "工作人员答复"]
    assert sections[0].blocks[0].text == "事项号码：0042 00017 3"
    assert sections[0].blocks[0].said == MESSAGES["story_via_support"]
    assert sections[-1].blocks[0].said == MESSAGES["story_no_reply"]
    assert [c.state for c in step_cells(view)] == ["passed", "current"] + ["ahead"] * 4
