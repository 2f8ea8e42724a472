"""The steps the commands chain together: find each device's VPN, render its config, save it."""

from __future__ import annotations

import time
from collections.abc import Sequence
from dataclasses import dataclass, replace
from pathlib import Path
from typing import TYPE_CHECKING

from cgw.aws import AwsContext, lookup_vpns
from cgw.errors import AwsError, CgwError, DeviceError, RenderError
from cgw.files import write_private_file
from cgw.model import Device, DeviceConfig, RenderedConfig, VpnConnection, masker_for
from cgw.platforms import get_platform
from cgw.secrets import Masker, current_masker

if TYPE_CHECKING:
    from cgw.fleet import StopSignal
    from cgw.platforms.base import Deployer, DeviceStatus, Plan, PushResult
    from cgw.session import Session


class Interrupted(CgwError):
    """The user pressed Ctrl-C before anything was sent to the device: it is untouched."""

    exit_code = 130


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
    # --prune: also remove what cgw created on this device for VPNs it no longer terminates.
    prune: bool = False


@dataclass(frozen=True)
class Resolved:
    """Every device whose VPN AWS returned, and a one-line error for each one it did not."""

    jobs: list[DeviceJob]
    failures: dict[str, str]  # device name → why its VPN could not be resolved
    names: tuple[str, ...] = ()  # every device asked for, in order

    def pruning(self, prune: bool) -> Resolved:
        """The same devices, planned with --prune when `prune`."""
        if not prune:
            return self
        return replace(self, jobs=[replace(job, prune=True) for job in self.jobs])


def resolve_jobs(
    ctx: AwsContext, devices: Sequence[Device], masker: Masker | None = None
) -> Resolved:
    """Resolve every device's VPN selector in as few AWS calls as possible (one per kind).

    A stale VPN id or a customer gateway IP AWS does not know is that device's failure only;
    every PSK of a VPN found is registered with the run's masker.
    """
    masker = masker or current_masker()
    lookup = lookup_vpns(
        ctx,
        vpn_ids=[d.vpn.vpn_id for d in devices if d.vpn.vpn_id],
        customer_gateway_ips=[
            str(d.vpn.customer_gateway_ip) for d in devices if d.vpn.customer_gateway_ip
        ],
    )
    jobs: list[DeviceJob] = []
    failures: dict[str, str] = {}
    for device in devices:
        selector = device.vpn.vpn_id or str(device.vpn.customer_gateway_ip)
        if selector in lookup.errors:
            failures[device.name] = f"{device.name}: {lookup.errors[selector]}"
            continue
        if device.vpn.vpn_id:
            matches = [lookup.by_id[device.vpn.vpn_id]] if device.vpn.vpn_id in lookup.by_id else []
        else:
            matches = list(lookup.by_ip.get(selector, ()))
        if len(matches) > 1:
            ids_text = ", ".join(sorted(v.id for v in matches))
            failures[device.name] = (
                f"{device.name}: several VPN connections use customer gateway {selector}"
                f" ({ids_text}); select one with vpn.vpn_id"
            )
            continue
        if not matches:
            failures[device.name] = f"{device.name}: no VPN connection found for {selector}"
            continue
        masker.extend(masker_for(matches[0]))
        jobs.append(DeviceJob(device=device, vpn=matches[0]))
    return Resolved(jobs, failures, tuple(d.name for d in devices))


def vpns_for_devices(
    ctx: AwsContext, devices: Sequence[Device], masker: Masker | None = None
) -> list[DeviceJob]:
    """Every device's VPN; the first device whose VPN is not found is an AwsError."""
    resolved = resolve_jobs(ctx, devices, masker)
    if resolved.failures:
        raise AwsError(next(iter(resolved.failures.values())))
    return resolved.jobs


