"""What every simulated CLI implements, and what it shares with the router it runs on."""

from __future__ import annotations

import threading
from dataclasses import dataclass, field
from typing import Protocol

from cgw.lab.routers.clock import SimClock
from cgw.lab.routers.faults import Faults
from cgw.lab.routers.oracle import OracleVerdict, RouterKind, TunnelOracle


@dataclass(frozen=True)
class Reply:
    """A command's answer: text to print before the next prompt, or a request to hang up.

    `delay_s`: real seconds the answer takes (a long commit), spent outside the router's lock.
    """

    output: str = ""
    close: bool = False
    delay_s: float = 0.0


class Shell(Protocol):
    """One interactive session's command interpreter."""

    @property
    def echo(self) -> bool:
        """False while the session reads a secret (the typed characters are not echoed)."""
        ...

    def greeting(self) -> str: ...

    def prompt(self) -> str: ...

    def handle(self, line: str) -> Reply: ...

    def invalid(self, line: str) -> Reply:
        """The platform's answer to a command it does not know (also used for rejections)."""
        ...


@dataclass
class RouterContext:
    """What all sessions of one router share: its lock, clock, oracle and faults."""

    kind: RouterKind
    hostname: str
    clock: SimClock
    oracle: TunnelOracle
    faults: Faults
    lock: threading.RLock = field(default_factory=threading.RLock)
    events: list[str] = field(default_factory=list)
    lines_received: int = 0  # over all sessions, for tests and fault placement

    def verdict(self, running_config: str) -> OracleVerdict:
        """The oracle's view of `running_config` for this router."""
        return self.oracle.evaluate(self.kind, running_config)

    def log(self, event: str) -> None:
        """Record something the router did on its own (timer rollback, reload)."""
        self.events.append(f"{self.clock.now():.0f}s {event}")


def crlf(text: str) -> str:
    """Terminal line endings, as a pty sends them."""
    return text.replace("\r\n", "\n").replace("\n", "\r\n")
