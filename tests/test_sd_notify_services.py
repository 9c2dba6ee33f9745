"""The three services as systemd runs them, each talking to a real AF_UNIX datagram socket
standing in for systemd's: READY=1 only once ready (the kiosk after its first frame, the
sync worker with its store open, the server serving), then WATCHDOG=1 while their loops run,
and silence when the kiosk's loop is frozen (what makes systemd restart a hung kiosk)."""

from __future__ import annotations

import os
import signal
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path

import pytest

from kiosk.kivy_setup import FIRST_FRAME_MARKER
from sync.contract.signing import new_private_key
from tests.conftest import REPO, free_port, kiosk_toml

WATCHDOG_USEC = "1000000"
"""WatchdogSec=1: a ping every half second."""


@pytest.fixture
def systemd_socket(tmp_path: Path) -> Iterator[tuple[socket.socket, dict[str, str]]]:
    path = tmp_path / "notify"
    sock = socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM)
    sock.bind(str(path))
    sock.settimeout(60)
    env = {**os.environ, "NOTIFY_SOCKET": str(path), "WATCHDOG_USEC": WATCHDOG_USEC}
    env.pop("WATCHDOG_PID", None)
    try:
        yield sock, env
    finally:
        sock.close()


def _messages_until_ready(sock: socket.socket) -> bytes:
    while not (message := sock.recv(4096)).startswith(b"READY=1"):
        pass
    return message


def _stop(proc: subprocess.Popen[bytes]) -> None:
    proc.send_signal(signal.SIGCONT)
    proc.terminate()
    try:
        proc.wait(30)
    except subprocess.TimeoutExpired:
        proc.kill()
        proc.wait(30)


def test_the_kiosk_is_ready_after_its_first_frame_and_its_loop_feeds_the_watchdog(
    systemd_socket: tuple[socket.socket, dict[str, str]], tmp_path: Path, display: str
) -> None:
    sock, env = systemd_socket
    log = (tmp_path / "kiosk.log").open("w")
    kiosk = subprocess.Popen(
        [sys.executable, "-m", "kiosk.cli", "kiosk", "--config", str(kiosk_toml(tmp_path))],
        cwd=REPO, env={**env, "DISPLAY": display}, stdout=log, stderr=subprocess.STDOUT)
    try:
        assert _messages_until_ready(sock) == b"READY=1\nSTATUS=first frame"
        assert FIRST_FRAME_MARKER in (tmp_path / "kiosk.log").read_text()
        assert [sock.recv(4096) for _ in range(3)] == [b"WATCHDOG=1"] * 3
        kiosk.send_signal(signal.SIGSTOP)  # the UI loop frozen
        time.sleep(0.2)  # a ping already on its way
        sock.settimeout(0.1)
        while True:
            try:
                sock.recv(4096)
            except TimeoutError:
                break
        sock.settimeout(3.0)  # six ping intervals: systemd would restart it
        with pytest.raises(TimeoutError):
            sock.recv(4096)
        kiosk.send_signal(signal.SIGCONT)
        sock.settimeout(10)
        assert sock.recv(4096) == b"WATCHDOG=1"  # alive again
    finally:
        _stop(kiosk)
        log.close()


def test_the_sync_worker_is_ready_with_its_store_and_pings_through_its_back_off(
    systemd_socket: tuple[socket.socket, dict[str, str]], tmp_path: Path
) -> None:
    sock, env = systemd_socket
    # its server is a closed port: every round fails
    config = kiosk_toml(tmp_path, sync=f'signing_key = "{new_private_key()}"')
    worker = subprocess.Popen([sys.executable, "-m", "kiosk.cli", "sync", "--config",
                               str(config)], cwd=REPO, env=env, stdout=subprocess.DEVNULL,
                              stderr=subprocess.DEVNULL)
    try:
        assert _messages_until_ready(sock) == b"READY=1\nSTATUS=store open"
        assert (tmp_path / "kiosk.db").exists()
        # failed rounds back off for longer than the watchdog allows: pings keep coming
        assert [sock.recv(4096) for _ in range(6)] == [b"WATCHDOG=1"] * 6
    finally:
        _stop(worker)


def test_the_server_is_ready_once_it_serves(
    systemd_socket: tuple[socket.socket, dict[str, str]], tmp_path: Path
) -> None:
    sock, env = systemd_socket
    server = subprocess.Popen(
        [sys.executable, "-m", "server", "--port", str(free_port()), "--db",
         f"sqlite:///{tmp_path}/server.db", "--attachments", str(tmp_path / "attachments")],
        cwd=REPO, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    try:
        assert _messages_until_ready(sock) == b"READY=1\nSTATUS=serving"
        assert [sock.recv(4096) for _ in range(2)] == [b"WATCHDOG=1"] * 2
    finally:
        _stop(server)