def job_problems(job: DeviceJob) -> tuple[list[str], list[str]]:
    """What makes no sense in a device's settings given its VPN: (errors, warnings).

    Each names the device and the inventory key: a local ASN equal to AWS's (BGP would peer
    with itself: `router bgp 64512 / remote-as 64512`), static routes on a BGP VPN (ignored).
    """
    device, vpn = job.device, job.vpn
    errors: list[str] = []
    warnings: list[str] = []
    local_asn = device.local.local_asn
    key = "local.local_asn" if local_asn is not None else "the customer gateway's ASN at AWS"
    local_asn = local_asn if local_asn is not None else vpn.customer_gateway.asn
    aws_asns = {t.bgp.aws_asn for t in vpn.tunnels if t.bgp is not None}
    if vpn.routing == "bgp" and local_asn in aws_asns:
        errors.append(
            f"device {device.name}: {key} {local_asn} equals AWS's ASN for {vpn.id}: eBGP needs"
            " a different local ASN (set local.local_asn)"
        )
    if vpn.routing == "bgp" and device.local.static_routes:
        warnings.append(
            f"device {device.name}: local.static_routes is ignored: {vpn.id} uses BGP routing"
        )
    return errors, warnings


def intended_config(job: DeviceJob) -> RenderedConfig:
    """The device's intended configuration, after refusing settings that make no sense."""
    errors, _ = job_problems(job)
    if errors:
        raise RenderError(errors[0])
    return render_config(job.device, job.vpn)


def render_config(device: Device, vpn: VpnConnection) -> RenderedConfig:
    """The configuration `device` needs to terminate both tunnels of `vpn`."""
    return get_platform(device.platform).render(device, vpn)


def render_jobs(jobs: Sequence[DeviceJob]) -> list[RenderedConfig]:
    """The intended configuration of every device, in order."""
    return [intended_config(job) for job in jobs]


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
        masker=current_masker(),
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
    session: Session,
    job: DeviceJob,
    timeout_s: float,
    interval_s: float = 2.0,
    stop: StopSignal | None = None,
) -> DeviceStatus:
    """Verify repeatedly until both tunnels are UP, `timeout_s` has passed or the user pressed
    Ctrl-C (`stop`); the last status."""
    deadline = time.monotonic() + timeout_s
    while True:
        status = collect_status(session, job)
        if status.overall == "UP" or time.monotonic() >= deadline:
            return status
        if stop is not None and stop.is_set():
            return status
        pause = min(interval_s, max(0.0, deadline - time.monotonic()))
        if stop is not None:
            stop.sleep(pause)
        else:
            time.sleep(pause)


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


def learn_secrets(config: DeviceConfig) -> None:
    """Every key the device's configuration holds joins this run's masker (old keys too)."""
    masker = current_masker()
    for file in config.files:
        if file.content:
            masker.learn(file.content)


def plan_running(job: DeviceJob, running: DeviceConfig) -> Plan:
    """The plan from a running configuration, read from the device now or saved earlier.

    Without a release (inventory or `show version`), the configuration's own version line
    (`version 17.9`, `set version 21.4R3`) names it, so a saved config plans as its device does.
    """
    from cgw.push import plan_change

    learn_secrets(running)  # a key only the device holds (an old one) is masked from now on
    platform = get_platform(job.device.platform)
    if job.device.release is None and platform.version_command is not None:
        release = platform.parse_release(running.text)
        if release is not None:
            job = replace(job, device=replace(job.device, release=release))

    deployer = get_platform(job.device.platform).deployer
    intended = intended_config(job)
    return plan_change(deployer, running, job.device, job.vpn, intended, prune=job.prune)


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
    stop: StopSignal | None = None,
) -> PushResult:
    """Plan again, check it is the plan the user approved, then push it and verify.

    A connection that drops mid-push ends in DeviceError; cgw then reconnects once and lets the
    platform restore the backup, so the device holds its old configuration or the new one.
    """
    from cgw.push import push_plan

    deployer = get_platform(job.device.platform).deployer
    with device_session(job, ssh) as session:
        job, running, plan = plan_on_session(session, job)
        if stop is not None and stop.is_set():
            raise Interrupted(f"{job.device.name}: interrupted before anything was sent")
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
                verify=(
                    (lambda: wait_until_up(session, job, verify_timeout_s, stop=stop))
                    if verify
                    else None
                ),
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
