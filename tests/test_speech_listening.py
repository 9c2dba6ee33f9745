"""Text for older listeners: service numbers, 两, years, decimals, percentages, temperatures,
Latin letters and the tones of 一 and 不, each checked both as text and as what espeak-ng
really says (``espeak-ng -x`` phoneme mnemonics through EspeakBackend.phonemes)."""

from __future__ import annotations

import re
import subprocess

import pytest

from device.speech import EspeakBackend, for_listening, read_decimal, read_number, to_pinyin
from device.speech.backends import espeak_version
from device.speech.letters import LETTER_SYLLABLES
from device.speech.listening import LISTENING_RULES

VOICE = EspeakBackend("cmn-latn-pinyin", 165, 1.0)
_TONE_SYLLABLE = re.compile(r"[^0-9]+[1-5]{2,3}[nN]?")
# espeak-ng's mnemonics for the syllables these tests listen for (tone contour in digits)
YAO, YI1, YI2, YI4, BU2, BU4 = "j'Au55", "j'i55", "j'i35", "j'i51", "p'u35", "p'u51"


def said(text: str) -> list[str]:
    """The syllables espeak-ng says for ``text``, each with its tone contour."""
    phonemes = VOICE.phonemes(text)
    assert "(en)" not in phonemes, f"English voice used for {text!r}: {phonemes}"
    syllables = [s.strip() for s in re.split(r"_\|", phonemes.replace("\n", " ")) if s.strip()]
    for syllable in syllables:
        assert _TONE_SYLLABLE.fullmatch(syllable), f"not Mandarin: {syllable!r} in {text!r}"
    return syllables


@pytest.mark.parametrize(
    ("text", "heard"),
    [
        # emergency and service numbers: digit by digit with 幺
        ("紧急情况请拨打110或120", "紧急情况请拨打幺幺零或幺二零"),
        ("火警119，交通事故122。", "火警幺幺九，交通事故幺二二。"),
        ("市民热线12345", "市民热线幺二三四五"),
        ("消费投诉12315", "消费投诉幺二三幺五"),
        # ... but quantities stay quantities
        ("补贴120元", "补贴一百二十元"),
        ("设置120个车位", "设置一百二十个车位"),
        ("约120多人参加", "约一百二十多人参加"),
        ("第110号", "第一百一十号"),
        # 两 before measure words and as leading 2 of 百/千/万
        ("2个人", "两个人"),
        ("收费2000元", "收费两千元"),
        ("200", "两百"),
        ("2万元", "两万元"),
        ("20000元", "两万元"),
        ("等2小时", "等两小时"),
        ("12个", "十二个"),
        ("第2次", "第二次"),
        ("20户", "二十户"),
        ("2号楼", "二号楼"),
        ("2月", "二月"),
        # a year alone, digit by digit
        ("2025年", "二〇二五年"),
        ("2025年11月", "二〇二五年十一月"),
        ("2025年3月5日", "二〇二五年三月五日"),
        # decimals and percentages
        ("3.5", "三点五"),
        ("0.5公里", "零点五公里"),
        ("12.05", "十二点零五"),
        ("50%", "百分之五十"),
        ("3.5%", "百分之三点五"),
        ("增长12.5％", "增长百分之十二点五"),
        # temperatures and other negatives
        ("-5℃", "零下五度"),
        ("零下5度", "零下五度"),
        ("明天-3.5°C到6℃", "明天零下三点五度到六度"),
        ("-3", "负三"),
        ("余额-12.5元", "余额负十二点五元"),
        ("3-5个", "三，五个"),  # a dash between numbers is no minus sign
        # Latin letters as the Chinese names of the letters, in pinyin
        ("请连接WiFi", "请连接wai1 fai1"),
        ("Wi-Fi密码", "wai1 fai1密码"),
        ("下载APP", "下载ei1 pi1 pi1"),
        ("ATM机", "ei1 ti1 ai4 mu5机"),
        ("扫QR码", "扫kou4 a1 er5码"),
        ("PM2.5", "pi1 ai4 mu5二点五"),
        ("5G网络", "五ji4网络"),
    ],
)
def test_text_is_made_for_listening(text: str, heard: str) -> None:
    assert for_listening(text) == heard


