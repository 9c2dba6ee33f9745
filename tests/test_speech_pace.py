"""How fast the kiosk talks, measured from the real WAVs: the default rate, 慢一点 (the slow
pace for one resident's visit) with both engines, and a 3,000-character text spoken whole
without tripping the hang watchdog. Only the sound card is replaced (WAV files kept)."""

from __future__ import annotations

import array
import re
import time
import wave
from collections.abc import Iterator
from pathlib import Path

import pytest

from device.speech import SpeechService, WavFileSpeaker, for_listening, make_speech_service
from device.speech.service import DEFAULT_HANG_SECONDS
from device.speech.utterances import MAX_UTTERANCE_CHARS, utterances
from kiosk.config import SpeechConfig, load_config
from kiosk.intake import NO_RECEIPT
from kiosk.session import fixed_prompts

NORMAL = (3.0, 3.5)
"""Syllables a second at the default rate: brisk enough not to drag, slow enough to follow."""
SLOW = (2.3, 2.6)
"""Syllables a second at the slow pace (慢一点)."""
SILENCE = 0.02
"""Samples quieter than this share of full scale count as silence."""
PROMPTS = fixed_prompts(NO_RECEIPT)


def syllables(text: str) -> int:
    """Syllables said for ``text``: its Han characters once made for listening."""
    return len(re.findall(r"[\u3007\u4e00-\u9fff]", for_listening(text)))


def speech_seconds(wav_path: Path) -> float:
    """The WAV's length without its leading and trailing silence."""
    with wave.open(str(wav_path), "rb") as wav:
        rate = wav.getframerate()
        samples = array.array("h", wav.readframes(wav.getnframes()))
    loud = [i for i, s in enumerate(samples) if abs(s) > SILENCE * 32767]
    return (loud[-1] + 1 - loud[0]) / rate if loud else 0.0


def wav_seconds(wav_path: Path) -> float:
    with wave.open(str(wav_path), "rb") as wav:
        return wav.getnframes() / wav.getframerate()


def pace(texts: list[str], wavs: list[Path]) -> float:
    """Syllables a second over all of ``texts``, spoken as ``wavs``."""
    assert len(wavs) == len(texts)
    return sum(syllables(t) for t in texts) / sum(speech_seconds(w) for w in wavs)


@pytest.fixture
def defaults() -> SpeechConfig:
    """The packaged [speech] settings, as the kiosk runs without a config file."""
    return load_config().speech


@pytest.fixture
def services() -> Iterator[list[SpeechService]]:
    started: list[SpeechService] = []
    yield started
    for service in started:
        service.close()


def start(tmp_path: Path, services: list[SpeechService], sc: SpeechConfig,
          backend: str | None = None) -> tuple[SpeechService, WavFileSpeaker]:
    """The speech service as the kiosk builds it from ``sc`` (prompt cache, chime off, default
    hang watchdog), playing into WAV files."""
    speaker = WavFileSpeaker(tmp_path / "out")
    service = make_speech_service(
        backend or sc.backend, voice=sc.voice, rate=sc.rate, volume=sc.volume,
        work_dir=tmp_path / "work", out_dir=tmp_path / "out", cache_dir=tmp_path / "cache",
        chime=False, hang_seconds=sc.hang_seconds, speaker=speaker)
    services.append(service)
    return service, speaker


def say_all(service: SpeechService, speaker: WavFileSpeaker, texts: list[str]) -> list[Path]:
    """Say each text; the WAVs played for them."""
    before = len(speaker.played)
    for text in texts:
        service.say(text)
    assert service.wait_idle(120)
    return speaker.played[before:]


def test_default_rate_is_three_to_three_and_a_half_syllables_a_second(
    tmp_path: Path, services: list[SpeechService], defaults: SpeechConfig
) -> None:
    assert defaults.backend == "pyttsx3"
    service, speaker = start(tmp_path, services, defaults)
    measured = pace(PROMPTS, say_all(service, speaker, PROMPTS))
    print(f"default rate {defaults.rate}: {measured:.2f} syllables/s over {len(PROMPTS)} prompts")
    assert NORMAL[0] <= measured <= NORMAL[1]


@pytest.mark.parametrize("backend", ["pyttsx3", "espeak"])
def test_slow_pace_for_one_visit_then_back_to_normal(
    tmp_path: Path, services: list[SpeechService], defaults: SpeechConfig, backend: str
) -> None:
    service, speaker = start(tmp_path, services, defaults, backend)
    service.prepare(PROMPTS)
    assert service.wait_prepared(120)
    cache = service.cache
    assert cache is not None and all(cache.get(text) for text in PROMPTS)

    began = time.monotonic()
    service.set_slow(True)
    assert time.monotonic() - began < 0.05 and service.is_slow
    slow_wavs = say_all(service, speaker, PROMPTS)
    slow = pace(PROMPTS, slow_wavs)
    # the cached normal-pace prompts were never played while slow
    normal_bytes = {cache.path(text).read_bytes() for text in PROMPTS}
    assert not {wav.read_bytes() for wav in slow_wavs} & normal_bytes

    service.set_slow(False)
    assert not service.is_slow
    normal_wavs = say_all(service, speaker, PROMPTS)
    normal = pace(PROMPTS, normal_wavs)
    assert [wav.read_bytes() for wav in normal_wavs] == [
        cache.path(text).read_bytes() for text in PROMPTS]  # from the cache again

    service.set_slow(True)  # slow prompts are cached too, by their own rate
    again = say_all(service, speaker, PROMPTS[:3])
    assert [w.read_bytes() for w in again] == [w.read_bytes() for w in slow_wavs[:3]]
    print(f"{backend}: slow {slow:.2f}, normal {normal:.2f} syllables/s")
    assert SLOW[0] <= slow <= SLOW[1]
    assert NORMAL[0] <= normal <= NORMAL[1]


