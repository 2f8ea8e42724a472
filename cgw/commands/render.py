"""`cgw render`: the configuration each device needs, printed (PSKs masked) or saved 0600."""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING

import click

from cgw.commands import Options, pass_options, printer
from cgw.errors import CgwError

if TYPE_CHECKING:
    from cgw.model import Device

AD_HOC_DEVICE = "adhoc"


@click.command("render")
@click.argument("devices", nargs=-1)
@click.option("-g", "--group", help="Every device of an inventory group.")
@click.option("--all", "everything", is_flag=True, help="Every device of the inventory.")
@click.option(
    "-o",
    "--output-dir",
    type=click.Path(path_type=Path, file_okay=False),
    help="Write files here (mode 0600, PSKs in clear) instead of printing.",
)
@click.option("--show-secrets", is_flag=True, help="Print pre-shared keys in clear.")
@click.option("--vpn", "vpn_id", help="Ad hoc: render for this VPN id, no inventory needed.")
@click.option("--platform", help="Ad hoc: cisco_ios, cisco_xe, juniper_junos or strongswan.")
@click.option("--wan-interface", help="Ad hoc: WAN interface [platform's usual first port].")
@click.option("--local-outside-ip", help="Ad hoc: private address when behind NAT.")
@click.option("--local-asn", type=int, help="Ad hoc: local BGP ASN [the customer gateway's].")
@click.option("--tunnel-numbers", default="1,2", show_default=True, help="Ad hoc: two numbers.")
@click.option("--advertise", multiple=True, help="Ad hoc: a prefix to announce over BGP.")
@click.option("--static-route", multiple=True, help="Ad hoc: a VPC prefix (static routing).")
@pass_options
def command(
    options: Options,
    devices: tuple[str, ...],
    group: str | None,
    everything: bool,
    output_dir: Path | None,
    show_secrets: bool,
    vpn_id: str | None,
    platform: str | None,
    wan_interface: str | None,
    local_outside_ip: str | None,
    local_asn: int | None,
    tunnel_numbers: str,
    advertise: tuple[str, ...],
    static_route: tuple[str, ...],
) -> int:
    """Render device configs from AWS's parameters and the inventory.

    \b
    cgw render branch-01                 print (PSKs masked)
    cgw render --all -o out/             write out/<device>.cfg, mode 0600
    cgw render --vpn vpn-0abc --platform cisco_xe --wan-interface Gi0/0/0
    """
    from cgw.aws import AwsContext
    from cgw.inventory import load_inventory
    from cgw.workflow import render_jobs, save_rendered, vpns_for_devices

    ctx = AwsContext(profile=options.profile, region=options.region)
    if vpn_id or platform:
        if devices or group or everything:
            raise CgwError("use either device names or --vpn/--platform, not both")
        if not (vpn_id and platform):
            raise CgwError("ad hoc rendering needs both --vpn and --platform")
        device = _ad_hoc_device(
            vpn_id,
            platform,
            wan_interface,
            local_outside_ip,
            local_asn,
            tunnel_numbers,
            advertise,
            static_route,
        )
        chosen = [device]
    else:
        chosen = load_inventory(options.inventory).select(devices, group, everything)
    jobs = vpns_for_devices(ctx, chosen)
    rendered = render_jobs(jobs)
    out = printer(show_secrets)
    for config in rendered:
        if output_dir is not None:
            for path in save_rendered(config, output_dir):
                out.rich(f"[green]wrote[/green] {path} (0600)")
        else:
            if len(rendered) > 1:
                out.rich(f"[bold]# {config.device} ({config.platform}, {config.vpn_id})[/bold]")
            out.text(config.text)
    return 0


def _ad_hoc_device(
    vpn_id: str,
    platform_name: str,
    wan_interface: str | None,
    local_outside_ip: str | None,
    local_asn: int | None,
    tunnel_numbers: str,
    advertise: tuple[str, ...],
    static_route: tuple[str, ...],
) -> Device:
    """A Device made from command-line flags, with the platform's documented defaults."""
    from cgw.model import Device, LocalSettings, VpnSelector, ip_address, ipv4_network
    from cgw.platforms import get_platform

    platform = get_platform(platform_name)
    try:
        numbers = tuple(int(n) for n in tunnel_numbers.split(","))
    except ValueError:
        raise CgwError(
            f"--tunnel-numbers takes two numbers like 1,2, got {tunnel_numbers!r}"
        ) from None
    if len(numbers) != 2:
        raise CgwError(f"--tunnel-numbers takes two numbers like 1,2, got {tunnel_numbers!r}")
    return Device(
        name=AD_HOC_DEVICE,
        host="0.0.0.0",
        platform=platform.name,
        vpn=VpnSelector(vpn_id=vpn_id),
        local=LocalSettings(
            wan_interface=wan_interface or platform.default_wan_interface,
            local_outside_ip=(
                ip_address(local_outside_ip, "--local-outside-ip") if local_outside_ip else None
            ),
            tunnel_numbers=(numbers[0], numbers[1]),
            local_asn=local_asn,
            advertised_prefixes=tuple(ipv4_network(p, "--advertise") for p in advertise),
            static_routes=tuple(ipv4_network(p, "--static-route") for p in static_route),
        ),
    )
