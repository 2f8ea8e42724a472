"""Simulated time for router timers (commit confirmed, revert timer), advanced by tests at will."""

from __future__ import annotations

import heapq
import itertools
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, field


@dataclass(order=True)
class _Timer:
    due: float
    seq: int
    action: Callable[[], None] = field(compare=False)
    cancelled: bool = field(default=False, compare=False)


class TimerHandle:
    """A scheduled action that can be cancelled (e.g. `configure confirm`)."""

    def __init__(self, timer: _Timer) -> None:
        self._timer = timer

    @property
    def due(self) -> float:
        return self._timer.due

    def cancel(self) -> None:
        self._timer.cancelled = True


class SimClock:
    """Seconds since the lab started; moves with `advance()` and, if `rate` > 0, with real time.

    `rate=0` (the default) freezes time except for `advance()`: tests control every timer.
    `rate=60` makes one real second count as one simulated minute (for demos).
    """

    def __init__(self, rate: float = 0.0) -> None:
        self.rate = rate
        self._offset = 0.0
        self._started = time.monotonic()
        self._timers: list[_Timer] = []
        self._seq = itertools.count()
        self._lock = threading.RLock()
        if rate > 0:  # time moves by itself: something must fire the timers
            threading.Thread(target=self._tick, name="sim-clock", daemon=True).start()

    def _tick(self) -> None:
        while True:
            time.sleep(0.1)
            self.fire_due()

    def now(self) -> float:
        """Simulated seconds since the clock was created."""
        with self._lock:
            return self._offset + self.rate * (time.monotonic() - self._started)

    def call_later(self, delay: float, action: Callable[[], None]) -> TimerHandle:
        """Run `action` once `delay` simulated seconds have passed."""
        timer = _Timer(self.now() + delay, next(self._seq), action)
        with self._lock:
            heapq.heappush(self._timers, timer)
        return TimerHandle(timer)

    def advance(self, seconds: float) -> None:
        """Move simulated time forward and fire every timer that fell due."""
        with self._lock:
            self._offset += seconds
        self.fire_due()

    def fire_due(self) -> None:
        """Run the actions whose time has come (in due order)."""
        while True:
            with self._lock:
                if not self._timers or self._timers[0].due > self.now():
                    return
                timer = heapq.heappop(self._timers)
            if not timer.cancelled:
                timer.action()

    def pending(self) -> int:
        """How many timers are still armed."""
        with self._lock:
            return sum(1 for t in self._timers if not t.cancelled)
