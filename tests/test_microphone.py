"""The microphone behind device/: the WAV fake at real-time pace, ALSA capture through arecord
(the real one on this machine, a fake one on PATH), the level meter's scale."""

from __future__ import annotations

import math
import os
import random
import shutil
import sys
import threading
import wave
from array import array
from pathlib import Path

import pytest

from device.microphone import (
    CHUNK_BYTES,
    RATE,
    AlsaMicrophone,
    MicrophoneUnavailable,
    RealTimePace,
    SwitchedOffMicrophone,
    WavMicrophone,
    level_of,
    microphone_from_config,
    read_as_capture,
)
from kiosk.config import MicrophoneConfig
from tests.conftest import kiosk_toml, shuoshi

CARD = "card 1: Device [USB PnP Sound Device], device 0: USB Audio [USB Audio]"


def write_wav(path: Path, samples: list[int], *, rate: int = RATE, channels: int = 1) -> Path:
    with wave.open(str(path), "wb") as w:
        w.setnchannels(channels)
        w.setsampwidth(2)
        w.setframerate(rate)
        data = array("h", samples)
        if sys.byteorder == "big":
            data.byteswap()
        w.writeframes(data.tobytes())
    return path


def tone(seconds: float, *, rate: int = RATE, amplitude: int = 8000) -> list[int]:
    return [int(amplitude * math.sin(2 * math.pi * 440 * i / rate))
            for i in range(int(seconds * rate))]


def read_all(capture: WavMicrophone | AlsaMicrophone) -> list[bytes]:
    opened = capture.open()
    chunks = []
    while chunk := opened.read():
        chunks.append(chunk)
    opened.close()
    return chunks


class FakeClock:
    """monotonic() and sleep() for RealTimePace: sleeping moves the clock."""

    def __init__(self) -> None:
        self.now = 100.0
        self.slept = 0.0

    def monotonic(self) -> float:
        return self.now

    def sleep(self, seconds: float) -> None:
        self.now += seconds
        self.slept += seconds


# --- the WAV fake --------------------------------------------------------------------------


def test_a_two_second_wav_gives_two_seconds_of_chunks_at_real_time_pace(tmp_path: Path) -> None:
    wav = write_wav(tmp_path / "two.wav", tone(2.0, rate=22_050), rate=22_050)
    clock = FakeClock()
    handed: list[tuple[float, int]] = []  # (clock when a chunk was handed over, its size)

    def pace() -> RealTimePace:
        return RealTimePace(clock=clock.monotonic, sleep=clock.sleep)

    capture = WavMicrophone(wav, pace=pace).open()
    start = clock.now
    while chunk := capture.read():
        handed.append((clock.now - start, len(chunk)))

    assert len(handed) == 20
    assert all(size == CHUNK_BYTES for _, size in handed)  # 100 ms each, like arecord's
    assert sum(size for _, size in handed) == 2 * RATE * 2
    # each chunk comes only once its 100 ms have passed, so 2 s of audio take 2 s
    assert [round(at, 6) for at, _ in handed] == [round(0.1 * (i + 1), 6) for i in range(20)]
    assert clock.slept == pytest.approx(2.0)


def test_real_time_pace_does_not_wait_for_audio_already_due() -> None:
    clock = FakeClock()
    pace = RealTimePace(clock=clock.monotonic, sleep=clock.sleep)
    clock.now += 0.5  # the reader was late (a busy machine)
    pace(0.3)
    assert clock.slept == 0.0
    pace(0.7)
    assert clock.slept == pytest.approx(0.2)


def test_the_wav_is_heard_as_16khz_mono(tmp_path: Path) -> None:
    stereo = tone(1.0, rate=44_100)
    interleaved = [s for pair in zip(stereo, stereo, strict=True) for s in pair]
    wav = write_wav(tmp_path / "stereo.wav", interleaved, rate=44_100, channels=2)
    pcm = read_as_capture(wav)
    assert len(pcm) == RATE * 2
    heard = array("h", pcm)
    if sys.byteorder == "big":
        heard.byteswap()
    assert max(heard) == pytest.approx(8000, abs=50)  # the same tone, not summed channels


