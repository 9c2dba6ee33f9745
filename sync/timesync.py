"""Whether the system clock is synchronised, decided the way systemd decides it.

A Raspberry Pi has no real-time clock: it boots at 1970 or at the last shutdown's time
(fake-hwclock) and is right only once NTP has set it. A signed request stamped with that
time is refused, and a submission stored with it carries a wrong date, so the sync worker
signs nothing before the clock is synchronised:

- ``/run/systemd/timesync/synchronized`` exists (systemd-timesyncd made it: what
  ``time-sync.target`` waits for), or
- the kernel says so: ``adjtimex(2)`` with ``STA_UNSYNC`` clear (chrony, ntpd and
  timesyncd all clear it once they have set the time), or
- neither can tell (no flag, the kernel says unsynchronised, and the machine was not booted
  by systemd, e.g. a container whose host keeps the time): then the clock is trusted, and
  the log says so once.

``SHUOSHI_CLOCK`` switches this: ``auto`` (the above, the default), ``trust`` (never wait: a
machine whose clock is known to be right), ``flag`` (only the flag file counts).
``SHUOSHI_TIMESYNC_FLAG`` names another flag file.
"""

from __future__ import annotations

import ctypes
import logging
import os
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Literal

log = logging.getLogger(__name__)

CLOCK_ENV = "SHUOSHI_CLOCK"
FLAG_ENV = "SHUOSHI_TIMESYNC_FLAG"
TIMESYNC_FLAG = Path("/run/systemd/timesync/synchronized")
SYSTEMD_BOOTED = Path("/run/systemd/system")  # what sd_booted(3) checks
STA_UNSYNC = 0x0040
Mode = Literal["auto", "trust", "flag"]
MODES: tuple[Mode, ...] = ("auto", "trust", "flag")


class _Timex(ctypes.Structure):
    # the leading fields of struct timex (sys/timex.h); the rest is room for the kernel
    _fields_ = [("modes", ctypes.c_uint), ("offset", ctypes.c_long), ("freq", ctypes.c_long),
                ("maxerror", ctypes.c_long), ("esterror", ctypes.c_long),
                ("status", ctypes.c_int), ("rest", ctypes.c_char * 256)]


def kernel_synchronised() -> bool | None:
    """The kernel's word (``adjtimex`` reading only, modes 0): None when it cannot be asked
    (not Linux, or a sandbox that forbids the call)."""
    try:
        libc = ctypes.CDLL(None, use_errno=True)
        timex = _Timex()
        if libc.adjtimex(ctypes.byref(timex)) < 0:
            return None
    except (OSError, AttributeError):
        return None
    return not timex.status & STA_UNSYNC


@dataclass
class ClockWatch:
    mode: Mode = "auto"
    flag: Path = TIMESYNC_FLAG
    kernel: Callable[[], bool | None] = kernel_synchronised
    booted_by_systemd: Callable[[], bool] = SYSTEMD_BOOTED.is_dir
    _said: set[str] = field(default_factory=set)

    @classmethod
    def from_env(cls, environ: Mapping[str, str] | None = None) -> ClockWatch:
        env = os.environ if environ is None else environ
        mode = env.get(CLOCK_ENV, "auto") or "auto"
        if mode not in MODES:
            log.warning("%s=%r is not one of %s: using auto", CLOCK_ENV, mode, ", ".join(MODES))
            mode = "auto"
        flag = Path(env[FLAG_ENV]) if env.get(FLAG_ENV) else TIMESYNC_FLAG
        return cls(mode=mode, flag=flag)  # type: ignore[arg-type]

    def synchronised(self) -> bool:
        if self.mode == "trust" or self.flag.exists():
            return True
        if self.mode == "flag":
            return False
        kernel = self.kernel()
        if kernel:
            return True
        if self.booted_by_systemd():
            return False  # an NTP client will say so when it has set the time
        self._once("trusted", "cannot tell whether the clock is synchronised (no %s, the "
                   "kernel %s, not booted by systemd): trusting it", self.flag,
                   "says unsynchronised" if kernel is False else "cannot be asked")
        return True

    def _once(self, key: str, message: str, *args: object) -> None:
        if key not in self._said:
            self._said.add(key)
            log.warning(message, *args)
