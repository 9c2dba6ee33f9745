"""Never lost, never stuck: a kiosk left alone warns, counts down, then starts afresh; a touch
that lands just after the screen changed is ignored, so a double tap never acts twice."""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import dataclass

SETTLE_SECONDS = 0.4
"""Touches this soon after the screen changed are dropped: a double tap's second touch."""


@dataclass(frozen=True)
class IdleLimits:
    idle_seconds: float
    """Without a touch this long (on a screen with something to lose) the warning shows."""
    warning_seconds: float
    """How long the warning counts down before everything is cleared."""
    result_seconds: float
    """The done and status screens warn after this long: time enough to read, no more."""


class IdleGuard:
    """Driven by ``tick()`` (from the UI clock) and ``touched()`` (from every touch).

    ``has_work()`` says whether there is anything to warn about; ``on_warn(seconds_left)``
    shows or updates the warning; ``on_keep()`` hides it; ``on_reset()`` clears everything.
    """

    def __init__(self, limits: IdleLimits, *, limit_for: Callable[[], float],
                 has_work: Callable[[], bool], on_warn: Callable[[int], None],
                 on_keep: Callable[[], None], on_reset: Callable[[], None],
                 clock: Callable[[], float] = time.monotonic) -> None:
        self.limits = limits
        self._limit_for = limit_for
        self._has_work = has_work
        self._on_warn = on_warn
        self._on_keep = on_keep
        self._on_reset = on_reset
        self._clock = clock
        self._last_touch = clock()
        self._warned_at: float | None = None
        self._changed_at = -SETTLE_SECONDS

    @property
    def warning(self) -> bool:
        return self._warned_at is not None

    def touched(self) -> bool:
        """A touch anywhere; returns False when it must be dropped (the screen just changed)."""
        now = self._clock()
        self._last_touch = now
        if self._warned_at is not None:
            self._warned_at = None
            self._on_keep()
            self.screen_changed()
            return False  # the touch that keeps the work does nothing else
        return now - self._changed_at >= SETTLE_SECONDS

    def settled(self) -> bool:
        """Whether a touch now would count (the screen changed long enough ago)."""
        return self._clock() - self._changed_at >= SETTLE_SECONDS

    def screen_changed(self) -> None:
        """The screen (or what its buttons do) just changed; also counts as activity."""
        self._changed_at = self._last_touch = self._clock()

    def tick(self) -> None:
        now = self._clock()
        if self._warned_at is None:
            if self._has_work() and now - self._last_touch >= self._limit_for():
                self._warned_at = now
                self._on_warn(round(self.limits.warning_seconds))
            return
        left = self.limits.warning_seconds - (now - self._warned_at)
        if left <= 0:
            self._warned_at = None
            self._on_reset()
            self.screen_changed()
        else:
            self._on_warn(int(left + 0.999))
