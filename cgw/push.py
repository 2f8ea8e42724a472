"""Applying a Plan safely: backup first, send only the plan, confirm after verify or roll back.

The platform supplies the transaction (IOS archive + revert timer, Junos commit confirmed,
strongSwan atomic file replace); this module runs the same sequence for every platform:

    read running → backup (0600) → plan → prepare → apply → verify → confirm | rollback
"""

from __future__ import annotations

import os
import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Literal, Protocol

from cgw.files import write_private_file
from cgw.model import Device, RenderedConfig, VpnConnection
from cgw.plan import Plan

if TYPE_CHECKING:
    from cgw.session import Session
    from cgw.verify import DeviceStatus

STATE_DIR_ENV = "CGW_STATE_DIR"


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

    def read_running(self, session: Session) -> str:
        """The device's running configuration as text (files joined for hosts)."""
        ...

    def owned(self, running: str, device: Device, vpn: VpnConnection) -> str:
        """Only what cgw owns for this VPN: objects named after it, its tunnels and neighbours."""
        ...

    def plan(
        self, owned_running: str, intended: RenderedConfig, device: Device, vpn: VpnConnection
    ) -> Plan:
        """The change from the owned running configuration to the intended one."""
        ...

    def transaction(self, session: Session, plan: Plan, backup: str) -> Transaction:
        """A transaction that applies `plan` and can restore `backup`."""
        ...

    def recover(self, session: Session, device: Device, backup: str) -> str:
        """After a dropped push: make the device hold exactly `backup` (or confirm it does)."""
        ...


Outcome = Literal["in-sync", "applied", "rolled-back", "verify-failed", "declined"]


@dataclass(frozen=True)
class PushResult:
    """What a push did to one device."""

    device: str
    outcome: Outcome
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


def state_dir() -> Path:
    """Where backups live: $CGW_STATE_DIR, else $XDG_STATE_HOME/cgw (~/.local/state/cgw)."""
    override = os.environ.get(STATE_DIR_ENV)
    if override:
        return Path(override)
    base = os.environ.get("XDG_STATE_HOME") or str(Path.home() / ".local" / "state")
    return Path(base) / "cgw"


def write_backup(device: Device, running: str, directory: Path | None = None) -> Path:
    """Save the full running configuration before anything changes (mode 0600)."""
    stamp = time.strftime("%Y%m%dT%H%M%SZ", time.gmtime())
    path = (directory or state_dir()) / "backups" / device.name / f"{stamp}-{time.time_ns()}.cfg"
    write_private_file(path, running, 0o600)
    return path


def compute_plan(
    deployer: Deployer,
    session: Session,
    device: Device,
    vpn: VpnConnection,
    intended: RenderedConfig,
) -> tuple[str, Plan]:
    """Read the device and plan the change; returns (full running config, plan)."""
    running = deployer.read_running(session)
    owned = deployer.owned(running, device, vpn)
    return running, deployer.plan(owned, intended, device, vpn)


def push_plan(
    deployer: Deployer,
    session: Session,
    device: Device,
    running: str,
    plan: Plan,
    *,
    verify: Callable[[], DeviceStatus] | None = None,
    rollback_on_down: bool = False,
    backup_dir: Path | None = None,
) -> PushResult:
    """Back up, apply `plan` in one transaction, verify, then confirm or roll back.

    With `verify`, the change is confirmed only when both tunnels are up on platforms whose
    transaction can wait (Junos commit confirmed); elsewhere it is confirmed and a failed verify
    is reported (exit 2), restoring the backup only with `rollback_on_down`.
    """
    if plan.in_sync:
        return PushResult(device.name, "in-sync", plan, None, message="no change needed")
    backup_path = write_backup(device, running, backup_dir)
    transaction = deployer.transaction(session, plan, running)
    transaction.prepare()
    transaction.apply()
    status = verify() if verify is not None else None
    if status is not None and status.overall != "UP" and transaction.confirm_after_verify:
        transaction.rollback()
        return PushResult(
            device.name, "rolled-back", plan, backup_path, status,
            f"tunnels {status.overall} after the change; rolled back",
        )  # fmt: skip
    transaction.confirm()
    if status is not None and status.overall != "UP":
        if rollback_on_down:
            transaction.rollback()
            return PushResult(
                device.name, "rolled-back", plan, backup_path, status,
                f"tunnels {status.overall} after the change; backup restored",
            )  # fmt: skip
        return PushResult(
            device.name, "verify-failed", plan, backup_path, status,
            f"applied, but tunnels are {status.overall}",
        )  # fmt: skip
    return PushResult(device.name, "applied", plan, backup_path, status, "applied")
