"""Time sources: the real monotonic clock, and a simulated one so tests and `--fast` runs are instant."""

from __future__ import annotations

import threading
import time
from typing import Protocol


class Clock(Protocol):
    """Seconds on a monotonic scale."""

    def now(self) -> float:
        """The current time in seconds."""

    def sleep(self, seconds: float) -> None:
        """Wait (or, simulated, jump ahead) ``seconds``."""


class MonotonicClock:
    """Real time."""

    def now(self) -> float:
        """``time.monotonic()``."""
        return time.monotonic()

    def sleep(self, seconds: float) -> None:
        """``time.sleep``."""
        if seconds > 0:
            time.sleep(seconds)


class SimulatedClock:
    """Time that only moves when told to: ``sleep`` and ``advance`` jump ahead at once."""

    def __init__(self, start: float = 0.0) -> None:
        self._now = start
        self._lock = threading.Lock()

    def now(self) -> float:
        """The simulated time."""
        with self._lock:
            return self._now

    def sleep(self, seconds: float) -> None:
        """Jump ahead."""
        self.advance(seconds)

    def advance(self, seconds: float) -> None:
        """Move time forward by ``seconds`` (never back)."""
        with self._lock:
            self._now += max(0.0, seconds)
