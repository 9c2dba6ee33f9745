"""The sync worker signs nothing before the clock is synchronised (a Pi has no RTC), and the
UI side (the store) takes submissions meanwhile."""

from __future__ import annotations

import logging
import os
import subprocess
import sys
import time
from pathlib import Path

import pytest

from sync.client import CLOCK_WAIT
from sync.store import Store, SubmissionDraft
from sync.timesync import ClockWatch, Mode
from tests.conftest import REPO, CentralServer, sync_worker


def _received(server: CentralServer) -> int:
    return int(server.rows("SELECT count(*) FROM central_submissions")[0][0])


def test_nothing_is_sent_until_the_flag_file_appears(tmp_path: Path, server: CentralServer,
                                                      kiosk_key: str) -> None:
    flag = tmp_path / "timesync" / "synchronized"
    store = Store(tmp_path / "kiosk.db")
    worker = sync_worker(store, server.url, kiosk_key)
    worker.clock_watch = ClockWatch(mode="flag", flag=flag)
    try:
        store.record_submission(SubmissionDraft("环境卫生", "垃圾没有及时清运"), "0042")
        waiting = worker.run_once()
        assert (waiting.error, waiting.waiting, waiting.pushed) == (CLOCK_WAIT, 1, 0)
        assert _received(server) == 0
        assert store.get_state("last_error") == CLOCK_WAIT
        flag.parent.mkdir()
        flag.touch()
        sent = worker.run_once()
        assert (sent.error, sent.pushed, sent.waiting) == ("", 1, 0)
        assert _received(server) == 1
        flag.unlink()  # synchronised once is enough: later NTP trouble is the skew check's
        assert worker.run_once().error == ""
    finally:
        worker.close()
        store.close()


def test_the_worker_process_waits_then_sends(tmp_path: Path, server: CentralServer,
                                             kiosk_config: Path) -> None:
    flag = tmp_path / "synchronized"
    env = {**os.environ, "SHUOSHI_CLOCK": "flag", "SHUOSHI_TIMESYNC_FLAG": str(flag)}
    submit = subprocess.run(
        [sys.executable, "-m", "shuoshi", "submit", "--config", str(kiosk_config),
         "--category", "环境卫生", "--description", "路灯不亮"],
        cwd=REPO, env=env, capture_output=True, text=True, timeout=60, check=False)
    assert submit.returncode == 0, submit.stderr
    log = tmp_path / "sync.log"
    with log.open("wb") as out:
        proc = subprocess.Popen([sys.executable, "-m", "shuoshi", "sync", "--config",
                                 str(kiosk_config)], cwd=REPO, env=env, stdout=out,
                                stderr=subprocess.STDOUT)
    try:
        deadline = time.monotonic() + 30
        while CLOCK_WAIT not in log.read_text(encoding="utf-8"):
            assert proc.poll() is None and time.monotonic() < deadline, log.read_text()
            time.sleep(0.1)
        assert _received(server) == 0
        flag.touch()
        while _received(server) == 0:
            assert proc.poll() is None and time.monotonic() < deadline, log.read_text()
            time.sleep(0.1)
    finally:
        proc.terminate()
        proc.wait(10)
    assert "the clock is synchronised: sending" in log.read_text(encoding="utf-8")


def test_how_synchronised_is_decided(tmp_path: Path, caplog: pytest.LogCaptureFixture
                                     ) -> None:
    flag = tmp_path / "synchronized"

    def watch(kernel: bool | None, booted: bool, mode: Mode = "auto") -> ClockWatch:
        return ClockWatch(mode=mode, flag=flag, kernel=lambda: kernel,
                          booted_by_systemd=lambda: booted)

    assert watch(kernel=True, booted=True).synchronised()  # STA_UNSYNC clear
    assert not watch(kernel=False, booted=True).synchronised()  # a Pi before NTP
    assert not watch(kernel=None, booted=True).synchronised()  # adjtimex forbidden
    assert not watch(kernel=True, booted=True, mode="flag").synchronised()
    assert watch(kernel=False, booted=True, mode="trust").synchronised()
    flag.touch()
    assert watch(kernel=False, booted=True).synchronised()
    flag.unlink()
    with caplog.at_level(logging.WARNING, logger="sync.timesync"):
        container = watch(kernel=False, booted=False)  # cannot tell: trusted, said once
        assert container.synchronised() and container.synchronised()
    assert [r.getMessage() for r in caplog.records].count(caplog.records[0].getMessage()) == 1
    assert "trusting it" in caplog.records[0].getMessage()
    assert ClockWatch.from_env({"SHUOSHI_CLOCK": "sometimes"}).mode == "auto"
    assert ClockWatch.from_env({"SHUOSHI_TIMESYNC_FLAG": str(flag)}).flag == flag
