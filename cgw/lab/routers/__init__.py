"""Simulated branch routers for the lab: SSH servers on 127.0.0.1 that netmiko drives.

`start_router("cisco_xe" | "juniper_junos" | "linux", ...)` runs one in background threads and
returns a `SimRouter` (its port, state, faults and clock). Whether tunnels come up is decided by a
`TunnelOracle` given the router's running configuration; the default says everything is down.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import Literal

import paramiko

from cgw.lab.routers.clock import SimClock
from cgw.lab.routers.faults import Faults
from cgw.lab.routers.ios import DEFAULT_IOS_CONFIG, IosShell, IosState
from cgw.lab.routers.ios_profiles import profile as ios_profile
from cgw.lab.routers.junos import DEFAULT_JUNOS_CONFIG, JunosShell, JunosState
from cgw.lab.routers.linux import LinuxShell, LinuxState
from cgw.lab.routers.oracle import (
    BgpVerdict,
    DownOracle,
    OracleVerdict,
    RouterKind,
    TunnelOracle,
    TunnelVerdict,
)
from cgw.lab.routers.server import Credentials, ShellFactory, SshServer, known_hosts_line
from cgw.lab.routers.shell import RouterContext, Shell

__all__ = [
    "BgpVerdict",
    "DownOracle",
    "Faults",
    "OracleVerdict",
    "RouterKind",
    "SimClock",
    "SimRouter",
    "TunnelOracle",
    "TunnelVerdict",
    "start_router",
]

RouterState = IosState | JunosState | LinuxState


@dataclass
class SimRouter:
    """A running simulated router."""

    kind: RouterKind
    context: RouterContext
    state: RouterState
    server: SshServer
    host: str = field(default="127.0.0.1")

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
            return self.state.running_config()

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
    kind: Literal["cisco_xe", "juniper_junos", "linux"],
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
    oracle: TunnelOracle | None = None,
    clock: SimClock | None = None,
    faults: Faults | None = None,
    software: str | None = None,
) -> SimRouter:
    """Start a simulated router listening on 127.0.0.1:`port` (0: any free port).

    `authorized_keys` takes OpenSSH public-key lines or paramiko keys. `initial_config` replaces
    the platform's small default (WAN interface with `outside_ip`, default route to `gateway`):
    IOS running-config text, Junos `set` lines, or the Linux host's /etc/frr/frr.conf.
    `software` names the IOS profile to imitate (ios_profiles.PROFILES; default 17.9).
    """
    keys = tuple(
        k if isinstance(k, str) else f"{k.get_name()} {k.get_base64()}" for k in authorized_keys
    )
    if password is None and not keys:
        raise ValueError("a simulated router needs a password or an authorized key")
    context = RouterContext(
        kind=kind,
        hostname=hostname,
        clock=clock or SimClock(),
        oracle=oracle or DownOracle(),
        faults=faults or Faults(),
    )
    values = {"hostname": hostname, "outside_ip": outside_ip, "gateway": gateway}
    state, factory = _platform(
        kind, context, username, enable_secret or password or "", values, initial_config, software
    )
    server = SshServer(
        context=context,
        shell_factory=factory,
        credentials=Credentials(username, password, keys),
        host_key_path=Path(host_key_path),
        port=port,
    )
    server.start()
    return SimRouter(kind, context, state, server)


def _platform(
    kind: str,
    context: RouterContext,
    username: str,
    enable_secret: str,
    values: dict[str, str],
    initial_config: str | None,
    software: str | None = None,
) -> tuple[RouterState, ShellFactory]:
    if kind == "cisco_xe":
        ios = IosState(context, enable_secret, profile=ios_profile(software))
        ios.running.load(
            f"hostname {values['hostname']}\n"
            + (initial_config or DEFAULT_IOS_CONFIG.format(**values)),
            keep_unknown=True,
        )
        ios.startup = ios.running_config()

        def ios_shell() -> Shell:
            return IosShell(ios)

        return ios, ios_shell
    if kind == "juniper_junos":
        junos = JunosState(context)
        junos.load_initial(initial_config or DEFAULT_JUNOS_CONFIG.format(**values))

        def junos_shell() -> Shell:
            return JunosShell(junos, username)

        return junos, junos_shell
    if kind == "linux":
        linux = LinuxState(context, outside_ip=values["outside_ip"])
        linux.seed()
        if initial_config is not None:
            linux.files["/etc/frr/frr.conf"] = initial_config.encode()
            linux.reload_frr()

        def linux_shell() -> Shell:
            return LinuxShell(linux)

        return linux, linux_shell
    raise ValueError(f"unknown router kind {kind!r}; known: cisco_xe, juniper_junos, linux")
