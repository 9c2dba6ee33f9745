"""The pinyin/word index: built from jieba's dictionary with pypinyin readings, read in place.

The index is built once into var/input/words.sqlite (the default place for the default store)
and reused by later runs while its version stamp is current.
"""

from __future__ import annotations

import os
import shutil
import sqlite3
from collections.abc import Iterator
from contextlib import closing
from pathlib import Path

import pytest
from hypothesis import given
from hypothesis import strategies as st

from kiosk.config import load_config
from kiosk.writing.build_index import build_index, is_current
from kiosk.writing.pinyin_keys import fuzzy, initials_of, key_of, segments
from kiosk.writing.words import Candidate, WordIndex

REPO = Path(__file__).resolve().parent.parent
FIVE = ["下水道", "物业", "楼道", "漏水", "电动车"]


@pytest.fixture(scope="module")
def index_path() -> Path:
    path = REPO / load_config().input.word_index
    build_index(path)  # skips at once when current
    return path


@pytest.fixture(scope="module")
def words(index_path: Path) -> Iterator[WordIndex]:
    with WordIndex(index_path, load_config().input.hall_words) as index:
        yield index


def _words(found: list[Candidate]) -> list[str]:
    return [c.word for c in found]


# Syllables where the folds bite (zh/ch/sh, l/n, -ing/-eng) and their neighbours.
SYLLABLES = ["zhi", "zi", "chang", "cang", "shui", "sui", "lou", "nou", "ling", "lin", "ning",
             "geng", "gen", "xing", "xin", "gu", "e", "an", "ai", "ang", "er", "dao", "xia",
             "zheng", "sheng", "ceng", "ying", "yin", "n", "guo", "hen", "heng", "eng"]


@given(st.lists(st.sampled_from(SYLLABLES), min_size=1, max_size=5), st.data())
def test_folding_keeps_what_is_typed_a_prefix(syllables: list[str], data: st.DataObject) -> None:
    spelled = "".join(syllables)
    typed = spelled[:data.draw(st.integers(1, len(spelled)))]
    assert key_of(syllables).startswith(fuzzy(typed))
    assert fuzzy(spelled) == key_of(syllables)
    assert len(initials_of(syllables)) <= len(syllables)


def test_folded_pairs_meet() -> None:
    for one, other in [("zhongguo", "zongguo"), ("chifan", "cifan"), ("shui", "sui"),
                       ("niunai", "liulai"), ("yinhang", "yinghang"), ("renmin", "rengming")]:
        assert fuzzy(one) == fuzzy(other)
    assert fuzzy("xian") != fuzzy("xiang")  # -an/-ang stay apart
    assert initials_of(["xia", "shui", "dao"]) == "xsd"


def test_typed_letters_cut_into_syllables() -> None:
    known = frozenset(SYLLABLES) | {"xia", "d", "s"}
    assert segments("xiasd", known) == ["xia", "s", "d"]
    assert segments("xshuid", known) == ["x", "shui", "d"]
    assert segments("xiazhd", frozenset({"xia"})) == ["xia", "zh", "d"]


@pytest.mark.parametrize("typed", ["xiashuidao", "xsd", "xiasuidao", "XiaShuiDao",
                                   "xia'shui'dao"])
def test_xiashuidao_within_the_top_three(words: WordIndex, typed: str) -> None:
    assert "下水道" in _words(words.pinyin(typed))[:3]


@pytest.mark.parametrize("word,full,initials", [
    ("下水道", "xiashuidao", "xsd"), ("物业", "wuye", "wy"), ("楼道", "loudao", "ld"),
    ("漏水", "loushui", "ls"), ("电动车", "diandongche", "ddc")])
def test_hall_words_come_first_for_their_pinyin(words: WordIndex, word: str, full: str,
                                                initials: str) -> None:
    assert words.pinyin(full)[0] == Candidate(word, len(full))
    assert words.pinyin(initials)[0] == Candidate(word, len(initials))


def test_hall_phrases_complete_what_is_typed(index_path: Path) -> None:
    config = load_config()
    hall = [*config.input.hall_words,
            *(w for c in config.categories for w in (c.name, *c.phrases))]
    with WordIndex(index_path, hall) as index:
        assert _words(index.pinyin("xiashuidao"))[:2] == ["下水道", "下水道堵塞"]
        assert _words(index.pinyin("ldd"))[0] == "楼道灯坏了"  # initials of a phrase begun
        assert _words(index.pinyin("d"))[0] == "的"  # one letter: hall words not pushed first
        begun = _words(index.pinyin("dian"))
        assert begun[:2] == ["电梯", "电动车"]  # the nearest completions first
        hall_first = [w for w in begun if w in hall]
        assert len(hall_first) == 3 and "电" in begun and "点" in begun


def test_without_hall_words_ordinary_words_lead(index_path: Path) -> None:
    with WordIndex(index_path) as plain:
        assert _words(plain.pinyin("ld"))[0] != "楼道"  # 领导 and others are commoner
        assert "下水道" in _words(plain.pinyin("xiashuidao"))[:3]


def test_prefix_while_typing(words: WordIndex) -> None:
    found = words.pinyin("xiash")
    assert "下水道" in _words(found)
    assert all(c.consumed == 5 for c in found[:5])
    assert len(words.pinyin("x", limit=10)) == 10


