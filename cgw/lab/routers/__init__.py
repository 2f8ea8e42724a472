"""Simulated branch routers for the lab: SSH servers on 127.0.0.1 that netmiko drives.

`start_router(kind, ...)` runs one in background threads and returns a `SimRouter` (its port,
state, faults and clock); `kind` is a simulator's kind ("cisco_xe", "juniper_junos", "linux") or a
cgw platform name it stands in for ("cisco_ios", "strongswan"). Each vendor module here exposes a
`SIMULATOR` (see `simulator.py`); `SIMULATORS` finds them. Whether tunnels come up is decided by a
`TunnelOracle` given the router's running configuration; the default says everything is down.
"""

from __future__ import annotations

import importlib
import pkgutil
from collections.abc import Mapping
from dataclasses import dataclass, field, replace
from functools import cache
from pathlib import Path
from typing import Any

import paramiko

from cgw.lab.routers.clock import SimClock
from cgw.lab.routers.faults import Faults
from cgw.lab.routers.oracle import (
    BgpVerdict,
    DownOracle,
    OracleVerdict,
    RouterKind,
    TunnelOracle,
    TunnelVerdict,
)
from cgw.lab.routers.server import Credentials, SshServer, known_hosts_line
from cgw.lab.routers.shell import RouterContext
from cgw.lab.routers.simulator import RUNNING_CONFIG, RouterSetup, Simulator

__all__ = [
    "BgpVerdict",
    "DownOracle",
    "Faults",
    "OracleVerdict",
    "RouterKind",
    "SimClock",
    "SimRouter",
    "Simulator",
    "TunnelOracle",
    "TunnelVerdict",
    "all_simulators",
    "simulator_for",
    "start_router",
]


@cache
def all_simulators() -> Mapping[str, Simulator]:
    """Every simulator found in this package, by kind."""
    found: dict[str, Simulator] = {}
    for module_info in pkgutil.iter_modules(__path__):
        module = importlib.import_module(f"{__name__}.{module_info.name}")
        simulator = getattr(module, "SIMULATOR", None)
        if isinstance(simulator, Simulator):
            found[simulator.kind] = simulator
    return found


def simulator_for(kind_or_platform: str) -> Simulator:
    """The simulator of that kind, or the one standing in for that cgw platform."""
    simulators = all_simulators()
    if kind_or_platform in simulators:
        return simulators[kind_or_platform]
    for simulator in simulators.values():
        if kind_or_platform in simulator.platforms:
            return simulator
    known = sorted({*simulators, *(p for s in simulators.values() for p in s.platforms)})
    raise ValueError(f"unknown router kind {kind_or_platform!r}; known: {', '.join(known)}")


@dataclass
class SimRouter:
    """A running simulated router."""

    kind: RouterKind
    context: RouterContext
    state: Any  # the simulator's own state class (IosState, JunosState, LinuxState, ...)
    server: SshServer
    host: str = field(default="127.0.0.1")
    setup: RouterSetup | None = field(default=None, repr=False)

    @property
    def port(self) -> int:
        return self.server.port

    @property
    def faults(self) -> Faults:
        return self.context.faults

    @property
    def clock(self) -> SimClock:
        return self.context.clock

    @property
    def hostname(self) -> str:
        return self.context.hostname

    def running_config(self) -> str:
        """The configuration the router runs now (what the oracle judges)."""
        with self.context.lock:
            text: str = self.state.running_config()
        return text

    def saved_files(self) -> Mapping[str, str]:
        """What an engineer would save from it (its running config, or a host's files)."""
        with self.context.lock:
            return simulator_for(self.kind).saved_files(self.state)

    def reset(self, saved: Mapping[str, str]) -> None:
        """Make the router run `saved` (what saved_files() gave) as if it had booted with it.

        Sessions opened from now on see the new state; pending timers and uncommitted changes
        of the old state are gone, as after a reload.
        """
        if self.setup is None:
            raise RuntimeError(f"{self.hostname}: started without a setup to rebuild from")
        if list(saved) == [RUNNING_CONFIG]:
            setup = replace(self.setup, initial_config=saved[RUNNING_CONFIG], initial_files={})
        else:
            setup = replace(self.setup, initial_config=None, initial_files=dict(saved))
        state, factory = simulator_for(self.kind).build(setup)
        with self.context.lock:
            self.state = state
            self.server.shell_factory = factory

    def set_oracle(self, oracle: TunnelOracle) -> None:
        """Swap the judge of tunnel state (e.g. the lab's AWS-backed oracle)."""
        self.context.oracle = oracle

    def known_hosts_line(self) -> str:
        """An OpenSSH known_hosts entry pinning this router's current host key."""
        return known_hosts_line(self.port, self.server.host_key)

    def rotate_host_key(self) -> None:
        """New host key (also written to the key file): pinned clients must now refuse."""
        self.server.rotate_host_key()

    def stop(self) -> None:
        self.server.stop()


def start_router(
    kind: RouterKind,
    *,
    hostname: str,
    username: str,
    host_key_path: Path,
    port: int = 0,
    password: str | None = None,
    authorized_keys: tuple[str, ...] | list[paramiko.PKey] = (),
    enable_secret: str | None = None,
    outside_ip: str = "203.0.113.10",
    gateway: str = "203.0.113.1",
    initial_config: str | None = None,
    initial_files: Mapping[str, str] | None = None,
    oracle: TunnelOracle | None = None,
    clock: SimClock | None = None,
    faults: Faults | None = None,
) -> SimRouter:
    """Start a simulated router listening on 127.0.0.1:`port` (0: any free port).

    `authorized_keys` takes OpenSSH public-key lines or paramiko keys. `initial_config` replaces
    the platform's small default (WAN interface with `outside_ip`, default route to `gateway`):
    IOS running-config text, Junos `set` lines, or the Linux host's /etc/frr/frr.conf.
    `initial_files` puts files on a host (by absolute path) as if it had booted with them.
    """
    simulator = simulator_for(kind)
    keys = tuple(
        k if isinstance(k, str) else f"{k.get_name()} {k.get_base64()}" for k in authorized_keys
    )
    if password is None and not keys:
        raise ValueError("a simulated router needs a password or an authorized key")
    context = RouterContext(
        kind=simulator.kind,
        hostname=hostname,
        clock=clock or SimClock(),
        oracle=oracle or DownOracle(),
        faults=faults or Faults(),
    )
    setup = RouterSetup(
        context=context,
        username=username,
        enable_secret=enable_secret or password or "",
        outside_ip=outside_ip,
        gateway=gateway,
        initial_config=initial_config,
        initial_files=dict(initial_files or {}),
    )
    state, factory = simulator.build(setup)
    server = SshServer(
        context=context,
        shell_factory=factory,
        credentials=Credentials(username, password, keys),
        host_key_path=Path(host_key_path),
        port=port,
    )
    server.start()
    return SimRouter(simulator.kind, context, state, server, setup=setup)
