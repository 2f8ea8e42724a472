"""Every protocol a platform implements and the types they exchange.

A platform (one package under `cgw.platforms`, or a separately installed one found through the
`cgw.platforms` entry point group) implements `Platform`; its `deployer` implements `Deployer`,
whose transactions implement `Transaction`. The running configuration crosses these seams as a
`DeviceConfig` (files), the intended one as a `RenderedConfig`, the change as a `Plan`.
This module depends on `cgw.model` (and the masker it uses) only.
"""

from __future__ import annotations

import difflib
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Literal, Protocol, runtime_checkable

from cgw.model import (
    Device,
    DeviceConfig,
    IpAddress,
    ParsedStatus,
    PlatformOptions,
    RenderedConfig,
    Routing,
    VpnConnection,
)
from cgw.secrets import Masker

if TYPE_CHECKING:
    from cgw.parsing import CommandParsers
    from cgw.session import Session


# --- the change --------------------------------------------------------------------------------
@dataclass(frozen=True)
class FileChange:
    """A file on a Linux host that must get new content (None: removed)."""

    path: str
    old: str | None
    new: str | None
    mode: int = 0o600


@dataclass(frozen=True)
class Plan:
    """The exact change for one device: CLI commands in order, or file changes.

    `commands` is what will be sent, in order (for CLI platforms it already includes the
    configuration-mode framing the platform needs; platforms document it). `remove`/`add` are
    the same change as line sets, for people and JSON. `running` and `intended` are the owned
    part of the running configuration and the intended one, as text for people.
    """

    device: str
    platform: str
    vpn_id: str
    running: str
    intended: str
    commands: tuple[str, ...] = ()
    remove: tuple[str, ...] = ()
    add: tuple[str, ...] = ()
    files: tuple[FileChange, ...] = ()
    notes: tuple[str, ...] = field(default=())  # e.g. "PSK lines compared by hash"

    @property
    def in_sync(self) -> bool:
        return not self.commands and not self.files

    def unified_diff(self) -> str:
        """running → intended as a unified diff (unmasked: mask before showing it)."""
        if self.files:
            return "".join(file_diff(c.path, c.old or "", c.new or "") for c in self.files)
        return file_diff(f"{self.device} running", self.running, self.intended)

    def masked(self, masker: Masker) -> MaskedPlan:
        """The same plan with every secret replaced by its label, for output."""
        return MaskedPlan(
            diff=masker.mask_diff(self.unified_diff()),
            commands=tuple(masker.mask_all(self.commands)),
        )


@dataclass(frozen=True)
class MaskedPlan:
    """What `cgw diff` shows: the diff and the commands, secrets as `<psk:tunnel1>`."""

    diff: str
    commands: tuple[str, ...]


def file_diff(name: str, old: str, new: str) -> str:
    """A unified diff of two texts, labelled like `diff -u` output."""
    lines = difflib.unified_diff(
        old.splitlines(keepends=True),
        new.splitlines(keepends=True),
        fromfile=f"{name} (device)",
        tofile=f"{name} (cgw)",
    )
    return "".join(line if line.endswith("\n") else line + "\n" for line in lines)


# --- tunnel status -----------------------------------------------------------------------------
Overall = Literal["UP", "DEGRADED", "DOWN", "UNKNOWN"]


@dataclass(frozen=True)
class TunnelStatus:
    """One tunnel's state as the device shows it, with AWS's telemetry beside it."""

    number: int
    aws_outside_ip: IpAddress
    aws_inside_ip: IpAddress
    cgw_inside_ip: IpAddress
    ike_state: str | None = None
    ike_up: bool | None = None
    ipsec_state: str | None = None
    ipsec_up: bool | None = None
    packets_in: int | None = None
    packets_out: int | None = None
    bgp_state: str | None = None
    bgp_established: bool | None = None
    prefixes_received: int | None = None
    static_route_present: bool | None = None
    tunnel_interface: str | None = (
        None  # static routing: the interface checked (None: policy-based)
    )
    aws_status: str | None = None
    aws_status_message: str | None = None
    aws_accepted_routes: int | None = None
    aws_last_change: str | None = None
    up: bool | None = None  # None: the output that would decide it was not available
    reason: str = ""  # why not up, or an AWS disagreement; empty when up and undisputed


