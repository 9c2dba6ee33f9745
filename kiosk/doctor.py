"""``shuoshi doctor``: what works and what does not, in plain words."""

from __future__ import annotations

import re
import shutil
from datetime import datetime
from pathlib import Path

import httpx

from device.speech import (
    EspeakBackend,
    PromptCache,
    Pyttsx3Backend,
    SpeechBackend,
    SpeechError,
    espeak_version,
    has_alsa_playback,
    identity_of,
    make_backend,
)
from device.speech.library import library_version
from kiosk.config import AppConfig
from kiosk.fonts import MissingFontError, find_cjk_font
from kiosk.session import kiosk_prompts
from kiosk.wiring import mute_switch, speech_paths

# A Pi without a real-time clock may boot with a date long past.
EARLIEST_PLAUSIBLE_YEAR = 2025


def report(cfg: AppConfig) -> int:
    checks = [_font(cfg), *speech_checks(cfg), _microphone(cfg), scanner_check(cfg),
              *_writing(cfg), _store(cfg), _server(cfg), _clock()]
    for ok, line in checks:
        print(f"[{'ok' if ok else 'FAIL'}] {line}")
    return 0 if all(ok for ok, _ in checks) else 1


def _font(cfg: AppConfig) -> tuple[bool, str]:
    try:
        return True, f"font: {find_cjk_font(cfg.screen.font)}"
    except MissingFontError as exc:
        return False, f"font: {exc}"


def speech_checks(cfg: AppConfig) -> list[tuple[bool, str]]:
    """The engine, the voice (is it really Mandarin with tones?), audio output, mute, cache.
    Each engine is checked through what it uses: pyttsx3 the libespeak-ng library, the
    "espeak" backend the espeak-ng binary."""
    sc = cfg.speech
    if sc.backend == "silent":
        return [(True, "speech: switched off (backend = \"silent\")")]
    backend = make_backend(sc.backend, voice=sc.voice, rate=sc.rate, volume=sc.volume)
    checks = [_engine(sc.backend)]
    if checks[0][0]:
        checks.append(_voice(backend))
    if has_alsa_playback():
        checks.append((True, "audio output: a sound card, played with aplay"))
    else:
        checks.append((False, f"audio output: no sound card; speech goes to WAV files in "
                              f"{sc.out_dir}"))
    switch = mute_switch(sc)
    checks.append((True, "speech: MUTED (shuoshi speak --unmute)" if switch.is_muted()
                   else "speech: not muted"))
    _, cache_dir, _ = speech_paths(sc)
    cache = PromptCache(cache_dir, identity_of(backend))
    prompts = kiosk_prompts([(c.name, c.phrases) for c in cfg.categories], cfg.places.names)
    ready = sum(cache.get(text) is not None for text in prompts)
    checks.append((True, f"prompt cache: {ready} of {len(prompts)} prompts ready in {cache_dir}"
                   + ("" if ready == len(prompts) else " (shuoshi speak --prepare)")))
    return checks


def _engine(backend: str) -> tuple[bool, str]:
    binary = shutil.which("espeak-ng") is not None
    if backend == "espeak":
        if not binary:
            return False, "speech: espeak-ng not installed (sudo apt install espeak-ng)"
        return True, f"speech engine: espeak on {espeak_version().split('Data at')[0].strip()}"
    try:
        version = library_version()
    except OSError:
        return False, "speech engine: pyttsx3 cannot load libespeak-ng (sudo apt install " \
                      "libespeak-ng1)"
    # a hung pyttsx3 engine is replaced by the binary (device.speech.factory)
    fallback = "" if binary else (" (no espeak-ng binary: after an engine hang speech stays "
                                  "off until the kiosk restarts; sudo apt install espeak-ng)")
    return True, f"speech engine: pyttsx3 on libespeak-ng {version}{fallback}"


def _voice(backend: SpeechBackend) -> tuple[bool, str]:
    if not isinstance(backend, EspeakBackend | Pyttsx3Backend):
        return True, "speech voice: not checked"
    try:
        phonemes = backend.phonemes("您好")
    except SpeechError as exc:
        return False, f"speech voice: {exc}"
    mandarin = "(en)" not in phonemes and bool(re.search(r"[1-5]{2,3}", phonemes))
    return mandarin, (f"speech voice: {backend.voice} "
                      + ("reads Mandarin with tones" if mandarin
                         else f"does NOT read Mandarin ({phonemes.strip()[:60]})"))


def _microphone(cfg: AppConfig) -> tuple[bool, str]:
    """Whether the voice note (说给我听) can be offered, and why not."""
    from device.microphone import microphone_from_config

    mc = cfg.microphone
    reason = microphone_from_config(mc).unavailable_reason()
    if mc.kind == "none":
        return True, f"microphone: {reason}; the voice note is not offered"
    if reason:
        return False, f"microphone: {reason}; the voice note is not offered"
    return True, f"microphone: {mc.kind} {mc.device} can record"


def scanner_check(cfg: AppConfig) -> tuple[bool, str]:
    """Whether the receipt scanner opens (a HID one: and is grabbed), or why not."""
    from device.scanner import scanner_from_config

    sc = cfg.scanner
    if sc.kind == "none":
        return True, "scanner: none configured; receipts are looked up on the keypad"
    if sc.kind == "keyboard":
        return True, "scanner: a keyboard scanner read from the window (not grabbed)"
    scanner = scanner_from_config(sc)
    reason = scanner.unavailable_reason()
    if reason:
        return False, f"scanner: {scanner.description}: {reason}"
    held = ""
    if sc.kind == "hid":
        from device.scanner.hid import HidScanner

        grabbed = isinstance(scanner, HidScanner) and scanner.grabbed
        held = (" and is grabbed" if grabbed
                else " (an event stream, no input device: nothing to grab)")
    return True, f"scanner: {scanner.description} opens{held}"


def _writing(cfg: AppConfig) -> list[tuple[bool, str]]:
    """Handwriting (the zinnia model) and the word index behind the pinyin keyboard."""
    from kiosk.writing.build_index import is_current
    from kiosk.writing.handwriting import DEFAULT_MODEL, HandwritingUnavailable, Recogniser

    model = Path(cfg.input.handwriting_model) if cfg.input.handwriting_model else DEFAULT_MODEL
    try:
        Recogniser(model).close()
        hand = (True, f"handwriting: {model}")
    except HandwritingUnavailable as exc:
        hand = (False, f"handwriting: {exc}; only the pinyin keyboard is offered")
    index = cfg.input.word_index
    words = (True, f"word index: {index}") if is_current(index) else (
        False, f"word index: {index} missing or out of date "
               f"(python -m kiosk.writing.build_index {index})")
    return [hand, words]


def _store(cfg: AppConfig) -> tuple[bool, str]:
    folder = cfg.store.path.parent
    try:
        folder.mkdir(parents=True, exist_ok=True)
        free = shutil.disk_usage(folder).free // 2**20
    except OSError as exc:
        return False, f"store: {folder} not usable: {exc.strerror}"
    return free > 50, f"store: {cfg.store.path} ({free} MiB free)"


def _server(cfg: AppConfig) -> tuple[bool, str]:
    try:
        ok = httpx.get(f"{cfg.sync.server_url}/healthz", timeout=3).status_code == 200
    except httpx.HTTPError:
        ok = False
    return ok, f"server: {cfg.sync.server_url} {'answers' if ok else 'cannot be reached'}"


def _clock() -> tuple[bool, str]:
    now = datetime.now().astimezone()
    return now.year >= EARLIEST_PLAUSIBLE_YEAR, f"clock: {now:%Y-%m-%d %H:%M %Z}"
