"""device.speech with the real espeak-ng engine and real WAV files."""

from __future__ import annotations

import array
import logging
import re
import threading
import time
import wave
from collections.abc import Callable, Iterator
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import pytest

from device.speech import (
    MANDARIN_VOICE,
    AplaySpeaker,
    EspeakBackend,
    Pyttsx3Backend,
    SilentBackend,
    SpeechBackend,
    SpeechError,
    SpeechService,
    WavFileSpeaker,
    has_alsa_playback,
    has_pypinyin,
    make_speech_service,
    resolve_voice,
    speech_text_for_ticket,
    to_pinyin,
)
from device.speech import factory as factory_module

PROMPT = "您的回执号码是幺二三四"


def _write_tone(wav_path: Path, frames: int) -> None:
    with wave.open(str(wav_path), "wb") as out:
        out.setnchannels(1)
        out.setsampwidth(2)
        out.setframerate(22050)
        out.writeframes(array.array("h", [1000, -1000] * (frames // 2)).tobytes())


def _wav_facts(wav_path: Path) -> tuple[int, float, int]:
    """Sample rate, duration in seconds and peak amplitude of a 16-bit mono WAV."""
    header = wav_path.read_bytes()[:12]
    assert header[:4] == b"RIFF" and header[8:] == b"WAVE"
    with wave.open(str(wav_path), "rb") as wav:
        assert (wav.getnchannels(), wav.getsampwidth()) == (1, 2)
        rate, frames = wav.getframerate(), wav.getnframes()
        samples = array.array("h", wav.readframes(frames))
    return rate, frames / rate, max(abs(s) for s in samples)


def _on_own_thread(backend: SpeechBackend, text: str, wav_path: Path) -> None:
    with ThreadPoolExecutor(1) as thread:
        thread.submit(backend.synthesize, text, wav_path).result(timeout=60)


ServiceFactory = Callable[[SpeechBackend], tuple[SpeechService, WavFileSpeaker]]


@pytest.fixture
def start_service(tmp_path: Path) -> Iterator[ServiceFactory]:
    """Starts SpeechServices that play into tmp_path/out; closes them after the test."""
    started: list[SpeechService] = []

    def start(backend: SpeechBackend) -> tuple[SpeechService, WavFileSpeaker]:
        speaker = WavFileSpeaker(tmp_path / "out")
        started.append(SpeechService(backend, speaker, tmp_path / "work"))
        return started[-1], speaker

    yield start
    for service in started:
        service.close()


class SlowBackend:
    """Writes a short tone after ``delay`` seconds, or once ``gate`` is set."""

    def __init__(self, delay: float = 0.0, gate: threading.Event | None = None) -> None:
        self.delay = delay
        self.gate = gate
        self.started = threading.Event()

    def synthesize(self, text: str, wav_path: Path) -> None:
        self.started.set()
        if self.gate is not None:
            assert self.gate.wait(30)
        time.sleep(self.delay)
        _write_tone(wav_path, 2205 * len(text))


@pytest.mark.parametrize(
    ("ticket", "spoken"),
    [
        ("1234 56789 0", "幺二三四，五六七八九，零"),
        ("0000 00001 7", "零零零零，零零零零幺，七"),
        ("1111", "幺幺幺幺"),
        ("2468-1357", "二四六八，幺三五七"),
        ("  9  ", "九"),
        ("", ""),
    ],
)
def test_ticket_digits_are_read_one_by_one(ticket: str, spoken: str) -> None:
    assert speech_text_for_ticket(ticket) == spoken


def test_mandarin_aliases_use_the_pinyin_voice() -> None:
    for alias in ("cmn", "zh", "zh-cmn", "sit/cmn", "CMN"):
        assert resolve_voice(alias) == MANDARIN_VOICE
    assert resolve_voice("en") == "en"
    assert Pyttsx3Backend("cmn", 130, 1.0).voice == MANDARIN_VOICE


def test_espeak_reads_the_prompt_as_mandarin_syllables_with_tones() -> None:
    """Debian 12's espeak-ng 1.51 with voice "cmn" gives, for 你好:
    ``(en)nI55Tr'i:55_| h,eI55@55Tr'i:55(cmn)`` -- its dictionary turns 你 into "ni3" and the
    "cmn" voice reads that as English "ni three". The backend's voice reads it as pinyin."""
    backend = EspeakBackend("cmn", 130, 1.0)
    phonemes = backend.phonemes(PROMPT + "。请取走回执，凭号码查询进度。")
    assert "(en)" not in phonemes
    assert phonemes.split("\n")[0] == (
        "n'i35n_| t@33_| X'uei35_| ts.'i.35_| X'Au51_| m'A21_| s.'i.51_| "
        "j'Au55_| '@r51_| s'a55n_| s'i[51_|"
    )
    syllables = [s.strip() for s in re.split(r"_\|", phonemes) if s.strip()]
    assert len(syllables) == len(PROMPT) + 12
    for syllable in syllables:  # one tone contour (pitch 1-5, start/end) per syllable
        assert re.fullmatch(r"[^0-9]+[1-5]{2,3}[nN]?", syllable), f"not Mandarin: {syllable!r}"


@pytest.mark.skipif(not has_pypinyin(), reason="pypinyin not installed")
def test_pypinyin_reads_polyphones_by_word() -> None:
    assert to_pinyin("请重新输入，社区处理") == "qing3 chong2 xin1 shu1 ru4 ， she4 qu1 chu3 li3"
    phonemes = EspeakBackend("cmn", 130, 1.0).phonemes("请重新输入")
    assert "ts.h'ong35_|" in phonemes  # 重 read chong2, not zhong4


@pytest.mark.parametrize("kind", [Pyttsx3Backend, EspeakBackend])
def test_backend_writes_a_mandarin_wav(
    kind: type[Pyttsx3Backend | EspeakBackend], tmp_path: Path
) -> None:
    _on_own_thread(kind("cmn", 130, 1.0), PROMPT, tmp_path / "prompt.wav")
    rate, seconds, peak = _wav_facts(tmp_path / "prompt.wav")
    assert rate == 22050
    assert 0.5 < seconds < 15
    assert peak > 1000, "the WAV is (nearly) silent"


def test_both_backends_say_the_same_thing(tmp_path: Path) -> None:
    """pyttsx3 drives the same libespeak-ng: same voice and text give about the same length."""
    _on_own_thread(Pyttsx3Backend("cmn", 130, 1.0), PROMPT, tmp_path / "a.wav")
    _on_own_thread(EspeakBackend("cmn", 130, 1.0), PROMPT, tmp_path / "b.wav")
    _, via_pyttsx3, _ = _wav_facts(tmp_path / "a.wav")
    _, via_binary, _ = _wav_facts(tmp_path / "b.wav")
    assert abs(via_pyttsx3 - via_binary) < 0.05 * via_binary


@pytest.mark.parametrize("kind", [Pyttsx3Backend, EspeakBackend])
def test_unknown_voice_fails_without_showing_the_text(
    kind: type[Pyttsx3Backend | EspeakBackend], tmp_path: Path
) -> None:
    with pytest.raises(SpeechError, match="no-such-voice") as failure:
        _on_own_thread(kind("no-such-voice", 130, 1.0), "张三 13800138000", tmp_path / "x.wav")
    assert "13800138000" not in str(failure.value)


def test_service_speaks_twenty_utterances_in_order(
    tmp_path: Path, start_service: ServiceFactory
) -> None:
    """Text n is n syllables long, so the played WAVs must get longer one by one."""
    service, speaker = start_service(Pyttsx3Backend("cmn", 170, 1.0))
    for n in range(1, 21):
        service.say("幺" * n)
    assert service.wait_idle(120)
    assert [p.name for p in speaker.played] == [f"{n:04d}.wav" for n in range(1, 21)]
    durations = [_wav_facts(p)[1] for p in speaker.played]
    assert durations == sorted(durations) and len(set(durations)) == 20
    assert list((tmp_path / "work").iterdir()) == []


def test_say_returns_before_the_speech_is_made(start_service: ServiceFactory) -> None:
    service, speaker = start_service(SlowBackend(delay=0.5))
    began = time.monotonic()
    for text in ("一", "二", "三"):
        service.say(text)
    assert time.monotonic() - began < 0.4  # blocking would take at least 1.5 s
    assert speaker.played == []
    assert service.wait_idle(30)
    assert len(speaker.played) == 3


def test_stop_drops_what_is_pending(start_service: ServiceFactory) -> None:
    gate = threading.Event()
    backend = SlowBackend(gate=gate)
    service, speaker = start_service(backend)
    for text in ("一", "二", "三", "四", "五"):
        service.say(text)
    assert backend.started.wait(10)
    service.stop()
    gate.set()
    assert service.wait_idle(30)
    assert speaker.played == []
    service.say("六")
    assert service.wait_idle(30)
    assert len(speaker.played) == 1


def test_a_failing_backend_is_logged_without_the_text(
    start_service: ServiceFactory, caplog: pytest.LogCaptureFixture
) -> None:
    class Flaky:
        def synthesize(self, text: str, wav_path: Path) -> None:
            if "电话" in text:
                raise ValueError(text)
            _write_tone(wav_path, 4410)

    service, speaker = start_service(Flaky())
    with caplog.at_level(logging.WARNING, logger="device.speech"):
        service.say("您的电话是13800138000")
        service.say("谢谢")
        assert service.wait_idle(30)
    assert len(speaker.played) == 1
    assert "13800138000" not in caplog.text
    assert "utterance of 16 characters: ValueError" in caplog.text


def test_silent_service_plays_nothing_and_closes(tmp_path: Path) -> None:
    speaker = WavFileSpeaker(tmp_path / "out")
    service = SpeechService(SilentBackend(), speaker, tmp_path / "work")
    service.say(PROMPT)
    assert service.wait_idle(10)
    service.close(timeout=5)
    assert not any(t.name == "speech" and t.is_alive() for t in threading.enumerate())
    service.say(PROMPT)  # ignored once closed
    assert service.wait_idle(1)
    assert speaker.played == []


def test_wav_file_speaker_numbers_after_existing_files(tmp_path: Path) -> None:
    _write_tone(tmp_path / "0007.wav", 100)
    _write_tone(tmp_path / "tone.wav", 100)
    speaker = WavFileSpeaker(tmp_path)
    speaker.play(tmp_path / "tone.wav")
    assert speaker.played == [tmp_path / "0008.wav"]
    assert (tmp_path / "0008.wav").read_bytes() == (tmp_path / "tone.wav").read_bytes()


def test_wav_file_speaker_keeps_only_the_last_copies(tmp_path: Path) -> None:
    _write_tone(tmp_path / "tone.wav", 100)
    out = tmp_path / "out"
    speaker = WavFileSpeaker(out, keep=3)
    for _ in range(5):
        speaker.play(tmp_path / "tone.wav")
    assert sorted(p.name for p in out.glob("*.wav")) == ["0003.wav", "0004.wav", "0005.wav"]


def _fake_aplay(tmp_path: Path, body: str) -> str:
    script = tmp_path / "aplay"
    script.write_text(f"#!/bin/sh\n{body}\n", encoding="utf-8")
    script.chmod(0o755)
    return str(script)


def test_aplay_speaker_stops_mid_playback(tmp_path: Path) -> None:
    speaker = AplaySpeaker(binary=_fake_aplay(tmp_path, 'touch "$2.playing"; exec sleep 30'))
    _write_tone(tmp_path / "tone.wav", 100)
    player = threading.Thread(target=speaker.play, args=(tmp_path / "tone.wav",))
    began = time.monotonic()
    player.start()
    while not (tmp_path / "tone.wav.playing").exists() and time.monotonic() - began < 10:
        time.sleep(0.01)
    speaker.stop()
    player.join(10)
    assert not player.is_alive()  # sleep 30 was cut short


def test_aplay_speaker_reports_a_failure(tmp_path: Path) -> None:
    speaker = AplaySpeaker(binary=_fake_aplay(tmp_path, "echo 'no such card' >&2; exit 1"))
    with pytest.raises(SpeechError, match="no such card"):
        speaker.play(tmp_path / "missing.wav")


def test_make_speech_service_picks_backend_and_speaker(
    tmp_path: Path, caplog: pytest.LogCaptureFixture, monkeypatch: pytest.MonkeyPatch
) -> None:
    def make(backend: str) -> SpeechService:
        return make_speech_service(
            backend, voice="cmn", rate=130, volume=1.0, work_dir=tmp_path, out_dir=tmp_path
        )

    monkeypatch.setattr(factory_module, "_virtual_output_logged", False)
    kinds = {"pyttsx3": Pyttsx3Backend, "espeak": EspeakBackend, "silent": SilentBackend}
    speaker_kind = AplaySpeaker if has_alsa_playback() else WavFileSpeaker
    with caplog.at_level(logging.INFO, logger="device.speech"):
        for name, kind in kinds.items():
            service = make(name)
            service.close()
            assert isinstance(service.backend, kind)
            assert isinstance(service.speaker, speaker_kind)
    if not has_alsa_playback():
        assert caplog.text.count("audio output is virtual") == 1
    with pytest.raises(ValueError, match="unknown speech backend"):
        make("festival")
