"""Pinyin from the helper process: the same readings as pypinyin in this process, while the
kiosk itself never loads pypinyin's tables."""

from __future__ import annotations

import re
import subprocess
import sys
from pathlib import Path

from device.speech import text
from device.speech.pinyin_helper import PinyinHelper
from kiosk.session import fixed_prompts
from tests.conftest import REPO

SEEDS = REPO.parent / "shared" / "seeds"


def _sentences() -> list[str]:
    """Real sentences of the domain (the source articles), and every fixed prompt."""
    found = [s for path in sorted(SEEDS.glob("*.txt"))
             for s in re.split(r"[。！？\n]", path.read_text(encoding="utf-8"))
             if re.search(r"[\u4e00-\u9fff]", s)]
    return [*fixed_prompts(), "处理重新调解银行行走，一场春梦", *found[:300]]


def test_the_helper_reads_as_pypinyin_does_here() -> None:
    sentences = _sentences()
    here = [text.to_pinyin(s) for s in sentences]
    text.read_pinyin_in_a_helper()
    try:
        assert [text.to_pinyin(s) for s in sentences] == here
    finally:
        text.read_pinyin_in_a_helper(False)


def test_a_helper_that_went_away_is_started_again() -> None:
    helper = PinyinHelper()
    try:
        assert helper.convert("说事") == ["shuo1", "shi4"]
        assert helper._proc is not None
        helper._proc.kill()  # as when it ends after a minute with nothing to read
        helper._proc.wait(5)
        assert helper.convert("理事") == ["li3", "shi4"]
    finally:
        helper.close()


def test_the_kiosk_process_never_loads_pypinyin(tmp_path: Path) -> None:
    program = ("import sys; from device.speech import text; text.read_pinyin_in_a_helper(); "
               "print(text.to_pinyin('您的事项当前在理事阶段'), 'pypinyin' in sys.modules)")
    done = subprocess.run([sys.executable, "-c", program], capture_output=True, text=True,
                          cwd=REPO, timeout=60, check=True)
    assert done.stdout.split() == ["nin2", "de5", "shi4", "xiang4", "dang1", "qian2", "zai4",
                                   "li3", "shi4", "jie1", "duan4", "False"]