@dataclass(frozen=True)
class DeviceStatus:
    """Both tunnels of one VPN connection on one device, and the verdict over them."""

    device: str
    platform: str
    vpn_id: str
    routing: Routing
    tunnels: tuple[TunnelStatus, ...]
    overall: Overall
    parsed: ParsedStatus
    warnings: tuple[str, ...] = ()  # one line per command whose output could not be read


# --- applying it -------------------------------------------------------------------------------
class Transaction(Protocol):
    """One change in flight on a device.

    A dropped connection must leave the device with its old configuration or the new one, never
    a mix: the transaction's safety net (revert timer, commit confirmed, atomic rename) sees to it.
    """

    # True where the device keeps the change unconfirmed until confirm() (Junos commit
    # confirmed): push then confirms only when verify says both tunnels are up.
    confirm_after_verify: bool

    def prepare(self) -> None:
        """Arm the safety net (archive + revert timer, configure private, staged files)."""
        ...

    def apply(self) -> None:
        """Send the plan; on a rejected line roll back and raise DeviceError naming that line."""
        ...

    def confirm(self) -> None:
        """Make the change permanent (configure confirm + write memory, commit, ...)."""
        ...

    def rollback(self) -> None:
        """Put the device back exactly as the backup holds it."""
        ...


class Deployer(Protocol):
    """The platform's part of diff and push."""

    def read_running(self, session: Session) -> DeviceConfig:
        """What the device runs now (CLI: one `running-config` file; hosts: cgw's files)."""
        ...

    def owned(
        self, running: DeviceConfig, device: Device, vpn: VpnConnection, *, prune: bool = False
    ) -> DeviceConfig:
        """Only what cgw owns for this VPN: objects named after it, its tunnels and neighbours.

        `prune`: also what cgw created for any other VPN, so the plan removes it (--prune);
        a platform that cannot tell raises CgwError saying so.
        """
        ...

    def plan(
        self, owned: DeviceConfig, intended: RenderedConfig, device: Device, vpn: VpnConnection
    ) -> Plan:
        """The change from the owned running configuration to the intended one."""
        ...

    def transaction(self, session: Session, plan: Plan, backup: DeviceConfig) -> Transaction:
        """A transaction that applies `plan` and can restore `backup`."""
        ...

    def recover(self, session: Session, device: Device, backup: DeviceConfig) -> str:
        """After a dropped push: make the device hold exactly `backup` (or confirm it does)."""
        ...


PushOutcome = Literal["in-sync", "applied", "rolled-back", "verify-failed", "declined"]


@dataclass(frozen=True)
class PushResult:
    """What a push did to one device."""

    device: str
    outcome: PushOutcome
    plan: Plan
    backup_path: Path | None
    status: DeviceStatus | None = None
    message: str = ""

    @property
    def exit_code(self) -> int:
        """0 in sync or applied and up; 2 applied but a tunnel down, or declined; 1 rolled back."""
        if self.outcome in ("in-sync", "applied"):
            return 0
        return 1 if self.outcome == "rolled-back" else 2


# --- the platform ------------------------------------------------------------------------------
@runtime_checkable
class Platform(Protocol):
    """One vendor OS: how cgw renders for it, reads it, changes it and judges its tunnels."""

    name: str  # "cisco_xe"
    netmiko_device_type: str  # "cisco_xe"
    template_dir: str  # folder under device_templates/
    default_wan_interface: str  # used by ad hoc `cgw render --vpn --platform` without a flag
    options: type[PlatformOptions]  # the vendor's own `local:` settings (zones, dataplane, …)
    verify_commands: tuple[str, ...]  # what `cgw verify` runs, in order
    parsers: CommandParsers  # every command it reads and the TextFSM template for each
    # The command that prints the software release (None: the platform has no release rules).
    version_command: str | None

    @property
    def deployer(self) -> Deployer:
        """Reading, scoping, planning and applying changes (diff, push)."""
        ...

    def render(self, device: Device, vpn: VpnConnection) -> RenderedConfig:
        """The configuration this device needs for this VPN (for `device.release` if known)."""
        ...

    def parse_status(self, outputs: Mapping[str, str]) -> ParsedStatus:
        """Normalised status from command → output; a command not run leaves its field None."""
        ...

    def parse_release(self, output: str) -> str | None:
        """The release in `version_command`'s output (`17.12.1a`), None if not found."""
        ...

    def tunnel_interface_names(self, device: Device) -> tuple[str, str] | None:
        """The device's two tunnel interfaces as its show output names them (None: no VTI)."""
        ...
