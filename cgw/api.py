"""cgw as a library: the command line's steps as typed functions, for a Nornir task, an Ansible
module or a script. Each step is the code the CLI runs; nothing here prints.

    vpn = cgw.api.fetch(device)                      # AWS → VpnConnection
    cgw.api.render(device, vpn)                      # → RenderedConfig (keys in clear: 0600!)
    cgw.api.plan(device, vpn)                        # → Plan, over SSH (or running=saved text)
    cgw.api.push(device, vpn)                        # → PushResult (backup, apply, verify)
    cgw.api.verify(device, vpn)                      # → DeviceStatus (or outputs=saved text)

Devices come from an inventory folder (`load_devices`) or are built in code (`device`).
Errors are `cgw.errors.CgwError` subclasses with a one-line message; secrets never appear in
them. Masking output is the caller's choice: `cgw.api.masker(vpn).mask(text)`.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from pathlib import Path

from cgw.aws import AwsContext, fetch_vpn_connections
from cgw.errors import AwsError, CgwError
from cgw.model import (
    Credentials,
    Device,
    DeviceConfig,
    RenderedConfig,
    VpnConnection,
    VpnSelector,
    ip_address,
    ipv4_network,
    masker_for,
)
from cgw.platforms import get_platform
from cgw.platforms.base import Plan, PushResult
from cgw.secrets import Masker
from cgw.verify import DeviceStatus, device_status
from cgw.workflow import DeviceJob, SshOptions, render_config

__all__ = [
    "AwsContext",
    "CgwError",
    "DeviceStatus",
    "Plan",
    "PushResult",
    "SshOptions",
    "device",
    "fetch",
    "load_devices",
    "masker",
    "plan",
    "push",
    "render",
    "ssh_options",
    "verify",
]


def load_devices(inventory: str | Path) -> dict[str, Device]:
    """Every device of an inventory folder (hosts.yaml, groups.yaml, defaults.yaml), by name."""
    from cgw.inventory import load_inventory

    return dict(load_inventory(Path(inventory).expanduser()).devices)


def device(
    name: str,
    host: str,
    platform: str,
    *,
    vpn_id: str | None = None,
    customer_gateway_ip: str | None = None,
    wan_interface: str | None = None,
    port: int = 22,
    username: str | None = None,
    username_env: str | None = None,
    password_env: str | None = None,
    secret_env: str | None = None,
    key_file: str | None = None,
    release: str | None = None,
    tunnel_numbers: tuple[int, int] = (1, 2),
    local_asn: int | None = None,
    advertised_prefixes: Sequence[str] = (),
    static_routes: Sequence[str] = (),
    local_outside_ip: str | None = None,
    **platform_options: object,
) -> Device:
    """A device described in code, validated exactly as an inventory entry is.

    Credentials are references, as in the inventory: environment variable names or a key file.
    Keyword arguments the common settings do not name are the platform's own `local:` options
    (`trust_zone=`, `strongswan_dataplane=`, …).
    """
    from cgw.model import LocalSettings

    chosen = get_platform(platform)
    selector = VpnSelector(
        vpn_id=vpn_id,
        customer_gateway_ip=(
            ip_address(customer_gateway_ip, "customer_gateway_ip") if customer_gateway_ip else None
        ),
    )
    local = LocalSettings(
        wan_interface=wan_interface or chosen.default_wan_interface,
        local_outside_ip=(
            ip_address(local_outside_ip, "local_outside_ip") if local_outside_ip else None
        ),
        tunnel_numbers=tunnel_numbers,
        local_asn=local_asn,
        advertised_prefixes=tuple(
            ipv4_network(p, "advertised_prefixes") for p in advertised_prefixes
        ),
        static_routes=tuple(ipv4_network(p, "static_routes") for p in static_routes),
        options=chosen.options.from_settings(platform_options),
    )
    return Device(
        name=name,
        host=host,
        platform=platform,
        vpn=selector,
        local=local,
        port=port,
        credentials=Credentials(
            username=username,
            username_env=username_env,
            password_env=password_env,
            secret_env=secret_env,
            key_file=key_file,
        ),
        release=release,
    )


def fetch(target: Device | str, *, aws: AwsContext | None = None) -> VpnConnection:
    """The VPN connection a device terminates (by its selector), or the one with this id."""
    from cgw.workflow import vpns_for_devices

    context = aws or AwsContext()
    if isinstance(target, str):
        found = fetch_vpn_connections(context, vpn_ids=[target])
        if not found:
            raise AwsError(f"no VPN connection {target}")
        return found[0]
    return vpns_for_devices(context, [target])[0].vpn


def render(device: Device, vpn: VpnConnection) -> RenderedConfig:
    """The configuration `device` needs for both tunnels of `vpn` (holds the keys in clear)."""
    return render_config(device, vpn)


def masker(vpn: VpnConnection) -> Masker:
    """A masker for this VPN's keys: `masker(vpn).mask(text)` before showing text to anyone."""
    return masker_for(vpn)


def ssh_options(
    known_hosts: str | Path | None = None,
    *,
    accept_new_host_key: bool = False,
    session_log_dir: str | Path | None = None,
) -> SshOptions:
    """How to reach devices: the known_hosts file cgw checks keys against (default cgw's own)."""
    from cgw.session import default_known_hosts

    return SshOptions(
        known_hosts=Path(known_hosts).expanduser() if known_hosts else default_known_hosts(),
        accept_new_host_key=accept_new_host_key,
        session_log_dir=Path(session_log_dir).expanduser() if session_log_dir else None,
    )


def plan(
    device: Device,
    vpn: VpnConnection,
    *,
    running: DeviceConfig | str | None = None,
    ssh: SshOptions | None = None,
) -> Plan:
    """The change `device` needs: against `running` (a saved config, no SSH) or over SSH."""
    from cgw.workflow import plan_device

    if running is None:
        return plan_device(DeviceJob(device, vpn), ssh or ssh_options())
    if isinstance(running, str):
        running = DeviceConfig.cli(device.name, device.platform, running)
    deployer = get_platform(device.platform).deployer
    owned = deployer.owned(running, device, vpn)
    return deployer.plan(owned, render_config(device, vpn), device, vpn)


def push(
    device: Device,
    vpn: VpnConnection,
    *,
    ssh: SshOptions | None = None,
    expected: Plan | None = None,
    verify: bool = True,
    verify_timeout_s: float = 60.0,
    rollback_on_down: bool = False,
    backup_dir: str | Path | None = None,
) -> PushResult:
    """Back up, apply only the needed lines under the device's safety net, verify, confirm.

    With `expected` (a plan shown to a person), the push refuses if the device changed since.
    """
    from cgw.workflow import push_device

    return push_device(
        DeviceJob(device, vpn),
        ssh or ssh_options(),
        expected=expected,
        verify=verify,
        verify_timeout_s=verify_timeout_s,
        rollback_on_down=rollback_on_down,
        backup_dir=Path(backup_dir).expanduser() if backup_dir else None,
    )


def verify(
    device: Device,
    vpn: VpnConnection,
    *,
    outputs: Mapping[str, str] | None = None,
    ssh: SshOptions | None = None,
) -> DeviceStatus:
    """Both tunnels' state: from saved `outputs` (command → text), else over SSH."""
    from cgw.workflow import verify_device

    if outputs is None:
        return verify_device(DeviceJob(device, vpn), ssh or ssh_options())
    platform = get_platform(device.platform)
    return device_status(
        platform,
        outputs,
        vpn,
        device_name=device.name,
        interface_names=platform.tunnel_interface_names(device),
    )