def test_slow_applies_to_what_is_queued_after_it(
    tmp_path: Path, services: list[SpeechService], defaults: SpeechConfig
) -> None:
    service, speaker = start(tmp_path, services, defaults, "espeak")
    text = "请输入回执上的号码，然后点查询。"
    service.say(text)
    service.set_slow(True)
    service.say(text)
    service.set_slow(False)
    service.say(text)
    assert service.wait_idle(60)
    first, slow, last = (speech_seconds(w) for w in speaker.played)
    assert first == last and slow > 1.2 * first
    service.set_slow(True)
    service.replay()  # 再听一遍 after 慢一点: the same three, now all slow
    assert service.wait_idle(60)
    assert [speech_seconds(w) for w in speaker.played[3:]] == [slow] * 3


def test_three_thousand_characters_are_spoken_whole_without_a_restart(
    tmp_path: Path, services: list[SpeechService], defaults: SpeechConfig
) -> None:
    assert defaults.hang_seconds == DEFAULT_HANG_SECONDS == 20
    text = ("".join(PROMPTS) * 20)[:3000]
    pieces = utterances(text)
    service, speaker = start(tmp_path, services, defaults)
    began = time.monotonic()
    service.say(text)
    assert service.wait_idle(600)
    took = time.monotonic() - began
    assert service.restarts == 0
    assert len(speaker.played) == len(pieces)  # every sentence, none dropped
    assert max(len(p) for p in pieces) <= MAX_UTTERANCE_CHARS
    longest = max(wav_seconds(w) for w in speaker.played)
    assert longest < DEFAULT_HANG_SECONDS  # no one utterance near the watchdog's limit
    audio = sum(wav_seconds(w) for w in speaker.played)
    measured = pace(pieces, speaker.played)
    print(f"3,000 characters: {len(pieces)} utterances (longest {longest:.1f} s), rendered "
          f"in {took:.1f} s, {audio:.0f} s of audio, {measured:.2f} syllables/s, "
          f"restarts {service.restarts}")
    assert NORMAL[0] <= measured <= NORMAL[1]  # about what the text should take


def test_replay_repeats_the_whole_long_text(
    tmp_path: Path, services: list[SpeechService], defaults: SpeechConfig
) -> None:
    service, speaker = start(tmp_path, services, defaults, "espeak")
    text = "".join(PROMPTS[:8])
    pieces = utterances(text)
    assert len(pieces) > 1
    first = say_all(service, speaker, [text])
    service.replay()
    assert service.wait_idle(60)
    again = speaker.played[len(first):]
    assert len(first) == len(again) == len(pieces)
    assert [w.read_bytes() for w in first] == [w.read_bytes() for w in again]


def test_a_fixed_prompt_is_never_cut(
    tmp_path: Path, services: list[SpeechService], defaults: SpeechConfig
) -> None:
    service, speaker = start(tmp_path, services, defaults, "espeak")
    prompt = "".join(PROMPTS[:4])
    assert len(prompt) > MAX_UTTERANCE_CHARS
    service.prepare([prompt])
    assert service.wait_prepared(60)
    (played,) = say_all(service, speaker, [prompt])
    assert service.cache is not None
    assert played.read_bytes() == service.cache.path(prompt).read_bytes()


def test_long_text_is_cut_into_sentences() -> None:
    text = "您好，欢迎来到说事厅。请选择问题的类别！" * 10
    pieces = utterances(text)
    assert "".join(pieces) == text
    assert all(len(p) <= MAX_UTTERANCE_CHARS and p[-1] in "。！" for p in pieces)
    assert utterances("请核对内容。") == ["请核对内容。"]
    assert utterances("") == []


def test_a_long_sentence_is_cut_at_commas_then_between_han_characters() -> None:
    clauses = "，".join(["这是一个很长的分句没有句号"] * 10) + "。"
    pieces = utterances(clauses)
    assert "".join(pieces) == clauses
    assert all(len(p) <= MAX_UTTERANCE_CHARS and p[-1] in "，。" for p in pieces)
    run = "说" * 100 + "2025年11月21日" + "说" * 100
    pieces = utterances(run, limit=40)
    assert "".join(pieces) == run and all(len(p) <= 40 for p in pieces)
    assert any("2025年11月21日" in p for p in pieces)  # a date is never cut
    assert all(for_listening(p) for p in pieces)