@pytest.mark.parametrize(
    ("value", "words"),
    [(2, "二"), (20, "二十"), (22, "二十二"), (200, "两百"), (220, "两百二十"),
     (2000, "两千"), (2200, "两千二百"), (20_000, "两万"), (25_000, "两万五千"),
     (12_000, "一万二千"), (200_000, "二十万"), (2_000_000, "两百万")],
)
def test_leading_two_of_hundreds_and_thousands_is_liang(value: int, words: str) -> None:
    assert read_number(value) == words


def test_decimals_read_each_digit_after_the_point() -> None:
    assert read_decimal("0", "5") == "零点五"
    assert read_decimal("3", "14") == "三点一四"
    assert read_decimal("2", "") == "二"


def test_service_numbers_are_heard_digit_by_digit_and_quantities_as_numbers() -> None:
    assert said("拨打110")[2:] == [YAO, YAO, "l'i35N"]
    assert said("拨打12345")[2:4] == [YAO, "'@r51"]
    quantity = said("120元")
    assert YAO not in quantity and quantity[:2] == [YI4, "p'ai21"]  # 一百…


def test_liang_is_heard() -> None:
    assert said("2个人")[0] == "l'iA21N"  # liang3, not er4
    assert said("2000元")[0] == "l'iA21N"
    assert said("12个")[:2] == ["s.'i.35", "'@r51"]  # 十二


def test_a_year_is_heard_digit_by_digit() -> None:
    assert said("2025年") == ["'@r51", "l'i35N", "'@r51", "w'u21", "n'iE35n"]


def test_percent_decimal_and_temperature_are_heard() -> None:
    assert said("3.5%")[:3] == ["p'ai21", "f'@55n", "ts.'i.55"]  # 百分之
    assert said("0.5")[:2] == ["l'i35N", "t'iE35n"]  # 零点
    assert said("-5℃")[:2] == ["l'i35N", "S;'iA51"]  # 零下
    assert said("-5℃")[-1] == "t'u51"  # 度
    assert said("-3")[0] == "f'u51"  # 负


@pytest.mark.parametrize("text", ["请连接WiFi", "下载APP", "ATM机取款", "扫QR码",
                                  "PM2.5超标", "5G网络", "ABCDEFGHIJKLMNOPQRSTUVWXYZ"])
def test_latin_letters_stay_in_the_mandarin_voice(text: str) -> None:
    said(text)  # no "(en)", every syllable Mandarin with a tone


def test_without_the_letters_rule_espeak_switches_to_english() -> None:
    raw = subprocess.run(["espeak-ng", "-v", "cmn-latn-pinyin", "-q", "-x", "ATM"],
                         capture_output=True, text=True, timeout=30, check=True).stdout
    assert raw.startswith("(en)")


def test_every_letter_is_a_mandarin_syllable() -> None:
    spelled = " ".join(LETTER_SYLLABLES.values())
    assert len(said("ABCDEFGHIJKLMNOPQRSTUVWXYZ")) == len(spelled.split())


@pytest.mark.parametrize(
    ("text", "yi"),
    [("一样", YI2), ("一次", YI2), ("一个人", YI2), ("请再听一遍", YI2), ("一共", YI2),
     ("一天", YI4), ("一年", YI4), ("一起", YI4), ("一百", YI4), ("一千元", YI4),
     ("一", YI1), ("第一次", YI1), ("统一规划", YI1), ("十一月", YI1), ("一二三", YI1),
     ("三点一四", YI1), ("周一上午", YI1)],
)
def test_yi_changes_tone_as_in_speech(text: str, yi: str) -> None:
    syllables = said(text)
    assert syllables[text.index("一")] == yi, syllables


@pytest.mark.parametrize(("text", "bu"), [("不是", BU2), ("不要", BU2), ("不去", BU2),
                                          ("不好", BU4), ("不来", BU4), ("不吃", BU4)])
def test_bu_changes_tone_before_a_fourth_tone(text: str, bu: str) -> None:
    assert said(text)[0] == bu


def test_sandhi_keeps_other_syllables() -> None:
    assert to_pinyin("请重新输入，一样不要") == "qing3 chong2 xin1 shu1 ru4 ， yi2 yang4 bu2 yao4"
    assert to_pinyin("看一看") == "kan4 yi5 kan4"  # light between a doubled verb
    assert to_pinyin("差不多") == "cha4 bu5 duo1"


def test_changed_rules_redo_cached_prompts() -> None:
    assert LISTENING_RULES == "2"
    assert f"rules={LISTENING_RULES}" in VOICE.identity
    assert espeak_version() in VOICE.identity