def test_wav_microphone_says_why_it_cannot_hear(tmp_path: Path) -> None:
    missing = WavMicrophone(tmp_path / "nothing.wav")
    assert missing.unavailable_reason() == f"WAV file {tmp_path / 'nothing.wav'} not found"
    with pytest.raises(MicrophoneUnavailable):
        missing.open()
    (tmp_path / "bad.wav").write_bytes(b"not a wav file at all")
    assert "cannot be read" in str(WavMicrophone(tmp_path / "bad.wav").unavailable_reason())


def test_closing_ends_a_wav_capture(tmp_path: Path) -> None:
    wav = write_wav(tmp_path / "one.wav", tone(1.0))
    capture = WavMicrophone(wav, pace=lambda: lambda _s: None).open()
    assert len(capture.read()) == CHUNK_BYTES
    capture.close()
    assert capture.read() == b""


# --- configuration -------------------------------------------------------------------------


def test_microphone_from_config(tmp_path: Path) -> None:
    def config(kind: str, device: str) -> MicrophoneConfig:
        return MicrophoneConfig.model_validate({"kind": kind, "device": device,
                                                "max_seconds": 60, "voice_dir": ""})

    alsa = microphone_from_config(config("alsa", "plughw:1,0"))
    assert isinstance(alsa, AlsaMicrophone) and alsa.device == "plughw:1,0"
    wav = microphone_from_config(config("wav", str(tmp_path / "demo.wav")))
    assert isinstance(wav, WavMicrophone) and wav.path == tmp_path / "demo.wav"
    off = microphone_from_config(config("none", ""))
    assert isinstance(off, SwitchedOffMicrophone)
    assert off.unavailable_reason() == 'switched off (kind = "none")'
    with pytest.raises(MicrophoneUnavailable, match="switched off"):
        off.open()


# --- ALSA ----------------------------------------------------------------------------------


@pytest.mark.skipif(shutil.which("arecord") is None or Path("/proc/asound").exists(),
                    reason="needs arecord on a machine without a sound card")
def test_alsa_on_this_machine_says_there_is_no_capture_device() -> None:
    reason = AlsaMicrophone().unavailable_reason()
    assert reason == ("no capture device (arecord -l lists none; no /proc/asound: the kernel "
                      "has no sound driver)")


def test_alsa_without_arecord_says_what_to_install() -> None:
    reason = AlsaMicrophone(binary="arecord-not-installed-here").unavailable_reason()
    assert reason == "arecord-not-installed-here not installed (sudo apt install alsa-utils)"
    with pytest.raises(MicrophoneUnavailable, match="could not run"):
        AlsaMicrophone(binary="arecord-not-installed-here").open()


def fake_arecord(folder: Path, monkeypatch: pytest.MonkeyPatch, record: str,
                 listing: str = CARD) -> Path:
    """An ``arecord`` first on PATH: ``-l`` prints ``listing``; a recording saves its
    arguments to args.txt and runs the shell line ``record`` in place of itself."""
    bin_dir = folder / "bin"
    bin_dir.mkdir(exist_ok=True)
    script = bin_dir / "arecord"
    script.write_text(
        "#!/bin/sh\n"
        f"if [ \"$1\" = \"-l\" ]; then printf '%s\\n' '{listing}'; exit 0; fi\n"
        f"echo \"$@\" > {folder}/args.txt\n"
        f"{record}\n", encoding="utf-8")
    script.chmod(0o755)
    monkeypatch.setenv("PATH", f"{bin_dir}:/usr/bin:/bin")
    return folder / "args.txt"


def test_alsa_capture_reads_what_arecord_prints(tmp_path: Path,
                                                monkeypatch: pytest.MonkeyPatch) -> None:
    raw = tmp_path / "speech.raw"
    rng = random.Random(7)
    raw.write_bytes(bytes(rng.randrange(256) for _ in range(CHUNK_BYTES * 7 + 100)))
    args = fake_arecord(tmp_path, monkeypatch, f"exec cat {raw}")
    mic = AlsaMicrophone("plughw:1,0")
    assert mic.unavailable_reason() is None
    chunks = read_all(mic)
    assert b"".join(chunks) == raw.read_bytes()
    assert [len(c) for c in chunks] == [CHUNK_BYTES] * 7 + [100]
    assert args.read_text().split() == ["-q", "-D", "plughw:1,0", "-f", "S16_LE", "-r", "16000",
                                        "-c", "1", "-t", "raw"]


