"""Text made for listening, and what espeak-ng really makes of every fixed prompt."""

from __future__ import annotations

import re
import wave
from datetime import date, datetime, time
from pathlib import Path

import pytest

from device.speech import EspeakBackend, for_listening, read_number, spoken_date, spoken_time
from kiosk.intake import NO_RECEIPT
from kiosk.session import fixed_prompts


@pytest.mark.parametrize(
    ("text", "heard"),
    [
        # tickets: digit by digit, 幺 for 1, a short pause between the printed groups
        ("您的号码是0001 00015 3。", "您的号码是零零零幺，零零零幺五，三。"),
        ("号码0042000157", "号码零零四二，零零零幺五，七"),
        # masked phone as on the receipt: only the last four digits, as "尾号"
        ("联系电话138****1234", "联系电话尾号幺二三四"),
        ("电话：139****0011。", "电话：尾号零零幺幺。"),
        # phone numbers and hotlines: digit by digit
        ("说事热线  0716-1234567", "说事热线零七幺六，幺二三四五六七"),
        ("13800138000", "幺三八零零幺三八零零零"),
        # dates and times in natural Chinese
        ("2025-11-21", "二〇二五年十一月二十一日"),
        ("2025年3月5日", "二〇二五年三月五日"),
        ("11月21日 15:00", "十一月二十一日下午三点"),
        ("11月21日下午3点", "十一月二十一日下午三点"),
        ("9:05开会", "上午九点零五分开会"),
        ("14:30", "下午两点半"),
        ("12:00", "中午十二点"),
        ("20:10", "晚上八点十分"),
        ("0:45", "凌晨十二点四十五分"),
        ("15点", "下午三点"),
        # quantities stay quantities
        ("设置充电桩60个", "设置充电桩六十个"),
        ("第105号", "第一百零五号"),
        ("一共12000元", "一共一万二千元"),
        # pauses: every mark becomes one espeak-ng pauses at; noise that would be read out goes
        ("好（请稍等）", "好，请稍等，"),
        ("*注意*……再见!!", "注意。再见！"),
        ("请取走回执，凭号码查询进度。", "请取走回执，凭号码查询进度。"),
        ("是否公开:否; 谢谢.", "是否公开：否；谢谢。"),
        ("《社区便民服务手册》", "社区便民服务手册"),
        ("", ""),
    ],
)
def test_text_is_made_for_listening(text: str, heard: str) -> None:
    assert for_listening(text) == heard


@pytest.mark.parametrize(
    ("value", "said"),
    [(0, "零"), (7, "七"), (10, "十"), (15, "十五"), (20, "二十"), (101, "一百零一"),
     (110, "一百一十"), (1005, "一千零五"), (9999, "九千九百九十九"), (10_000, "一万"),
     (10_500, "一万零五百"), (230_000, "二十三万")],
)
def test_numbers_read_as_quantities(value: int, said: str) -> None:
    assert read_number(value) == said


def test_dates_and_times_helpers() -> None:
    assert spoken_date(date(2025, 11, 21)) == "二〇二五年十一月二十一日"
    assert spoken_time(time(15, 0)) == "下午三点"
    assert spoken_time(time(8, 15)) == "上午八点十五分"
    assert spoken_time(time(2, 0)) == "凌晨两点"
    from device.speech import spoken_datetime

    assert spoken_datetime(datetime(2025, 11, 21, 15, 0)) == "十一月二十一日 下午三点"


_TONE_SYLLABLE = re.compile(r"[^0-9]+[1-5]{2,3}[nN]?")


def _syllables(phonemes: str) -> list[str]:
    return [s.strip() for s in re.split(r"_\|", phonemes.replace("\n", " ")) if s.strip()]


@pytest.mark.parametrize("prompt", [*fixed_prompts(NO_RECEIPT),
                                    "提交成功。您的回执号码是：0042 00015 7。",
                                    "联系电话138****1234，11月21日15:30到社区议事。"])
def test_every_prompt_is_mandarin_with_tones(prompt: str) -> None:
    """What espeak-ng -x shows for each fixed prompt (and for digits, a masked phone, a date):
    Mandarin syllables each with a tone contour, nothing handed to the English voice (which
    is what Debian 12's "cmn" voice does with pinyin, and what "*" would become)."""
    phonemes = EspeakBackend("cmn-latn-pinyin", 120, 1.0).phonemes(prompt)
    assert "(en)" not in phonemes, phonemes
    for syllable in _syllables(phonemes):
        assert _TONE_SYLLABLE.fullmatch(syllable), f"not Mandarin: {syllable!r} in {prompt}"


def test_punctuation_becomes_pauses(tmp_path: Path) -> None:
    """Each pause mark starts a new clause in espeak-ng (one line of -x output each) and
    makes the audio longer than the same syllables run together."""
    voice = EspeakBackend("cmn-latn-pinyin", 120, 1.0)
    with_marks = "您好，请选择类别：环境卫生、停车出行。谢谢！"
    assert len(voice.phonemes(with_marks).strip().splitlines()) == 5
    plain = re.sub(r"[，：、。！]", "", with_marks)
    assert len(voice.phonemes(plain).strip().splitlines()) == 1
    voice.synthesize(with_marks, tmp_path / "marks.wav")
    voice.synthesize(plain, tmp_path / "plain.wav")

    def seconds(path: Path) -> float:
        with wave.open(str(path)) as wav:
            return wav.getnframes() / wav.getframerate()

    assert seconds(tmp_path / "marks.wav") > seconds(tmp_path / "plain.wav") + 0.5
