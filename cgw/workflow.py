"""The steps the commands chain together: find each device's VPN, render its config, save it."""

from __future__ import annotations

import time
from collections.abc import Sequence
from dataclasses import dataclass, replace
from pathlib import Path
from typing import TYPE_CHECKING

from cgw.aws import AwsContext, fetch_vpn_connections
from cgw.errors import AwsError, CgwError, DeviceError
from cgw.files import write_private_file
from cgw.model import Device, DeviceConfig, RenderedConfig, VpnConnection, masker_for
from cgw.platforms import get_platform

if TYPE_CHECKING:
    from cgw.platforms.base import Deployer, Plan, PushResult
    from cgw.session import Session
    from cgw.verify import DeviceStatus


@dataclass(frozen=True)
class SshOptions:
    """How cgw opens SSH sessions: the host keys it trusts and where session logs go."""

    known_hosts: Path
    accept_new_host_key: bool = False
    session_log_dir: Path | None = None  # one masked log per device, mode 0600


@dataclass(frozen=True)
class DeviceJob:
    """A device together with the VPN connection it terminates."""

    device: Device
    vpn: VpnConnection


def vpns_for_devices(ctx: AwsContext, devices: Sequence[Device]) -> list[DeviceJob]:
    """Resolve every device's VPN selector with as few AWS calls as possible (one per kind)."""
    ids = [d.vpn.vpn_id for d in devices if d.vpn.vpn_id]
    ips = [d.vpn.customer_gateway_ip for d in devices if d.vpn.customer_gateway_ip]
    found: list[VpnConnection] = []
    if ids:
        found += fetch_vpn_connections(ctx, vpn_ids=ids)
    if ips:
        found += fetch_vpn_connections(ctx, customer_gateway_ips=ips)
    by_id = {v.id: v for v in found}
    jobs = []
    for device in devices:
        if device.vpn.vpn_id:
            vpn = by_id.get(device.vpn.vpn_id)
        else:
            matches = [
                v for v in by_id.values() if v.customer_gateway.ip == device.vpn.customer_gateway_ip
            ]
            if len(matches) > 1:
                ids_text = ", ".join(sorted(v.id for v in matches))
                raise AwsError(
                    f"{device.name}: several VPN connections use customer gateway "
                    f"{device.vpn.customer_gateway_ip} ({ids_text}); select one with vpn.vpn_id"
                )
            vpn = matches[0] if matches else None
        if vpn is None:
            selector = device.vpn.vpn_id or device.vpn.customer_gateway_ip
            raise AwsError(f"{device.name}: no VPN connection found for {selector}")
        masker_for(vpn)
        jobs.append(DeviceJob(device=device, vpn=vpn))
    return jobs


def render_config(device: Device, vpn: VpnConnection) -> RenderedConfig:
    """The configuration `device` needs to terminate both tunnels of `vpn`."""
    return get_platform(device.platform).render(device, vpn)


def render_jobs(jobs: Sequence[DeviceJob]) -> list[RenderedConfig]:
    """The intended configuration of every device, in order."""
    return [render_config(job.device, job.vpn) for job in jobs]


def save_rendered(rendered: RenderedConfig, directory: Path) -> list[Path]:
    """Save a device's rendered files under `directory`, each mode 0600.

    A CLI device's config goes to `<dir>/<device>.cfg`; a host's files keep their paths below
    `<dir>/<device>/`.
    """
    written = []
    for file in rendered.files:
        if file.path == "running-config":
            target = directory / f"{rendered.device}.cfg"
        else:
            target = directory / rendered.device / file.path.lstrip("/")
        write_private_file(target, file.content, 0o600)
        written.append(target)
    return written


def verify_device(job: DeviceJob, ssh: SshOptions) -> DeviceStatus:
    """Open an SSH session to the device and judge both tunnels of its VPN."""
    with device_session(job, ssh) as session:
        return collect_status(session, job)


def device_session(job: DeviceJob, ssh: SshOptions) -> Session:
    """An SSH session to the job's device, host key checked, its VPN's PSKs masked in logs."""
    from cgw.session import open_session

    if ssh.session_log_dir is not None:
        ssh.session_log_dir.mkdir(mode=0o700, parents=True, exist_ok=True)
    return open_session(
        job.device,
        get_platform(job.device.platform).netmiko_device_type,
        known_hosts=ssh.known_hosts,
        accept_new_host_key=ssh.accept_new_host_key,
        session_log=(
            ssh.session_log_dir / f"{job.device.name}.log" if ssh.session_log_dir else None
        ),
        masker=masker_for(job.vpn),
    )


