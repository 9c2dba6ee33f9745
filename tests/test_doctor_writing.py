"""``shuoshi doctor`` on writing in one's own words: the handwriting model and the word index
(built at install time), what is missing and the command that makes it."""

from __future__ import annotations

from pathlib import Path

from tests.conftest import REPO, kiosk_toml, shuoshi


def _config(tmp_path: Path, writing: str) -> str:
    return str(kiosk_toml(tmp_path, input=writing))


def _lines(stdout: str) -> list[str]:
    return [line for line in stdout.splitlines()
            if "] handwriting: " in line or "] word index: " in line]


def test_doctor_names_a_missing_model_and_index_and_how_to_build_the_index(
        tmp_path: Path) -> None:
    missing = shuoshi("doctor", "--config", _config(
        tmp_path, f'handwriting_model = "{tmp_path}/none.model"\n'
                  f'word_index = "{tmp_path}/input/words.sqlite"'))
    hand, index = _lines(missing.stdout)
    assert missing.returncode == 1
    assert hand.startswith("[FAIL] handwriting: ") and f"{tmp_path}/none.model" in hand
    assert hand.endswith("only the pinyin keyboard is offered")
    assert index == (f"[FAIL] word index: {tmp_path}/input/words.sqlite missing or out of date"
                     f" (python -m kiosk.writing.build_index {tmp_path}/input/words.sqlite)")

    installed = shuoshi("doctor", "--config", _config(tmp_path, ""))  # what the set-up made
    assert _lines(installed.stdout) == [
        "[ok] handwriting: /usr/share/tegaki/models/zinnia/handwriting-zh_CN.model",
        "[ok] word index: var/input/words.sqlite"]
    assert (REPO / "var" / "input" / "words.sqlite").is_file()
