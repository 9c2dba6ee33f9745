"""systemd's notify protocol over a real AF_UNIX datagram socket standing in for systemd's:
READY=1, STATUS=, WATCHDOG=1 from a Kivy clock in a child process, and the socket going quiet
when that clock's loop freezes (what makes systemd restart a hung kiosk)."""

from __future__ import annotations

import os
import signal
import socket
import subprocess
import sys
import threading
from collections.abc import Iterator
from pathlib import Path

import pytest

from sync.contract import sd_notify

REPO = Path(__file__).resolve().parent.parent


@pytest.fixture
def notify_socket(tmp_path: Path) -> Iterator[tuple[socket.socket, str]]:
    path = tmp_path / "notify"
    sock = socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM)
    sock.bind(str(path))
    sock.settimeout(30)
    try:
        yield sock, str(path)
    finally:
        sock.close()


def test_without_a_socket_every_call_is_a_no_op(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("NOTIFY_SOCKET", raising=False)
    monkeypatch.delenv("WATCHDOG_USEC", raising=False)
    assert sd_notify.ready("up") is False
    assert sd_notify.watchdog() is False
    assert sd_notify.ping_interval() is None
    stop = threading.Event()
    stop.set()
    assert sd_notify.wait_alive(stop, 5.0) is True


def test_ready_and_status_reach_the_socket(notify_socket: tuple[socket.socket, str],
                                           monkeypatch: pytest.MonkeyPatch) -> None:
    sock, path = notify_socket
    monkeypatch.setenv("NOTIFY_SOCKET", path)
    assert sd_notify.ready("3 waiting") is True
    assert sock.recv(4096) == b"READY=1\nSTATUS=3 waiting"
    assert sd_notify.status("同步暂停") is True
    assert sock.recv(4096).decode() == "STATUS=同步暂停"
    assert sd_notify.watchdog() is True
    assert sock.recv(4096) == b"WATCHDOG=1"


def test_an_abstract_socket_is_named_with_an_at_sign(monkeypatch: pytest.MonkeyPatch) -> None:
    name = f"shuoshi-test-{os.getpid()}"
    with socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM) as sock:
        sock.bind("\0" + name)
        sock.settimeout(30)
        monkeypatch.setenv("NOTIFY_SOCKET", "@" + name)
        assert sd_notify.stopping() is True
        assert sock.recv(4096) == b"STOPPING=1"


def test_a_socket_that_is_gone_is_not_an_error(tmp_path: Path,
                                               monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("NOTIFY_SOCKET", str(tmp_path / "nobody-listens"))
    assert sd_notify.watchdog() is False


def test_the_watchdog_belongs_to_the_process_systemd_names(
        monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("WATCHDOG_USEC", "30000000")
    monkeypatch.setenv("WATCHDOG_PID", str(os.getpid()))
    assert sd_notify.watchdog_seconds() == 30.0
    assert sd_notify.ping_interval() == 15.0
    monkeypatch.setenv("WATCHDOG_PID", str(os.getpid() + 1))
    assert sd_notify.ping_interval() is None
    assert sd_notify.ping_interval(any_process=True) == 15.0  # a server worker's
    monkeypatch.delenv("WATCHDOG_PID")
    monkeypatch.setenv("WATCHDOG_USEC", "0")
    assert sd_notify.ping_interval() is None


def test_a_long_wait_keeps_pinging_until_stopped(notify_socket: tuple[socket.socket, str],
                                                 monkeypatch: pytest.MonkeyPatch) -> None:
    sock, path = notify_socket
    monkeypatch.setenv("NOTIFY_SOCKET", path)
    monkeypatch.setenv("WATCHDOG_USEC", "100000")  # pings every 0.05 s
    monkeypatch.delenv("WATCHDOG_PID", raising=False)
    stop = threading.Event()
    outcome: list[bool] = []
    waiter = threading.Thread(target=lambda: outcome.append(sd_notify.wait_alive(stop, 3600)))
    waiter.start()
    try:
        assert [sock.recv(4096) for _ in range(3)] == [b"WATCHDOG=1"] * 3
    finally:
        stop.set()
        waiter.join(30)
    assert outcome == [True]


# The kiosk's hook, in a child: READY=1 once the loop runs, WATCHDOG=1 from the Kivy clock.
# SIGUSR1 makes the next clock callback block for good, as a hung UI callback would.
KIVY_LOOP = """
import signal, threading
from kivy.clock import Clock
from sync.contract import sd_notify

frozen = []
signal.signal(signal.SIGUSR1, lambda *_: frozen.append(True))

def tick(_dt):
    if frozen:
        sd_notify.status("frozen on purpose")
        threading.Event().wait()
    sd_notify.watchdog()

Clock.schedule_interval(tick, sd_notify.ping_interval())
Clock.schedule_once(lambda _dt: sd_notify.ready("first frame"), 0)
while True:
    Clock.tick()
"""


def test_a_frozen_kivy_loop_goes_quiet(notify_socket: tuple[socket.socket, str],
                                       tmp_path: Path) -> None:
    sock, path = notify_socket
    env = {**os.environ, "NOTIFY_SOCKET": path, "WATCHDOG_USEC": "200000",
           "KIVY_HOME": str(tmp_path / "kivy"), "KIVY_NO_ARGS": "1",
           "KIVY_NO_CONSOLELOG": "1", "PYTHONPATH": str(REPO)}
    env.pop("WATCHDOG_PID", None)
    child = subprocess.Popen([sys.executable, "-c", KIVY_LOOP], env=env, cwd=tmp_path,
                             stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    try:
        assert sock.recv(4096) == b"READY=1\nSTATUS=first frame"
        assert [sock.recv(4096) for _ in range(3)] == [b"WATCHDOG=1"] * 3
        child.send_signal(signal.SIGUSR1)
        message = sock.recv(4096)
        while message == b"WATCHDOG=1":  # pings already on their way
            message = sock.recv(4096)
        assert message == b"STATUS=frozen on purpose"
        sock.settimeout(2.0)  # ten ping intervals: systemd (WatchdogSec=0.2) would restart
        with pytest.raises(TimeoutError):
            sock.recv(4096)
        assert child.poll() is None  # alive but silent: only the watchdog can tell
    finally:
        child.kill()
        child.wait(30)
