"""The staff's side of speech with real processes: a player that ignores SIGTERM is killed,
`shuoshi speak --prepare` fails loudly when nothing could be cached, and `shuoshi doctor`
checks each engine through what it really uses (pyttsx3: the library; "espeak": the binary)."""

from __future__ import annotations

import os
import shutil
import threading
import time
from pathlib import Path

import pytest

from device.speech import AplaySpeaker
from tests.conftest import free_port, shuoshi
from tests.test_speech import _write_tone


def _stubborn_player(tmp_path: Path) -> str:
    """Stands in for aplay: ignores SIGTERM (as a player stuck in a sound driver can) and
    would play for a minute. ``exec`` keeps it one process, the ignored signal included."""
    script = tmp_path / "aplay"
    script.write_text(f"#!/bin/sh\necho $$ > {tmp_path}/pid\ntrap '' TERM\nexec sleep 60\n",
                      encoding="utf-8")
    script.chmod(0o755)
    return str(script)


def test_a_player_that_ignores_sigterm_is_killed(tmp_path: Path) -> None:
    speaker = AplaySpeaker(binary=_stubborn_player(tmp_path))
    _write_tone(tmp_path / "tone.wav", 100)
    player = threading.Thread(target=speaker.play, args=(tmp_path / "tone.wav",))
    player.start()
    deadline = time.monotonic() + 10
    while not (tmp_path / "pid").exists() and time.monotonic() < deadline:
        time.sleep(0.01)
    pid = int((tmp_path / "pid").read_text())
    time.sleep(0.2)  # the trap is set
    began = time.monotonic()
    speaker.stop()
    assert time.monotonic() - began < 0.1  # stop() never waits: it is called from the UI
    time.sleep(0.5)
    assert Path(f"/proc/{pid}").exists()  # SIGTERM was ignored...
    player.join(5)
    ended = time.monotonic() - began
    assert not player.is_alive() and 0.9 < ended < 3.0  # ...so it was killed after ~1 s
    assert not Path(f"/proc/{pid}").exists()


def _config(tmp_path: Path, speech: str = "") -> Path:
    path = tmp_path / "kiosk.toml"
    path.write_text(f"""
[store]
path = "{tmp_path}/kiosk.db"
[sync]
server_url = "http://127.0.0.1:{free_port()}"
[printer]
out_dir = "{tmp_path}/receipts"
[speech]
out_dir = "{tmp_path}/speech"
{speech}
""", encoding="utf-8")
    return path


def test_prepare_fails_when_the_engine_fails_on_every_prompt(tmp_path: Path) -> None:
    config = _config(tmp_path, 'voice = "no-such-voice"')
    prepared = shuoshi("speak", "--prepare", "--config", str(config))
    assert prepared.returncode == 1, prepared.stdout
    assert "no prompt could be cached" in prepared.stdout
    assert "engine failed on every one" in prepared.stdout
    assert "prompts cached in" not in prepared.stdout
    assert not [p for p in (tmp_path / "speech-cache").glob("*.wav")
                if not p.name.startswith("chime")]


def test_prepare_succeeds_and_says_so(tmp_path: Path) -> None:
    prepared = shuoshi("speak", "--prepare", "--config", str(_config(tmp_path)))
    assert prepared.returncode == 0, prepared.stdout + prepared.stderr
    assert "prompts cached in" in prepared.stdout


def _path_without_espeak(tmp_path: Path) -> str:
    """A PATH with the tools the doctor looks for, but no espeak-ng."""
    bin_dir = tmp_path / "bin"
    bin_dir.mkdir()
    for tool in ("fc-list", "aplay"):
        found = shutil.which(tool)
        if found:
            (bin_dir / tool).symlink_to(found)
    return str(bin_dir)


def _speech_lines(stdout: str) -> list[str]:
    """The doctor's lines about the engine, the voice and the mute switch."""
    return [line for line in stdout.splitlines() if line.partition("] ")[2].startswith("speech")]


@pytest.mark.skipif(shutil.which("espeak-ng") is None, reason="needs espeak-ng to hide it")
def test_doctor_pyttsx3_needs_only_the_library(tmp_path: Path) -> None:
    env = {**os.environ, "PATH": _path_without_espeak(tmp_path)}
    doctor = shuoshi("doctor", "--config", str(_config(tmp_path)), env=env)
    lines = _speech_lines(doctor.stdout)
    assert not [line for line in lines if line.startswith("[FAIL]")], doctor.stdout
    assert any(line.startswith("[ok] speech engine: pyttsx3 on libespeak-ng 1.")
               and "no espeak-ng binary" in line for line in lines)
    assert "[ok] speech voice: cmn-latn-pinyin reads Mandarin with tones" in lines


def test_doctor_espeak_backend_needs_the_binary(tmp_path: Path) -> None:
    env = {**os.environ, "PATH": _path_without_espeak(tmp_path)}
    config = _config(tmp_path, 'backend = "espeak"')
    doctor = shuoshi("doctor", "--config", str(config), env=env)
    assert doctor.returncode == 1
    assert "[FAIL] speech: espeak-ng not installed" in doctor.stdout


@pytest.mark.skipif(shutil.which("espeak-ng") is None, reason="needs the espeak-ng binary")
def test_doctor_the_other_way_round_binary_without_library(tmp_path: Path) -> None:
    """A broken libespeak-ng first on the library path: pyttsx3 cannot load it, while the
    espeak-ng binary (started with the system's library) works."""
    broken = tmp_path / "lib"
    broken.mkdir()
    (broken / "libespeak-ng.so.1").write_bytes(b"not a library")
    bin_dir = Path(_path_without_espeak(tmp_path))
    (bin_dir / "espeak-ng").write_text(
        f"#!/bin/sh\nexec env -u LD_LIBRARY_PATH {shutil.which('espeak-ng')} \"$@\"\n",
        encoding="utf-8")
    (bin_dir / "espeak-ng").chmod(0o755)
    env = {**os.environ, "PATH": f"{bin_dir}:/usr/bin:/bin", "LD_LIBRARY_PATH": str(broken)}

    pyttsx3 = _speech_lines(shuoshi("doctor", "--config", str(_config(tmp_path)), env=env).stdout)
    assert "[FAIL] speech engine: pyttsx3 cannot load libespeak-ng" in "\n".join(pyttsx3)
    assert not any("speech voice" in line for line in pyttsx3)

    config = _config(tmp_path, 'backend = "espeak"')
    espeak = _speech_lines(shuoshi("doctor", "--config", str(config), env=env).stdout)
    assert any(line.startswith("[ok] speech engine: espeak on eSpeak NG") for line in espeak)
    assert "[ok] speech voice: cmn-latn-pinyin reads Mandarin with tones" in espeak