def test_alsa_lists_no_card_gives_a_reason(tmp_path: Path,
                                           monkeypatch: pytest.MonkeyPatch) -> None:
    fake_arecord(tmp_path, monkeypatch, "exit 0", listing="")
    assert str(AlsaMicrophone().unavailable_reason()).startswith(
        "no capture device (arecord -l lists none")


def test_alsa_failure_is_reported_with_arecords_words(tmp_path: Path,
                                                       monkeypatch: pytest.MonkeyPatch) -> None:
    fake_arecord(tmp_path, monkeypatch,
                 "echo 'arecord: main:831: audio open error: Device or resource busy' >&2\n"
                 "exit 1")
    capture = AlsaMicrophone().open()
    with pytest.raises(MicrophoneUnavailable, match=r"exit code 1: .*Device or resource busy"):
        capture.read()
    assert capture.read() == b""
    capture.close()


def test_closing_from_another_thread_ends_a_waiting_read(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    fake_arecord(tmp_path, monkeypatch, "exec sleep 60")  # a device that gives nothing
    capture = AlsaMicrophone().open()
    got: list[bytes] = []
    reader = threading.Thread(target=lambda: got.append(capture.read()))
    reader.start()
    capture.close()
    reader.join(10)
    assert not reader.is_alive() and got == [b""]


def test_closing_a_streaming_capture_ends_arecord(tmp_path: Path,
                                                  monkeypatch: pytest.MonkeyPatch) -> None:
    fake_arecord(tmp_path, monkeypatch, "exec cat /dev/zero")
    capture = AlsaMicrophone().open()
    assert capture.read() == bytes(CHUNK_BYTES)
    capture.close()
    assert capture.read() == b""
    assert capture._proc.returncode is not None  # reaped, not left running


# --- the level meter's scale ---------------------------------------------------------------


def _pcm(samples: list[int]) -> bytes:
    data = array("h", samples)
    if sys.byteorder == "big":
        data.byteswap()
    return data.tobytes()


def test_level_is_zero_for_silence_and_high_for_speech_loudness() -> None:
    rng = random.Random(3)
    assert level_of(bytes(CHUNK_BYTES)) == 0.0
    room_noise = _pcm([rng.randint(-30, 30) for _ in range(CHUNK_BYTES // 2)])
    assert level_of(room_noise) == 0.0
    speech_loud = _pcm(tone(0.1, amplitude=6000))
    assert 0.6 < level_of(speech_loud) < 1.0
    assert level_of(_pcm(tone(0.1, amplitude=32000))) == 1.0
    assert level_of(b"") == 0.0



# --- shuoshi doctor ------------------------------------------------------------------------


def _doctor_config(tmp_path: Path, microphone: str) -> str:
    return str(kiosk_toml(tmp_path, microphone=microphone))


def _microphone_line(stdout: str) -> str:
    lines = [line for line in stdout.splitlines() if "] microphone: " in line]
    assert len(lines) == 1, stdout
    return lines[0]


def test_doctor_says_whether_the_voice_note_can_be_offered(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    off = shuoshi("doctor", "--config", _doctor_config(tmp_path, 'kind = "none"'))
    assert _microphone_line(off.stdout) == \
        '[ok] microphone: switched off (kind = "none"); the voice note is not offered'

    missing = shuoshi("doctor", "--config", _doctor_config(
        tmp_path, f'kind = "wav"\ndevice = "{tmp_path}/demo.wav"'))
    assert missing.returncode == 1
    assert _microphone_line(missing.stdout) == (f"[FAIL] microphone: WAV file {tmp_path}/demo.wav"
                                                " not found; the voice note is not offered")

    fake_arecord(tmp_path, monkeypatch, "exec cat /dev/zero", listing="")
    no_card = shuoshi("doctor", "--config", _doctor_config(tmp_path, ""), env=dict(os.environ))
    assert _microphone_line(no_card.stdout).startswith(
        "[FAIL] microphone: no capture device (arecord -l lists none")

    fake_arecord(tmp_path, monkeypatch, "exec cat /dev/zero")
    usable = shuoshi("doctor", "--config", _doctor_config(tmp_path, 'device = "plughw:1,0"'),
                     env=dict(os.environ))
    assert _microphone_line(usable.stdout) == "[ok] microphone: alsa plughw:1,0 can record"
