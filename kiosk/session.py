"""The resident's path through the screens, kept apart from any widget; what is said on it."""

from __future__ import annotations

import tomllib
from dataclasses import dataclass

from assets import ASSETS_DIR
from sync.protocol import STEP_LABELS, Step
from sync.store import SubmissionDraft

OTHER = "其他"
OTHER_DESCRIPTION = "其他问题（请工作人员回访了解详情）"
PROMPTS_TOML = ASSETS_DIR / "prompts.toml"


@dataclass
class ResidentSession:
    category: str = ""
    description: str = ""

    def reset(self) -> None:
        self.category = ""
        self.description = ""

    def draft(self) -> SubmissionDraft:
        return SubmissionDraft(category=self.category, description=self.description)


def _load_prompts() -> tuple[dict[str, str], dict[str, str]]:
    with PROMPTS_TOML.open("rb") as f:
        data = tomllib.load(f)
    return dict(data["screens"]), dict(data["messages"])


SCREEN_PROMPTS, MESSAGES = _load_prompts()
"""What the kiosk says when a screen opens, and its other fixed sentences."""


def status_prompt(step: Step) -> str:
    """The fixed sentence naming the step an issue is at, e.g. "…在理事阶段。"."""
    return MESSAGES["status"].format(step=step.label)


def fixed_prompts(*extra: str) -> list[str]:
    """Every fixed sentence the kiosk says (plus ``extra``), for the prompt cache."""
    statuses = [MESSAGES["status"].format(step=label) for label in STEP_LABELS.values()]
    messages = [text for key, text in MESSAGES.items() if key != "status"]
    return list(dict.fromkeys([*SCREEN_PROMPTS.values(), *messages, *statuses, *extra]))
