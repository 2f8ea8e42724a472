"""Applying a Plan safely: backup first, send only the plan, confirm after verify or roll back.

The platform supplies the transaction (IOS archive + revert timer, Junos commit confirmed,
strongSwan atomic file replace); this module runs the same sequence for every platform:

    read running → backup (0600) → plan → prepare → apply → verify → confirm | rollback
"""

from __future__ import annotations

import io
import os
import tarfile
import time
from collections.abc import Callable
from pathlib import Path
from typing import TYPE_CHECKING

from cgw.files import write_private_bytes, write_private_file
from cgw.model import RUNNING_CONFIG, Device, DeviceConfig, RenderedConfig, VpnConnection
from cgw.platforms.base import Deployer, Plan, PushResult

if TYPE_CHECKING:
    from cgw.platforms.base import DeviceStatus
    from cgw.session import Session

STATE_DIR_ENV = "CGW_STATE_DIR"


def state_dir() -> Path:
    """Where backups live: $CGW_STATE_DIR, else $XDG_STATE_HOME/cgw (~/.local/state/cgw)."""
    override = os.environ.get(STATE_DIR_ENV)
    if override:
        return Path(override)
    base = os.environ.get("XDG_STATE_HOME") or str(Path.home() / ".local" / "state")
    return Path(base) / "cgw"


def write_backup(device: Device, running: DeviceConfig, directory: Path | None = None) -> Path:
    """Save what the device runs before anything changes (mode 0600).

    A CLI device's configuration is saved as text (`<stamp>.cfg`); a host's files as a tar
    archive with each file at its path (`<stamp>.tar`). Both can be given back to
    `cgw diff --running-config`.
    """
    stamp = f"{time.strftime('%Y%m%dT%H%M%SZ', time.gmtime())}-{time.time_ns()}"
    folder = (directory or state_dir()) / "backups" / device.name
    if [f.path for f in running.files] == [RUNNING_CONFIG]:
        path = folder / f"{stamp}.cfg"
        write_private_file(path, running.text, 0o600)
        return path
    path = folder / f"{stamp}.tar"
    write_private_bytes(path, host_files_archive(running), 0o600)
    return path


def host_files_archive(config: DeviceConfig) -> bytes:
    """A tar archive of a host's files, each at its path without the leading `/`."""
    buffer = io.BytesIO()
    with tarfile.open(fileobj=buffer, mode="w") as archive:
        for file in config.files:
            if file.content is None:
                continue
            data = file.content.encode("utf-8")
            member = tarfile.TarInfo(file.path.lstrip("/"))
            member.size, member.mode, member.mtime = len(data), 0o600, int(time.time())
            archive.addfile(member, io.BytesIO(data))
    return buffer.getvalue()


def compute_plan(
    deployer: Deployer,
    session: Session,
    device: Device,
    vpn: VpnConnection,
    intended: RenderedConfig,
) -> tuple[DeviceConfig, Plan]:
    """Read the device and plan the change; returns (full running config, plan)."""
    running = deployer.read_running(session)
    return running, plan_change(deployer, running, device, vpn, intended)


def plan_change(
    deployer: Deployer,
    running: DeviceConfig,
    device: Device,
    vpn: VpnConnection,
    intended: RenderedConfig,
    *,
    prune: bool = False,
) -> Plan:
    """The change from a running configuration, read from the device now or saved earlier.

    With `prune`, what cgw created for other VPNs (objects named `aws-vpn-…`, or described so)
    is owned too, so the plan removes it; nothing else ever is.
    """
    owned = (
        deployer.owned(running, device, vpn, prune=True)
        if prune
        else deployer.owned(running, device, vpn)
    )
    return deployer.plan(owned, intended, device, vpn)


def push_plan(
    deployer: Deployer,
    session: Session,
    device: Device,
    running: DeviceConfig,
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
