"""Log lines: the journal's format under systemd, no third-party noise on stdout, and no
personal data in anything the kiosk, the sync worker or the server writes."""

from __future__ import annotations

import os
import re
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest

from sync.contract.logs import under_journal
from tests.conftest import REPO, STAFF_ENV, CentralServer, kiosk_toml, shuoshi

NAME, PHONE = "张三", "13800138000"
FREE_TEXT = "楼下空地每晚十一点后有人唱歌吵得孩子睡不着"
STAMPED = re.compile(r"^\d{4}-\d\d-\d\d \d\d:\d\d:\d\d")
JOURNAL_LINE = re.compile(r"^<[0-7]>\S")


class LoggedServer(CentralServer):
    """The real server with everything it writes kept in a file."""

    def __init__(self, folder: Path, env: dict[str, str]) -> None:
        super().__init__(folder / "server.db")
        self.output = folder / "server.out"
        self.env = env


def _config(folder: Path, server: CentralServer, key: str) -> Path:
    """kiosk 0042 of tests.conftest.kiosk_toml, sending to ``server``."""
    path = kiosk_toml(folder, sync=f'signing_key = "{key}"')
    text = re.sub(r'server_url = "[^"]*"', f'server_url = "{server.url}"',
                  path.read_text(encoding="utf-8"))
    path.write_text(text, encoding="utf-8")
    return path


def _without_journal() -> dict[str, str]:
    return {k: v for k, v in STAFF_ENV.items() if k not in ("JOURNAL_STREAM", "INVOCATION_ID")}


@pytest.fixture
def journal_server(tmp_path: Path) -> Iterator[LoggedServer]:
    server = LoggedServer(tmp_path, {**_without_journal(), "INVOCATION_ID": "0" * 32})
    server.start()
    yield server
    server.stop()


def test_under_journal_the_lines_carry_no_time(tmp_path: Path, journal_server: LoggedServer
                                               ) -> None:
    assert under_journal({"JOURNAL_STREAM": "8:1234"}) and not under_journal({})
    key = journal_server.provision("0042")
    config = _config(tmp_path, journal_server, key)
    # the flag file never appears: the worker logs that it waits for the clock
    clock = {"SHUOSHI_CLOCK": "flag", "SHUOSHI_TIMESYNC_FLAG": str(tmp_path / "no-flag")}
    journal = shuoshi("sync", "--once", "--config", str(config),
                      env={**_without_journal(), **clock, "JOURNAL_STREAM": "8:1234"})
    terminal = shuoshi("sync", "--once", "--config", str(config),
                       env={**_without_journal(), **clock})
    for run in (journal, terminal):
        assert "waiting for the clock" in run.stderr, run.stderr
    assert all(JOURNAL_LINE.match(line) for line in journal.stderr.splitlines()), journal.stderr
    assert "<6>sync.client INFO waiting for the clock" in journal.stderr
    assert all(STAMPED.match(line) for line in terminal.stderr.splitlines()), terminal.stderr
    journal_server.stop()  # the access log is flushed by now
    served = journal_server.output.read_text(encoding="utf-8").splitlines()
    assert any("shuoshi.access INFO GET /healthz 200" in line for line in served), served
    assert served and all(JOURNAL_LINE.match(line) for line in served), served


def test_no_personal_data_in_any_output(tmp_path: Path) -> None:
    server = LoggedServer(tmp_path, _without_journal())
    server.start()
    try:
        key = server.provision("0042")
        config = _config(tmp_path, server, key)
        env = {**_without_journal(), "SHUOSHI_CLOCK": "trust"}
        runs = [shuoshi("submit", "--config", str(config), "--category", "噪音扰民",
                        "--description", FREE_TEXT, "--place", "3号楼", "--name", NAME,
                        "--phone", PHONE, env=env)]
        assert runs[0].returncode == 0 and "SUBMITTED 0042" in runs[0].stdout, runs[0].stderr
        runs.append(shuoshi("sync", "--once", "--config", str(config), env=env))
        assert runs[1].returncode == 0 and "pushed 1" in runs[1].stdout, runs[1].stdout
        runs.append(shuoshi("sync", "status", "--config", str(config), env=env))
        assert server.rows("SELECT description FROM central_submissions") == [(FREE_TEXT,)]
    finally:
        server.stop()
    said = "\n".join(run.stdout + run.stderr for run in runs)
    said += server.output.read_text(encoding="utf-8")
    assert "shuoshi.access INFO POST /api/v1/submissions" in said, said  # the log is there
    for secret in (NAME, PHONE, FREE_TEXT, FREE_TEXT[:6], PHONE[-4:] + "\n"):
        assert secret not in said, said


def test_the_voice_engine_prints_nothing(tmp_path: Path) -> None:
    """pyttsx3's espeak driver prints "Audio saved to …" for every utterance."""
    config = kiosk_toml(tmp_path, speech_backend="pyttsx3")
    wav = tmp_path / "hello.wav"
    run = shuoshi("speak", "--config", str(config), "--out", str(wav), "你好",
                  env={**os.environ})
    assert run.returncode == 0, run.stderr
    assert wav.stat().st_size > 44
    assert run.stdout.splitlines() == [str(wav)]
    assert "Audio saved" not in run.stdout + run.stderr


def test_kivy_says_only_warnings(tmp_path: Path) -> None:
    script = ("from pathlib import Path\nfrom sync.contract import logs\nlogs.configure()\n"
              "from kiosk.kivy_setup import prepare_kivy\n"
              f"prepare_kivy(Path({str(tmp_path / 'kivy')!r}), width=800, height=480, "
              "fullscreen=False)\n"
              "from kivy.logger import Logger\nLogger.info('Probe: info')\n"
              "Logger.warning('Probe: warning')\n")
    env = {k: v for k, v in os.environ.items() if not k.startswith(("KIVY_", "KCFG_"))}
    run = subprocess.run([sys.executable, "-c", script], cwd=REPO, env=env, text=True,
                         capture_output=True, timeout=60, check=False)
    assert run.returncode == 0, run.stderr
    assert "Probe: warning" in run.stderr and "Probe: info" not in run.stderr
    assert "Kivy: v" not in run.stderr and run.stdout == ""
