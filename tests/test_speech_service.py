"""The speech service around the real engine: order, interruption, hangs, leaks, the prompt
cache, the chime, 再听一遍 and the mute switch. Only the sound card is faked (WAV files kept,
or an aplay stand-in)."""

from __future__ import annotations

import logging
import os
import threading
import time
from collections.abc import Iterator
from pathlib import Path

import pytest

from device.speech import (
    AplaySpeaker,
    EspeakBackend,
    MuteSwitch,
    PromptCache,
    Pyttsx3Backend,
    SpeechService,
    WavFileSpeaker,
    identity_of,
    make_speech_service,
    write_chime,
)
from device.speech.chime import CHIME_PEAK, CHIME_RATE
from tests.test_speech import _wav_facts

FIXED = ["请选择问题的类别。", "请核对内容，没有问题请点提交。", "请输入回执上的号码，然后点查询。"]


class LabelledSpeaker(WavFileSpeaker):
    """The virtual speaker, also noting which text each played WAV was made from."""

    def __init__(self, out_dir: Path, labels: dict[Path, str]) -> None:
        super().__init__(out_dir)
        self.labels = labels
        self.heard: list[str] = []

    def play(self, wav_path: Path) -> None:
        self.heard.append(self.labels.get(wav_path, "?"))
        super().play(wav_path)


class Counting:
    """Wraps a real backend; counts calls and remembers which file got which text."""

    def __init__(self, inner: EspeakBackend | Pyttsx3Backend) -> None:
        self.inner = inner
        self.identity = identity_of(inner)
        self.calls: list[str] = []
        self.labels: dict[Path, str] = {}

    def synthesize(self, text: str, wav_path: Path) -> None:
        self.calls.append(text)
        self.inner.synthesize(text, wav_path)
        self.labels[wav_path] = text


class Hanging:
    """An engine that hangs (until ``release``) on its first utterance, as pyttsx3 can."""

    def __init__(self) -> None:
        self.release = threading.Event()
        self.hung = threading.Event()

    def synthesize(self, text: str, wav_path: Path) -> None:
        self.hung.set()
        self.release.wait()


def _children() -> set[int]:
    pids: set[int] = set()
    for task in Path(f"/proc/{os.getpid()}/task").iterdir():
        try:
            children = (task / "children").read_text().split()
        except FileNotFoundError:  # a thread that ended while the tasks were listed
            continue
        pids.update(int(pid) for pid in children)
    return pids


def _speech_threads() -> list[threading.Thread]:
    return [t for t in threading.enumerate() if t.name.startswith("speech")]


@pytest.fixture
def services(tmp_path: Path) -> Iterator[list[SpeechService]]:
    started: list[SpeechService] = []
    yield started
    for service in started:
        service.close()


def test_hundred_queued_utterances_in_order_none_dropped(
    tmp_path: Path, services: list[SpeechService]
) -> None:
    backend = Counting(Pyttsx3Backend("cmn-latn-pinyin", 300, 1.0))
    cache = PromptCache(tmp_path / "cache", backend.identity)
    labels = backend.labels
    speaker = LabelledSpeaker(tmp_path / "out", labels)
    service = SpeechService(backend, speaker, tmp_path / "work", cache=cache)
    services.append(service)
    service.prepare(FIXED)
    assert service.wait_prepared(60)
    labels.update({cache.path(text): text for text in FIXED})
    said = [FIXED[n % 3] if n % 10 == 0 else f"第{n}位" for n in range(100)]
    for text in said:
        service.say(text)
    assert service.wait_idle(120)
    assert speaker.heard == said
    assert len(speaker.played) == 100
    for wav in speaker.played[::9]:
        rate, seconds, peak = _wav_facts(wav)
        assert rate == 22050 and 0.2 < seconds < 10 and peak > 1000
    assert sorted(set(backend.calls) & set(FIXED)) == sorted(FIXED)
    assert len(backend.calls) == 90 + 3  # each fixed prompt synthesised once only
    assert list((tmp_path / "work").iterdir()) == []


def _fake_aplay(tmp_path: Path, body: str) -> str:
    script = tmp_path / "aplay"
    script.write_text(f"#!/bin/sh\n{body}\n", encoding="utf-8")
    script.chmod(0o755)
    return str(script)


def _wait_for(check: object, timeout: float = 10.0) -> bool:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if callable(check) and check():
            return True
        time.sleep(0.005)
    return False


