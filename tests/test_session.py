"""The resident's session without any widget: what is kept, what is forgotten, what is said."""

from __future__ import annotations

from pathlib import Path

from kiosk.session import (
    MOST_CHOICES_NAMED,
    OTHER,
    OTHER_DESCRIPTION,
    VOICE_ONLY_DESCRIPTION,
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
    session.contact_name, session.public = "王秀兰", True
    spoken = session.read_back()
    assert spoken == ("类别：停车出行。内容：电动车在楼道充电。地点：3栋2单元。"
                      "已留姓名。联系电话：138****8000。公开，邻居可以看到和附议。")
    assert "13800138000" not in spoken and "王秀兰" not in spoken  # others may stand near
    session.contact_phone = session.contact_name = ""
    session.public = False
    assert session.read_back().endswith("地点：3栋2单元。匿名。不公开。")


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
    assert session.phrase == "" and session.draft().description == OTHER_DESCRIPTION


def test_own_words_follow_the_phrase_or_stand_alone() -> None:
    session = ResidentSession()
    session.choose_phrase("环境卫生", "楼道堆放杂物")
    session.own_words = "三楼门口堆了纸箱"
    assert session.draft().description == "楼道堆放杂物：三楼门口堆了纸箱"
    session.choose_phrase("环境卫生", OTHER)
    assert session.draft().description == "三楼门口堆了纸箱"
    session.own_words = ""
    assert session.draft().description == OTHER_DESCRIPTION  # staff will call back


class _Note:
    """A stand-in for a recorded VoiceNote: a real file, deleted by ``discard``."""

    def __init__(self, path: Path) -> None:
        self.path, self.sha256, self.seconds = path, "0" * 64, 3.0
        path.write_bytes(b"RIFF")

    def discard(self) -> None:
        self.path.unlink(missing_ok=True)


def test_a_voice_note_replaced_or_left_behind_is_deleted(tmp_path: Path) -> None:
    session = ResidentSession()
    session.choose_category(OTHER, [])
    first, second = _Note(tmp_path / "1.wav"), _Note(tmp_path / "2.wav")
    session.set_voice(first)  # type: ignore[arg-type]
    assert session.draft().description == VOICE_ONLY_DESCRIPTION
    assert session.draft().voice_path == first.path and "录音：3秒。" in session.read_back()
    session.set_voice(second)  # type: ignore[arg-type]
    assert not first.path.exists() and second.path.exists()  # 重录: the old take is gone
    session.reset()  # the resident walked away before 提交
    assert not second.path.exists() and session.is_empty and session.voice is None


def test_screens_name_up_to_eight_choices_and_count_more() -> None:
    names = [f"类别{i}" for i in range(MOST_CHOICES_NAMED)]
    assert naming(names) == "有：" + "，".join(names) + "。"
    assert naming([*names, "再一个"]) == f"共有{MOST_CHOICES_NAMED + 1}项。"
    assert page_prompt("请选择。", ["甲", "乙"], 1, 3) == "请选择。第2页，共3页。有：甲，乙。"
    assert page_prompt("请选择。", ["甲"], 0, 1) == "请选择。有：甲。"
