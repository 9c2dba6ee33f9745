"""Line breaking for receipt columns: UAX #14 (uniseg) with the receipt's own rules."""

from __future__ import annotations

import re

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from device.printer import text_columns, wrap

SPACES = re.compile("[ \u3000]")


def _broken_inside(lines: list[str], pair: str) -> bool:
    """A line with an odd run of "…" (or "—"): one of its pairs was cut."""
    runs = re.compile(f"{pair[0]}+")
    return any(len(run) % 2 for line in lines for run in runs.findall(line))


@pytest.mark.parametrize("text", ["　　　理事→议事→办事", "　环境卫生", "　　说事　议事"])
def test_leading_full_width_indent_is_kept(text: str) -> None:
    lines = wrap(text, 32)

    assert lines == [text]


def test_indent_is_kept_on_the_first_line_when_the_paragraph_wraps() -> None:
    text = "　　电动车充电线从五楼窗户垂下来，晚上有人在楼下充电，很危险。"
    lines = wrap(text, 20)

    assert lines[0].startswith("　　") and not lines[1].startswith("　")
    assert "".join(lines) == text
    assert all(text_columns(line) <= 20 for line in lines)


@pytest.mark.parametrize("width", range(4, 33, 2))
@pytest.mark.parametrize("text", ["他说：等一等……我马上就来了。", "好好好……",
                                  "电动车充电线从五楼窗户垂下来——很危险", "好好好——是"])
def test_ellipsis_and_dash_are_never_split(text: str, width: int) -> None:
    lines = wrap(text, width)

    assert "".join(lines) == text
    assert not _broken_inside(lines, "……") and not _broken_inside(lines, "——")
    assert all(text_columns(line) <= width for line in lines)


@pytest.mark.parametrize("run", ["https://x.gov.cn/t/0042000073?from=kiosk&lang=zh",
                                 "ABCDEFGHIJKLMNOPQRSTUVWXYZABCDEFGHIJ", "1234567890" * 4])
def test_label_is_not_left_alone_before_a_long_latin_run(run: str) -> None:
    lines = wrap("内容：" + run, 32)

    assert lines[0].startswith("内容：") and lines[0] != "内容："
    assert "".join(lines) == "内容：" + run
    assert all(text_columns(line) <= 32 for line in lines)


def test_label_and_a_latin_word_that_does_not_fit_after_it_share_the_line() -> None:
    word = "BuildingAEastGateParkingLot123"  # 30 columns: fits a line, not after the label
    lines = wrap("地点：" + word, 32)

    assert lines == ["地点：" + word[:26], word[26:]]
    assert wrap("地点：Building-A-East-Gate", 20)[0] == "地点：Building-A-"  # UAX #14: after -


def test_a_phone_number_after_a_label_late_in_the_line_moves_down_whole() -> None:
    lines = wrap("地点：7栋3单元，联系电话：13812345678", 32)

    assert lines == ["地点：7栋3单元，联系电话：", "13812345678"]


def test_ticket_numbers_and_short_words_stay_whole() -> None:
    lines = wrap("请记好回执号码 0001 00015 3 以及网址 example.gov.cn", 20)

    assert any("0001 00015 3" in line for line in lines)
    assert any("example.gov.cn" in line for line in lines)
    assert all(text_columns(line) <= 20 for line in lines)


def test_width_is_counted_in_printer_columns() -> None:
    assert wrap("说事理事议事办事", 8) == ["说事理事", "议事办事"]
    assert wrap("abcd efgh", 4) == ["abcd", "efgh"]  # the space hangs at the break
    assert wrap("", 10) == [""]
    with pytest.raises(ValueError, match="at least 2"):
        wrap("说", 1)


# "……" and "——" come in pairs, as they are written
ALPHABET = st.sampled_from([*"说事理议办评查好很。，、：！？「」（）　 abcXYZ0129%-./", "……", "——"])


@settings(max_examples=300, deadline=None)
@given(st.lists(ALPHABET, max_size=60).map("".join), st.integers(min_value=4, max_value=48))
def test_any_text_fits_and_loses_nothing_but_spaces(text: str, width: int) -> None:
    lines = wrap(text, width)

    assert all(text_columns(line) <= width for line in lines)
    assert SPACES.sub("", "".join(lines)) == SPACES.sub("", text)
    assert not _broken_inside(lines, "……") and not _broken_inside(lines, "——")