def test_new_prompt_interrupts_the_old_one_promptly(
    tmp_path: Path, services: list[SpeechService]
) -> None:
    """What KioskApp.go does on every new screen: stop(), then say the new prompt. The old
    playback (an aplay that would play for 30 s) is cut short and the new one starts."""
    log = tmp_path / "aplay.log"
    speaker = AplaySpeaker(binary=_fake_aplay(tmp_path, f'echo "$2" >> {log}; exec sleep 30'))
    service = SpeechService(EspeakBackend("cmn-latn-pinyin", 120, 1.0), speaker,
                            tmp_path / "work")
    services.append(service)
    service.say("请选择问题的类别。")
    assert _wait_for(lambda: log.exists() and len(log.read_text().splitlines()) == 1)
    began = time.monotonic()
    service.stop()
    service.say("请核对内容。")
    returned = time.monotonic() - began
    assert _wait_for(lambda: len(log.read_text().splitlines()) == 2)
    switched = time.monotonic() - began
    assert returned < 0.5 and switched < 5  # sanity bounds; timings are in the benchmark
    service.stop()
    assert service.wait_idle(5)  # the second one stops too: idle long before sleep 30 ends


def test_engine_hang_never_blocks_the_caller_and_speech_recovers(
    tmp_path: Path, services: list[SpeechService], caplog: pytest.LogCaptureFixture
) -> None:
    hanging = Hanging()
    speaker = WavFileSpeaker(tmp_path / "out")
    service = SpeechService(
        hanging, speaker, tmp_path / "work", hang_seconds=1.0,
        restart_backend=lambda: EspeakBackend("cmn-latn-pinyin", 120, 1.0),
    )
    services.append(service)
    with caplog.at_level(logging.WARNING, logger="device.speech"):
        service.say("您的电话是13800138000")  # hangs the engine
        assert hanging.hung.wait(10)
        began = time.monotonic()
        for _ in range(50):  # what the UI thread does meanwhile: all return at once
            service.stop()
            service.say("请选择问题的类别。")
            service.replay()
        assert time.monotonic() - began < 1.0
        assert service.wait_idle(30)
    assert service.restarts == 1
    assert speaker.played, "speech did not recover after the hang"
    _, seconds, peak = _wav_facts(speaker.played[-1])
    assert seconds > 0.5 and peak > 1000
    assert "13800138000" not in caplog.text and "stuck" in caplog.text
    # the abandoned worker ends as soon as the engine lets it go
    assert len(_speech_threads()) == 3  # new worker, watchdog, the stuck one
    hanging.release.set()
    assert _wait_for(lambda: len(_speech_threads()) == 2)
    service.say("谢谢")
    assert service.wait_idle(30)


def test_no_thread_or_process_leak_after_1000_utterances(tmp_path: Path) -> None:
    threads_before, children_before = threading.active_count(), _children()
    fds_before = len(os.listdir("/proc/self/fd"))
    speaker = AplaySpeaker(binary=_fake_aplay(tmp_path, 'exec cat "$2" > /dev/null'))
    service = SpeechService(EspeakBackend("cmn-latn-pinyin", 300, 1.0), speaker,
                            tmp_path / "work", cache=PromptCache(tmp_path / "cache", "t"),
                            chime=write_chime(tmp_path / "cache" / "chime-100.wav"))
    service.prepare(FIXED)
    for n in range(1000):
        if n % 10 == 0:
            service.announce(f"{n}号")  # chime + synthesised by espeak-ng, a child process
        else:
            service.say(FIXED[n % 3])  # from the cache
        if n % 100 == 50:
            service.stop()
    assert service.wait_idle(300)
    service.close()
    assert threading.active_count() == threads_before
    assert _children() == children_before
    assert len(os.listdir("/proc/self/fd")) == fds_before
    assert list((tmp_path / "work").iterdir()) == []


def test_replay_says_the_last_prompt_again(
    tmp_path: Path, services: list[SpeechService]
) -> None:
    backend = Counting(EspeakBackend("cmn-latn-pinyin", 200, 1.0))
    speaker = LabelledSpeaker(tmp_path / "out", backend.labels)
    service = SpeechService(backend, speaker, tmp_path / "work")
    services.append(service)
    service.say("请选择问题的类别。")
    assert service.wait_idle(30)
    service.stop()  # a new screen
    service.say("提交成功。")
    service.say("请取走回执。")
    assert service.wait_idle(30)
    service.replay()
    assert service.wait_idle(30)
    assert speaker.heard == ["请选择问题的类别。", "提交成功。", "请取走回执。",
                             "提交成功。", "请取走回执。"]


