"""Speech in the real kiosk under Xvfb: the engine hangs and the screen goes on; 再听一遍;
and the staff side (`shuoshi speak --mute/--unmute/--prepare/--out`, `shuoshi doctor`).

The UI test runs this file as the kiosk process (``python -m tests.test_speech_ui CONFIG``):
the real app and wiring, with the speech engine wrapped so that its first call hangs.
"""

from __future__ import annotations

import subprocess
import sys
import threading
import time
from pathlib import Path

import pytest

from tests.conftest import free_port, shuoshi
from tests.test_speech import _wav_facts


def _config(tmp_path: Path) -> Path:
    path = tmp_path / "kiosk.toml"
    path.write_text(f"""
[hall]
kiosk_code = "0042"
[store]
path = "{tmp_path}/kiosk.db"
[sync]
server_url = "http://127.0.0.1:{free_port()}"
[printer]
out_dir = "{tmp_path}/receipts"
[speech]
out_dir = "{tmp_path}/speech"
hang_seconds = 2.0
""", encoding="utf-8")
    return path


@pytest.mark.ui
def test_hung_engine_never_freezes_the_screen_and_speech_recovers(
    tmp_path: Path, display_env: dict[str, str]
) -> None:
    config = _config(tmp_path)
    done = subprocess.run([sys.executable, "-m", "tests.test_speech_ui", str(config)],
                          capture_output=True, text=True, timeout=180, env=display_env,
                          cwd=Path(__file__).resolve().parent.parent, check=False)
    assert done.returncode == 0, done.stderr[-3000:]
    assert "WALKTHROUGH DONE" in done.stdout
    facts = dict(line.split(" ", 1) for line in done.stdout.splitlines()
                 if line.startswith(("RESTARTS", "MAX_FRAME_GAP", "REPLAYED")))
    assert facts["RESTARTS"] == "1"
    assert float(facts["MAX_FRAME_GAP"]) < 1.0  # frames kept coming while the engine hung
    # after the hang, 再听一遍 on the home screen replayed its prompts from the cache
    replayed = [Path(path) for path in facts["REPLAYED"].split()]
    last = sorted((tmp_path / "speech").glob("*.wav"))[-len(replayed):]
    assert [wav.read_bytes() for wav in last] == [wav.read_bytes() for wav in replayed]
    _, seconds, peak = _wav_facts(last[0])
    assert seconds > 2.0 and peak > 1000


def _kiosk_with_hanging_engine(config: Path) -> int:
    """The kiosk process of the UI test above."""
    from kivy.clock import Clock

    from device.speech import SpeechBackend
    from kiosk.config import load_config
    from kiosk.fonts import find_cjk_font
    from kiosk.kivy_setup import prepare_kivy, register_font
    from kiosk.wiring import build_intake, build_speech
    from sync.store import Store

    cfg = load_config(config)
    font = find_cjk_font(cfg.screen.font)
    prepare_kivy(cfg.store.path.parent / "kivy", width=800, height=480, fullscreen=False)
    register_font(font)
    store = Store(cfg.store.path)
    speech = build_speech(cfg)
    real = speech.backend
    stuck = threading.Event()

    class HangsOnce:
        identity = getattr(real, "identity", "")

        def synthesize(self, text: str, wav_path: Path) -> None:
            if not stuck.is_set():
                stuck.set()
                threading.Event().wait()  # hangs for good, like a wedged pyttsx3 engine
            real.synthesize(text, wav_path)

    hanging: SpeechBackend = HangsOnce()
    speech.backend = hanging
    intake = build_intake(cfg, font, store, speech)

    from kiosk.app import KioskApp
    from kiosk.services import KioskServices
    from kiosk.session import MESSAGES, SCREEN_PROMPTS
    from kiosk.walkthrough import Step, Walkthrough, expect_screen, tap, wait_until

    gaps = [0.0]
    last = [time.monotonic()]

    def frame(_dt: float) -> None:
        now = time.monotonic()
        gaps[0] = max(gaps[0], now - last[0])
        last[0] = now

    def report(_app: object) -> bool:
        cache = speech.cache
        assert cache is not None
        print(f"RESTARTS {speech.restarts}", flush=True)
        print(f"MAX_FRAME_GAP {gaps[0]:.3f}", flush=True)
        home_said = [SCREEN_PROMPTS["home"], MESSAGES["home_more"]]
        print(f"REPLAYED {' '.join(str(cache.path(text)) for text in home_said)}", flush=True)
        return True

    steps = [
        expect_screen("home"),
        wait_until("engine hung", stuck.is_set),
        # the resident taps on while the engine is stuck: every screen answers at once
        tap("我要说事"), expect_screen("category"), tap("返回"), expect_screen("home"),
        tap("查进度"), expect_screen("lookup"), tap("返回"), expect_screen("home"),
        wait_until("watchdog restarted the worker", lambda: speech.restarts >= 1),
        wait_until("prompts cached", lambda: speech.wait_prepared(0)),
        wait_until("speech idle", lambda: speech.wait_idle(0)),
        tap("再听一遍"),
        Step("replay queued", lambda _app: not speech.wait_idle(0) or True),
        wait_until("replay spoken", lambda: speech.wait_idle(0)),
        Step("report", report),
    ]
    services = KioskServices.from_config(cfg, store, intake, speech)
    Clock.schedule_interval(frame, 0)
    KioskApp(services, on_started=Walkthrough(steps).start).run()
    intake.wait_printed(5.0)
    speech.close(timeout=2.0)
    store.close()
    return 0


def test_staff_mute_unmute_prepare_and_doctor(tmp_path: Path) -> None:
    config = str(_config(tmp_path))
    muted = shuoshi("speak", "--config", config, "--mute")
    assert muted.returncode == 0 and "speech is muted" in muted.stdout
    assert (tmp_path / "speech-muted").exists()
    said = shuoshi("speak", "--config", config, "请选择问题的类别。")
    assert said.returncode == 0 and not list((tmp_path / "speech").glob("*.wav"))
    doctor = shuoshi("doctor", "--config", config)
    assert "[ok] speech voice: cmn-latn-pinyin reads Mandarin with tones" in doctor.stdout
    assert "speech: MUTED" in doctor.stdout and "audio output:" in doctor.stdout
    assert shuoshi("speak", "--config", config, "--unmute").stdout.strip() == "speech is on"
    said = shuoshi("speak", "--config", config, "请选择问题的类别。")
    assert said.returncode == 0 and len(list((tmp_path / "speech").glob("*.wav"))) == 1

    prepared = shuoshi("speak", "--config", config, "--prepare")
    assert prepared.returncode == 0, prepared.stderr
    count = int(prepared.stdout.split(" prompts cached")[0].split()[-1])
    cached = [p for p in (tmp_path / "speech-cache").glob("*.wav") if len(p.stem) == 32]
    assert len(cached) == count
    assert (tmp_path / "speech-cache" / "chime-100.wav").is_file()
    doctor = shuoshi("doctor", "--config", config)
    assert f"prompt cache: {count} of {count} prompts ready" in doctor.stdout

    out = tmp_path / "ticket.wav"
    wrote = shuoshi("speak", "--config", config, "您的回执号码是0042 00015 7", "--out", str(out))
    assert wrote.returncode == 0 and str(out) in wrote.stdout
    rate, seconds, peak = _wav_facts(out)
    assert rate == 22050 and 3 < seconds < 15 and peak > 1000


if __name__ == "__main__":
    sys.exit(_kiosk_with_hanging_engine(Path(sys.argv[1])))
