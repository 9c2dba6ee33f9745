"""评事's fixed choices: the three scores, a few reason phrases for each, and the buttons'
words (in the prompt cache with the other button labels)."""

from __future__ import annotations

from sync.contract.protocol import SCORE_LABELS, RatingScore

SCORES: tuple[RatingScore, ...] = ("satisfied", "fair", "unsatisfied")
REASONS: dict[RatingScore, tuple[str, ...]] = {
    "satisfied": ("办得快", "态度好", "结果满意"),
    "fair": ("基本解决", "有点慢", "说明不够"),
    "unsatisfied": ("太慢了", "没解决", "没人回复"),
}
"""The reason phrases offered after each score: a few, fixed, read aloud and tapped."""
RATE, SKIP = "我要评价", "跳过"

RATING_WORDS = (RATE, *(SCORE_LABELS[score] for score in SCORES),
                *(reason for score in SCORES for reason in REASONS[score]), SKIP)
"""Every word said when a button of 评事 is pressed."""