def test_chime_plays_before_an_announcement(
    tmp_path: Path, services: list[SpeechService]
) -> None:
    service = make_speech_service(
        "espeak", voice="cmn", rate=120, volume=0.5, work_dir=tmp_path / "work",
        out_dir=tmp_path / "out", cache_dir=tmp_path / "cache",
        speaker=WavFileSpeaker(tmp_path / "out"))
    services.append(service)
    assert service.chime_wav is not None
    service.announce("您的事项当前在理事阶段。")
    assert service.wait_idle(30)
    chime, words = sorted((tmp_path / "out").glob("*.wav"))
    assert chime.read_bytes() == service.chime_wav.read_bytes()
    rate, seconds, peak = _wav_facts(chime)
    assert rate == CHIME_RATE and 0.3 < seconds < 1.0
    assert 0.5 * CHIME_PEAK * 0.5 * 32767 < peak <= CHIME_PEAK * 0.5 * 32767 + 1  # soft
    assert _wav_facts(words)[1] > 1.0


def test_mute_switch_silences_a_running_service(
    tmp_path: Path, services: list[SpeechService], caplog: pytest.LogCaptureFixture
) -> None:
    switch = MuteSwitch(tmp_path / "speech-muted")
    speaker = WavFileSpeaker(tmp_path / "out")
    service = SpeechService(EspeakBackend("cmn", 120, 1.0), speaker, tmp_path / "work",
                            mute=switch)
    services.append(service)
    switch.set(True)
    with caplog.at_level(logging.INFO, logger="device.speech"):
        for _ in range(5):
            service.say("请选择问题的类别。")
        assert service.wait_idle(30)
    assert speaker.played == []
    assert caplog.text.count("speech is muted") == 1  # logged once, not per utterance
    switch.set(False)
    service.say("请选择问题的类别。")
    assert service.wait_idle(30)
    assert len(speaker.played) == 1
    assert MuteSwitch(None, always=True).is_muted()


def test_cache_is_keyed_by_settings_and_stale_files_are_pruned(tmp_path: Path) -> None:
    def service_at(rate: int, volume: float) -> tuple[SpeechService, Counting]:
        backend = Counting(EspeakBackend("cmn-latn-pinyin", rate, volume))
        cache = PromptCache(tmp_path / "cache", backend.identity)
        return SpeechService(backend, WavFileSpeaker(tmp_path / "out"), tmp_path / "work",
                             cache=cache), backend

    first, backend = service_at(120, 1.0)
    first.prepare(FIXED, prune=True)
    assert first.wait_prepared(60)
    first.say(FIXED[0])
    first.say("回执号码零零四二")  # dynamic: synthesised, not cached
    assert first.wait_idle(30)
    first.close()
    assert len(backend.calls) == 4 and first.cache is not None and len(first.cache) == 3
    old_files = set((tmp_path / "cache").glob("*.wav"))

    again, backend = service_at(120, 1.0)  # same settings: nothing to render
    again.prepare(FIXED, prune=True)
    assert again.wait_prepared(60)
    again.close()
    assert backend.calls == []

    for rate, volume in ((150, 1.0), (120, 0.6)):  # changed settings: rendered anew
        changed, backend = service_at(rate, volume)
        changed.prepare(FIXED, prune=True)
        assert changed.wait_prepared(60)
        changed.close()
        assert sorted(backend.calls) == sorted(FIXED)
        new_files = set((tmp_path / "cache").glob("*.wav"))
        assert len(new_files) == 3 and not new_files & old_files  # the stale ones are gone
        old_files = new_files


def test_a_prompt_rendered_by_another_process_is_waited_for_not_rendered_twice(
    tmp_path: Path
) -> None:
    here = Counting(EspeakBackend("cmn-latn-pinyin", 165, 1.0))
    cache = PromptCache(tmp_path / "cache", here.identity)
    speaker = WavFileSpeaker(tmp_path / "out")
    service = SpeechService(here, speaker, tmp_path / "work", cache=cache)
    elsewhere = EspeakBackend("cmn-latn-pinyin", 165, 1.0)  # what `speak --prepare` runs
    try:
        service.register(FIXED, rendered_elsewhere_s=5.0)
        service.say(FIXED[0])
        time.sleep(0.3)  # the other process gets there a moment later
        made = cache.store(FIXED[0], elsewhere.synthesize)
        assert service.wait_idle(10)
        assert here.calls == []  # waited for the cache, did not render it itself
        assert made is not None and speaker.played[-1].read_bytes() == made.read_bytes()

        service.register([], rendered_elsewhere_s=0.0)  # the other process is done
        service.say(FIXED[1])  # still missing: rendered here, into the cache
        assert service.wait_idle(10)
        assert here.calls == [FIXED[1]] and cache.get(FIXED[1]) is not None
    finally:
        service.close()