def collect_status(session: Session, job: DeviceJob) -> DeviceStatus:
    """Run the platform's show commands on an open session and judge both tunnels."""
    from cgw.verify import device_status

    platform = get_platform(job.device.platform)
    outputs = {command: session.send_command(command) for command in platform.verify_commands}
    return device_status(
        platform,
        outputs,
        job.vpn,
        device_name=job.device.name,
        interface_names=platform.tunnel_interface_names(job.device),
    )


def wait_until_up(
    session: Session, job: DeviceJob, timeout_s: float, interval_s: float = 2.0
) -> DeviceStatus:
    """Verify repeatedly until both tunnels are UP or `timeout_s` has passed; the last status."""
    deadline = time.monotonic() + timeout_s
    while True:
        status = collect_status(session, job)
        if status.overall == "UP" or time.monotonic() >= deadline:
            return status
        time.sleep(min(interval_s, max(0.0, deadline - time.monotonic())))


def with_release(session: Session, job: DeviceJob) -> DeviceJob:
    """The job with the device's software release: the inventory's, else read from the device.

    The platform's `version_command` (e.g. `show version`) is run only when the inventory does
    not state a release and the platform renders differently by release.
    """
    platform = get_platform(job.device.platform)
    if job.device.release is not None or platform.version_command is None:
        return job
    release = platform.parse_release(session.send_command(platform.version_command))
    if release is None:
        return job
    return replace(job, device=replace(job.device, release=release))


def plan_on_session(session: Session, job: DeviceJob) -> tuple[DeviceJob, DeviceConfig, Plan]:
    """On an open session: the release, the intended config for it, the running one, the plan.

    Returns the job as planned (with the release found), the full running configuration (the
    backup a push restores) and the plan.
    """
    job = with_release(session, job)
    running = get_platform(job.device.platform).deployer.read_running(session)
    return job, running, plan_running(job, running)


def plan_running(job: DeviceJob, running: DeviceConfig) -> Plan:
    """The plan from a running configuration, read from the device now or saved earlier."""
    from cgw.push import plan_change

    deployer = get_platform(job.device.platform).deployer
    intended = render_config(job.device, job.vpn)
    plan = plan_change(deployer, running, job.device, job.vpn, intended)
    if job.device.release is not None:
        plan = replace(plan, notes=(*plan.notes, f"rendered for release {job.device.release}"))
    return plan


def plan_device(job: DeviceJob, ssh: SshOptions) -> Plan:
    """Read the device over SSH and plan the change to cgw's intended configuration."""
    with device_session(job, ssh) as session:
        return plan_on_session(session, job)[2]


def push_device(
    job: DeviceJob,
    ssh: SshOptions,
    *,
    expected: Plan | None = None,
    verify: bool = True,
    verify_timeout_s: float = 60.0,
    rollback_on_down: bool = False,
    backup_dir: Path | None = None,
) -> PushResult:
    """Plan again, check it is the plan the user approved, then push it and verify.

    A connection that drops mid-push ends in DeviceError; cgw then reconnects once and lets the
    platform restore the backup, so the device holds its old configuration or the new one.
    """
    from cgw.push import push_plan

    deployer = get_platform(job.device.platform).deployer
    with device_session(job, ssh) as session:
        job, running, plan = plan_on_session(session, job)
        if expected is not None and plan.commands != expected.commands:
            raise DeviceError(
                f"{job.device.name}: the device changed since the diff was shown;"
                " run cgw diff again"
            )
        try:
            return push_plan(
                deployer,
                session,
                job.device,
                running,
                plan,
                verify=(lambda: wait_until_up(session, job, verify_timeout_s)) if verify else None,
                rollback_on_down=rollback_on_down,
                backup_dir=backup_dir,
            )
        except DeviceError as exc:
            failure = str(exc)
    raise DeviceError(_recover(job, deployer, running, failure, ssh))


def _recover(
    job: DeviceJob, deployer: Deployer, backup: DeviceConfig, failure: str, ssh: SshOptions
) -> str:
    """After a failed push, reconnect once and have the platform restore the backup."""
    try:
        with device_session(job, replace(ssh, accept_new_host_key=False)) as session:
            restored = deployer.recover(session, job.device, backup)
    except CgwError as exc:
        return (
            f"{failure}; reconnecting to restore the backup failed ({exc}); the device's own"
            " safety net (revert timer / commit confirmed) restores it"
        )
    return f"{failure}; {restored}"
