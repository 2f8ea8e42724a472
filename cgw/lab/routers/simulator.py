"""What a simulated vendor declares about itself, so the lab finds it without naming it.

Each vendor module of `cgw.lab.routers` exposes a module-level `SIMULATOR`: the router kind
(what its shell reports and what the AWS-backed oracle's parser for it is keyed on), the cgw
platform names it stands in for, its default login, how to build its state and shell, and what
an inventory must say to manage it. The registry in `cgw.lab.routers` collects them; a new vendor
adds one module here and one parser module in `cgw.lab.aws_oracle`, and no `if`.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import Any, Protocol

from cgw.lab.routers.shell import RouterContext, Shell

ShellFactory = Callable[[], Shell]


class RouterState(Protocol):
    """A simulated router's configuration state (the rest is the vendor's own)."""

    def running_config(self) -> str:
        """The configuration the router runs now, in its own canonical text."""
        ...


@dataclass(frozen=True)
class RouterSetup:
    """Everything a simulator needs to build one router."""

    context: RouterContext
    username: str
    enable_secret: str = field(repr=False)
    outside_ip: str
    gateway: str
    initial_config: str | None = None  # the vendor's own text (see start_router)
    initial_files: Mapping[str, str] = field(default_factory=dict)  # a host's files by path
    software: str | None = None  # the release profile to imitate, in the simulator's own names

    @property
    def hostname(self) -> str:
        return self.context.hostname

    @property
    def values(self) -> dict[str, str]:
        """The placeholders of a simulator's default configuration."""
        return {"hostname": self.hostname, "outside_ip": self.outside_ip, "gateway": self.gateway}


BuildRouter = Callable[[RouterSetup], tuple[RouterState, ShellFactory]]
RUNNING_CONFIG = "running-config"  # the one file a CLI device's saved configuration is


def saved_running_config(state: Any) -> dict[str, str]:
    """What an engineer saves from a CLI router: its running configuration as it shows it."""
    return {RUNNING_CONFIG: state.running_config()}


@dataclass(frozen=True)
class Simulator:
    """One simulated vendor, as the lab registry knows it."""

    kind: str  # "cisco_xe": the router kind; oracle parsers are keyed on it
    platforms: tuple[str, ...]  # cgw platform names this simulator stands in for
    default_username: str  # who the lab logs in as (a Linux host is managed as root)
    wan_interface: str  # the interface its default configuration puts the outside address on
    build: BuildRouter
    inventory_local: Mapping[str, str] = field(default_factory=dict)  # extra `local:` settings
    # What an engineer would save from it: {RUNNING_CONFIG: text}, or a host's files by path.
    saved_files: Callable[[Any], Mapping[str, str]] = saved_running_config
