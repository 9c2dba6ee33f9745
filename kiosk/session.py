"""The resident's path through the screens, kept apart from any widget."""

from __future__ import annotations

from dataclasses import dataclass

from sync.store import SubmissionDraft

OTHER = "其他"
OTHER_DESCRIPTION = "其他问题（请工作人员回访了解详情）"


@dataclass
class ResidentSession:
    category: str = ""
    description: str = ""

    def reset(self) -> None:
        self.category = ""
        self.description = ""

    def draft(self) -> SubmissionDraft:
        return SubmissionDraft(category=self.category, description=self.description)


# What the kiosk says when a screen opens.
SCREEN_PROMPTS = {
    "home": "您好，欢迎来到说事厅。反映问题请点我要说事，查询进度请点查进度。",
    "category": "请选择问题的类别。",
    "phrase": "请选择最接近的说法，没有合适的请点其他。",
    "confirm": "请核对内容，没有问题请点提交。",
    "lookup": "请输入回执上的号码，然后点查询。",
}
