"""The resident's session without any widget: what is kept, what is forgotten, what is said."""

from __future__ import annotations

from kiosk.session import (
    MOST_CHOICES_NAMED,
    OTHER,
    OTHER_DESCRIPTION,
    ResidentSession,
    naming,
    page_prompt,
)


def test_reset_forgets_everything_personal_data_included() -> None:
    session = ResidentSession()
    session.choose_category("环境卫生", ["垃圾没有及时清运"])
    session.choose_phrase("环境卫生", "垃圾没有及时清运")
    session.place, session.contact_phone = "3栋2单元", "13800138000"
    assert not session.is_empty
    session.reset()
    assert session.is_empty
    assert session.draft().contact_phone is None and session.draft().place == ""


def test_read_back_says_everything_with_the_phone_masked() -> None:
    session = ResidentSession()
    session.choose_phrase("停车出行", "电动车在楼道充电")
    session.place, session.contact_phone = "3栋2单元", "13800138000"
    spoken = session.read_back()
    assert spoken == ("类别：停车出行。内容：电动车在楼道充电。地点：3栋2单元。"
                      "联系电话：138****8000。")
    assert "13800138000" not in spoken


def test_a_phrase_is_stored_under_its_own_category_never_a_stale_one() -> None:
    session = ResidentSession()
    session.choose_category("环境卫生", ["垃圾没有及时清运"])
    session.choose_category(OTHER, [])
    assert (session.category, session.description) == (OTHER, OTHER_DESCRIPTION)
    session.choose_phrase("环境卫生", "垃圾没有及时清运")  # back on 环境卫生's phrase screen
    assert session.draft().category == "环境卫生"


def test_a_new_category_drops_the_phrase_of_the_old_one() -> None:
    session = ResidentSession()
    session.choose_phrase("环境卫生", "垃圾没有及时清运")
    session.choose_category("停车出行", ["小区停车位不够"])
    assert session.description == ""


def test_screens_name_up_to_eight_choices_and_count_more() -> None:
    names = [f"类别{i}" for i in range(MOST_CHOICES_NAMED)]
    assert naming(names) == "有：" + "，".join(names) + "。"
    assert naming([*names, "再一个"]) == f"共有{MOST_CHOICES_NAMED + 1}项。"
    assert page_prompt("请选择。", ["甲", "乙"], 1, 3) == "请选择。第2页，共3页。有：甲，乙。"
    assert page_prompt("请选择。", ["甲"], 0, 1) == "请选择。有：甲。"
