"""Fault injection for the simulated routers; every field can change while sessions run."""

from __future__ import annotations

import threading
from dataclasses import dataclass, field


@dataclass
class Faults:
    """What goes wrong on a router, read by each session before every line it receives.

    drop_after_lines: close a session abruptly once it has received this many lines.
    reject_commands: commands (exact, whitespace-normalised) answered as invalid input.
    latency: seconds added before each command is answered.
    """

    drop_after_lines: int | None = None
    reject_commands: set[str] = field(default_factory=set)
    latency: float = 0.0
    _lock: threading.Lock = field(default_factory=threading.Lock, repr=False, compare=False)

    def rejects(self, line: str) -> bool:
        """Whether `line` is one of the commands to refuse."""
        normalised = " ".join(line.split())
        with self._lock:
            return normalised in {" ".join(c.split()) for c in self.reject_commands}

    def should_drop(self, lines_received: int) -> bool:
        """Whether a session that has received `lines_received` lines must be cut now."""
        with self._lock:
            limit = self.drop_after_lines
        return limit is not None and lines_received >= limit

    def clear(self) -> None:
        """Back to a healthy router."""
        with self._lock:
            self.drop_after_lines = None
            self.reject_commands = set()
            self.latency = 0.0