@pytest.mark.parametrize("typed,expected", [
    ("zongguo", "中国"), ("zhongguo", "中国"),       # z / zh
    ("cifan", "吃饭"), ("sangban", "上班"),          # c / ch, s / sh
    ("liunai", "牛奶"), ("niunai", "牛奶"),          # n / l
    ("yinghang", "银行"), ("rengming", "人民"),      # in / ing, en / eng
])
def test_fuzzy_pinyin_for_accents(words: WordIndex, typed: str, expected: str) -> None:
    assert expected in _words(words.pinyin(typed))[:3]


@pytest.mark.parametrize("typed", ["xiasd", "xsdao", "xiashd", "xshuid"])
def test_syllables_and_initials_mixed(words: WordIndex, typed: str) -> None:
    assert words.pinyin(typed)[0] == Candidate("下水道", len(typed))


def test_mixed_input_keeps_whole_syllables_whole(index_path: Path) -> None:
    with WordIndex(index_path) as plain:
        found = _words(plain.pinyin("xiasd"))
    assert "下水道" in found
    assert "小数点" not in found  # xiao is not xia


def test_spelled_as_typed_before_the_fuzzy_match(words: WordIndex) -> None:
    found = _words(words.pinyin("zhu"))
    assert found.index("主") < found.index("足")  # zhu as typed, zu only by folding
    found = _words(words.pinyin("zu"))
    assert found.index("足") < found.index("主")


def test_common_words_before_rare_exact_readings(words: WordIndex) -> None:
    assert _words(words.pinyin("a"))[:2] == ["啊", "阿"]
    assert "按" in _words(words.pinyin("a"))  # an…, commoner than the rare readings of a


def test_only_gb2312_characters(words: WordIndex, index_path: Path) -> None:
    with closing(sqlite3.connect(index_path)) as db:
        chars = {w for (w,) in db.execute("SELECT word FROM words WHERE length(word) = 1")}
    assert 6000 < len(chars) <= 6763
    assert "紝" not in chars  # UTF-8 misread as GBK in dict.txt, with a high count
    assert {"的", "下", "楼", "漏"} <= chars


def test_a_word_its_own_reading(words: WordIndex) -> None:
    assert "银行" in _words(words.pinyin("yinhang"))[:3]  # 行 as hang, from the phrase
    assert "行" in _words(words.pinyin("xing"))[:3]     # and alone, its common reading
    assert "行" in _words(words.pinyin("hang"))          # the other reading still offered
    assert _words(words.pinyin("le"))[0] == "了"


def test_longest_leading_part_when_nothing_covers_all(words: WordIndex) -> None:
    typed = "xiashuidaohuai"  # 下水道 + 坏: no one word
    found = words.pinyin(typed)
    assert found[0] == Candidate("下水道", len("xiashuidao"))
    assert all(c.consumed < len(typed) for c in found)
    assert [c.consumed for c in found] == sorted((c.consumed for c in found), reverse=True)


def test_words_for_all_letters_then_for_fewer(words: WordIndex) -> None:
    found = words.pinyin("xiashuidao")
    assert found[0].consumed == 10
    assert any(c.word == "下水" and c.consumed == 7 for c in found)


def test_nothing_for_nothing(words: WordIndex) -> None:
    assert words.pinyin("") == []
    assert words.pinyin("123 '") == []
    assert words.pinyin("iiii") == []  # no syllable starts so
    assert words.pinyin("xsd", limit=0) == []


def test_hall_word_missing_from_the_dictionary_still_first(index_path: Path) -> None:
    with WordIndex(index_path, ["漏雨", "车棚积水", "其他（请说明）", "Wi-Fi"]) as index:
        assert _words(index.pinyin("louyu"))[0] == "漏雨"
        assert _words(index.pinyin("cpjs"))[0] == "车棚积水"
        assert "其他（请说明）" not in _words(index.pinyin("qita"))  # no reading for （）


def test_next_characters(words: WordIndex) -> None:
    assert words.next_chars("下")[0] == "水"      # 下水道, a hall word
    assert words.next_chars("下水")[0] == "道"
    assert words.next_chars("我家的电动")[0] == "车"
    after_wo = words.next_chars("我", limit=8)
    assert "们" in after_wo and len(after_wo) == 8
    assert words.next_chars("") == []


def test_index_is_small_and_stamped(index_path: Path) -> None:
    assert index_path.stat().st_size < 25_000_000
    assert is_current(index_path)
    with closing(sqlite3.connect(index_path)) as db:
        count = db.execute("SELECT COUNT(DISTINCT word) FROM words").fetchone()[0]
    assert 100_000 < count < 200_000


def test_build_skips_a_current_index(index_path: Path, tmp_path: Path) -> None:
    copy = tmp_path / "words.sqlite"
    shutil.copy(index_path, copy)
    before = copy.stat().st_mtime_ns
    build_index(copy)
    assert copy.stat().st_mtime_ns == before
    with closing(sqlite3.connect(copy)) as db, db:
        db.execute("UPDATE meta SET value = 'format 0' WHERE key = 'stamp'")
    assert not is_current(copy)
    assert not is_current(tmp_path / "absent.sqlite")
    assert os.listdir(tmp_path) == ["words.sqlite"]  # no temporary file left behind


def test_missing_index_says_how_to_build(tmp_path: Path) -> None:
    missing = tmp_path / "input" / "words.sqlite"
    with pytest.raises(FileNotFoundError, match=r"python -m kiosk\.writing\.build_index"):
        WordIndex(missing)
    garbage = tmp_path / "garbage.sqlite"
    garbage.write_bytes(b"x" * 4096)
    with pytest.raises(FileNotFoundError, match="not a word index"):
        WordIndex(garbage)
