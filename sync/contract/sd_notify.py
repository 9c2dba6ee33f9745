"""systemd's notify protocol (sd_notify(3)) without a dependency: one datagram per message
to the AF_UNIX socket named in ``$NOTIFY_SOCKET``.

``Type=notify`` units wait for READY=1 before they count as started, and ``WatchdogSec=``
restarts a service that stops sending WATCHDOG=1. Outside systemd (a terminal, the tests,
``make run``) ``$NOTIFY_SOCKET`` is unset and every call here does nothing. A send never
raises: losing a notification must not stop the kiosk.
"""

from __future__ import annotations

import os
import socket
import threading

NOTIFY_SOCKET_ENV = "NOTIFY_SOCKET"
WATCHDOG_USEC_ENV = "WATCHDOG_USEC"
WATCHDOG_PID_ENV = "WATCHDOG_PID"


def _address(value: str) -> str | None:
    if value.startswith("@"):
        return "\0" + value[1:]  # an abstract socket
    if value.startswith("/"):
        return value
    return None  # vsock and other forms are not for a kiosk


def notify(*assignments: str) -> bool:
    """Send ``assignments`` (e.g. ``"READY=1"``, ``"STATUS=…"``) as one message. True when
    it was sent, False when there is no socket to send to or the send failed."""
    address = _address(os.environ.get(NOTIFY_SOCKET_ENV, ""))
    if address is None or not assignments:
        return False
    message = "\n".join(assignments).encode("utf-8")
    try:
        with socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM | socket.SOCK_CLOEXEC) as sock:
            sock.connect(address)
            sock.sendall(message)
    except OSError:
        return False
    return True


def ready(status: str = "") -> bool:
    """The service is up: systemd's start job ends here (the kiosk: after its first frame;
    the sync worker: once its store is open)."""
    return notify("READY=1", *([f"STATUS={status}"] if status else []))


def status(text: str) -> bool:
    """A one-line state shown by ``systemctl status`` (never personal data)."""
    return notify(f"STATUS={text}")


def stopping() -> bool:
    return notify("STOPPING=1")


def watchdog() -> bool:
    """Still alive: called from the loop whose freezing should restart the service."""
    return notify("WATCHDOG=1")


def watchdog_seconds(*, any_process: bool = False) -> float | None:
    """The unit's ``WatchdogSec=`` when it watches this process, else None. A child of the
    process systemd started (a server worker, under ``NotifyAccess=all``) passes
    ``any_process=True``."""
    usec = os.environ.get(WATCHDOG_USEC_ENV, "")
    pid = os.environ.get(WATCHDOG_PID_ENV, "")
    if not usec.isdigit() or int(usec) == 0:
        return None
    if pid and pid != str(os.getpid()) and not any_process:
        return None  # meant for another process (the one systemd started, not a child)
    return int(usec) / 1_000_000


def ping_interval(*, any_process: bool = False) -> float | None:
    """How often to send WATCHDOG=1: half the watchdog period, as sd_watchdog_enabled(3)
    advises; None when no watchdog is set for this process."""
    seconds = watchdog_seconds(any_process=any_process)
    return None if seconds is None else seconds / 2


def wait_alive(stop: threading.Event, seconds: float) -> bool:
    """``stop.wait(seconds)`` for a worker loop under a watchdog: waits in slices no longer
    than the ping interval and pings after each, so a long back-off is not taken for a
    hang. Returns True when ``stop`` was set."""
    interval = ping_interval()
    if interval is None:
        return stop.wait(seconds)
    left = seconds
    while left > 0:
        if stop.wait(min(interval, left)):
            return True
        left -= interval
        watchdog()
    return stop.is_set()
