"""Speech benchmark: from ``say()`` to the first audio sample handed to the output.

Run with ``make bench`` (or ``pytest -q tests/bench/test_speech_bench.py -s``). The output is
a speaker that notes the moment ``play()`` is handed a finished WAV (on the appliance that is
when aplay gets the file). A cached fixed prompt is compared with uncached text of the same
length (the same characters shuffled, so every run is new text), in the same run, for both
engines at the default settings. Target: cached within 100 ms and at least 5x faster.
"""

from __future__ import annotations

import random
import statistics
import threading
import time
from pathlib import Path

import pytest

from device.speech import PromptCache, SpeechService, identity_of, make_backend
from kiosk.config import load_config
from kiosk.intake import NO_RECEIPT
from kiosk.session import SCREEN_PROMPTS, fixed_prompts

RUNS = 15
PROMPT = SCREEN_PROMPTS["home"]  # the longest screen prompt: the worst case uncached


class FirstSampleSpeaker:
    """Notes when a WAV is handed over for playing; plays nothing."""

    def __init__(self) -> None:
        self.handed = threading.Event()
        self.at = 0.0

    def play(self, wav_path: Path) -> None:
        self.at = time.perf_counter()
        self.handed.set()

    def stop(self) -> None:
        pass


def _latency(service: SpeechService, speaker: FirstSampleSpeaker, text: str) -> float:
    assert service.wait_idle(60)
    speaker.handed.clear()
    began = time.perf_counter()
    service.say(text)
    assert speaker.handed.wait(60)
    return (speaker.at - began) * 1000


def _summary(values: list[float]) -> str:
    ordered = sorted(values)
    p90 = ordered[int(0.9 * (len(ordered) - 1))]
    return f"median {statistics.median(values):7.1f} ms  p90 {p90:7.1f} ms"


@pytest.mark.parametrize("engine", ["pyttsx3", "espeak"])
def test_cached_prompt_starts_fast(engine: str, tmp_path: Path) -> None:
    defaults = load_config().speech  # what users get
    backend = make_backend(engine, voice=defaults.voice, rate=defaults.rate,
                           volume=defaults.volume)
    cache = PromptCache(tmp_path / "cache", identity_of(backend))
    speaker = FirstSampleSpeaker()
    service = SpeechService(backend, speaker, tmp_path / "work", cache=cache)
    try:
        prompts = fixed_prompts(NO_RECEIPT)
        began = time.perf_counter()
        service.prepare(prompts)
        assert service.wait_prepared(300)
        prepare_s = time.perf_counter() - began

        rng = random.Random(4)
        cached, uncached = [], []
        for _ in range(RUNS):  # interleaved, so both see the same machine load
            cached.append(_latency(service, speaker, PROMPT))
            shuffled = "".join(rng.sample(PROMPT, len(PROMPT)))
            uncached.append(_latency(service, speaker, shuffled))
    finally:
        service.close()
    ratio = statistics.median(uncached) / statistics.median(cached)
    print(f"\n[{engine}] say() -> first sample, {len(PROMPT)}-character prompt, {RUNS} runs")
    print(f"  cached   {_summary(cached)}")
    print(f"  uncached {_summary(uncached)}")
    print(f"  uncached / cached = {ratio:.0f}x; first-start prepare of {len(prompts)} prompts: "
          f"{prepare_s:.2f} s")
    assert statistics.median(cached) < 100
    assert ratio >= 5
