"""`cgw render`: the configuration each device needs, printed (PSKs masked) or saved 0600."""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING, Any

import click
from rich.markup import escape

from cgw.commands import Options, pass_options, printer
from cgw.errors import CgwError

if TYPE_CHECKING:
    from cgw.model import Device, RenderedConfig
    from cgw.output import Printer

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
@click.option("--json", "as_json", is_flag=True, help="JSON for programs.")
@click.option("--vpn", "vpn_id", help="Ad hoc: render for this VPN id, no inventory needed.")
@click.option("--platform", help="Ad hoc: cisco_ios, cisco_xe, juniper_junos or strongswan.")
@click.option("--wan-interface", help="Ad hoc: WAN interface [platform's usual first port].")
@click.option("--local-outside-ip", help="Ad hoc: private address when behind NAT.")
@click.option("--local-asn", type=int, help="Ad hoc: local BGP ASN [the customer gateway's].")
@click.option("--tunnel-numbers", default="1,2", show_default=True, help="Ad hoc: two numbers.")
@click.option("--advertise", multiple=True, help="Ad hoc: a prefix to announce over BGP.")
@click.option("--static-route", multiple=True, help="Ad hoc: a VPC prefix (static routing).")
@click.option("--release", help="Ad hoc: the software release to render for [current releases].")
@pass_options
def command(
    options: Options,
    devices: tuple[str, ...],
    group: str | None,
    everything: bool,
    output_dir: Path | None,
    show_secrets: bool,
    as_json: bool,
    vpn_id: str | None,
    platform: str | None,
    wan_interface: str | None,
    local_outside_ip: str | None,
    local_asn: int | None,
    tunnel_numbers: str,
    advertise: tuple[str, ...],
    static_route: tuple[str, ...],
    release: str | None,
) -> int:
    """Render device configs from AWS's parameters and the inventory.

    \b
    cgw render branch-01                 print (PSKs masked)
    cgw render --all -o out/             write out/<device>.cfg, mode 0600
    cgw render --vpn vpn-0abc --platform cisco_xe --wan-interface Gi0/0/0
    """
    from dataclasses import replace

    from cgw.aws import AwsContext, check_vpn_id
    from cgw.inventory import load_inventory
    from cgw.model import check_release
    from cgw.output import result_item
    from cgw.workflow import intended_config, job_problems, resolve_jobs

    ctx = AwsContext(profile=options.profile, region=options.region)
    if vpn_id or platform:
        if devices or group or everything:
            raise CgwError("use either device names or --vpn/--platform, not both")
        if not (vpn_id and platform):
            raise CgwError("ad hoc rendering needs both --vpn and --platform")
        check_vpn_id(vpn_id, "--vpn")
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
        if release is not None:
            device = replace(device, release=check_release(release, "--release"))
        chosen = [device]
    else:
        chosen = load_inventory(options.inventory).select(devices, group, everything)
    resolved = resolve_jobs(ctx, chosen)
    if static_route and resolved.jobs and resolved.jobs[0].vpn.routing == "bgp":
        raise CgwError(f"--static-route: {vpn_id} uses BGP routing; static routes do not apply")
    out = printer(show_secrets)
    items: dict[str, dict[str, Any]] = {
        name: result_item(name, error=error) for name, error in resolved.failures.items()
    }
    warnings: list[str] = []
    rendered: list[RenderedConfig] = []
    for job in resolved.jobs:
        warnings += job_problems(job)[1]
        try:
            rendered.append(intended_config(job))
        except CgwError as exc:
            items[job.device.name] = result_item(job.device.name, error=out.mask(str(exc)))
    code = 1 if items else 0
    interrupted = False
    try:
        for config in rendered:
            items[config.device] = result_item(config.device, data=_render_json(config, out))
            if output_dir is not None:
                try:
                    written = _save(config, output_dir)
                except CgwError as exc:
                    items[config.device] = result_item(config.device, error=str(exc))
                    code = 1
                    continue
                items[config.device]["data"]["written"] = [str(p) for p in written]
                if not as_json:
                    for path in written:
                        out.rich(f"[green]wrote[/green] {escape(str(path))} (0600)")
            elif not as_json:
                if len(rendered) > 1:
                    out.rich(
                        f"[bold]# {escape(config.device)} ({config.platform}, {config.vpn_id})"
                        "[/bold]"
                    )
                out.text(config.text)
    except KeyboardInterrupt:
        # Each file is written to a temporary name and renamed: none is ever half written.
        interrupted, code = True, 130
        for config in rendered:
            items.setdefault(config.device, result_item(config.device, status="not-started"))
    ordered = [items[n] for n in resolved.names if n in items]
    for warning in warnings:
        out.warning(warning)
    for item in ordered:
        if item["status"] == "error" and not as_json:
            out.error(item["name"], item["error"] or "")
    if as_json:
        out.envelope("render", ordered, code, interrupted=interrupted, warnings=warnings)
    elif interrupted:
        done = [i["name"] for i in ordered if i["status"] == "ok"]
        out.rich(f"interrupted: rendered {', '.join(done) or 'nothing'}; no file is half written")
    return code


def _save(config: RenderedConfig, output_dir: Path) -> list[Path]:
    from cgw.workflow import save_rendered

    return save_rendered(config, output_dir)


def _render_json(config: RenderedConfig, out: Printer) -> dict[str, Any]:
    return {
        "platform": config.platform,
        "vpn_id": config.vpn_id,
        "files": [{"path": f.path, "content": out.mask(f.content)} for f in config.files],
    }


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
