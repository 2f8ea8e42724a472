"""`cgw fetch`: the tunnel parameters AWS generated, as a table or JSON."""

from __future__ import annotations

import click

from cgw.commands import Options, pass_options, printer
from cgw.errors import CgwError
from cgw.output import vpn_json, vpn_table


def _parse_tags(tags: tuple[str, ...]) -> dict[str, str]:
    parsed = {}
    for tag in tags:
        key, sep, value = tag.partition("=")
        if not sep or not key:
            raise CgwError(f"--tag takes Key=Value, got {tag!r}")
        parsed[key] = value
    return parsed


@click.command("fetch")
@click.argument("vpn_ids", nargs=-1)
@click.option("--device", "devices", multiple=True, help="The VPN of an inventory device.")
@click.option("--cgw-ip", "cgw_ips", multiple=True, help="Select by customer gateway IP.")
@click.option("--tag", "tags", multiple=True, help="Select by tag, Key=Value.")
@click.option("--json", "as_json", is_flag=True, help="JSON for programs.")
@click.option("--show-secrets", is_flag=True, help="Print pre-shared keys in clear.")
@pass_options
def command(
    options: Options,
    vpn_ids: tuple[str, ...],
    devices: tuple[str, ...],
    cgw_ips: tuple[str, ...],
    tags: tuple[str, ...],
    as_json: bool,
    show_secrets: bool,
) -> int:
    """Read VPN connections from AWS (by id, --device, --cgw-ip or --tag)."""
    from cgw.aws import AwsContext, check_vpn_id, fetch_vpn_connections
    from cgw.inventory import load_inventory
    from cgw.model import masker_for
    from cgw.output import result_item
    from cgw.secrets import current_masker
    from cgw.workflow import resolve_jobs

    if not (vpn_ids or devices or cgw_ips or tags):
        raise CgwError("name a VPN id, or use --device, --cgw-ip or --tag")
    for vpn_id in vpn_ids:
        check_vpn_id(vpn_id)
    ctx = AwsContext(profile=options.profile, region=options.region)
    vpns = []
    failures: dict[str, str] = {}
    if devices:
        chosen = load_inventory(options.inventory).select(devices)
        resolved = resolve_jobs(ctx, chosen)
        vpns += [job.vpn for job in resolved.jobs]
        failures = resolved.failures
    if vpn_ids or cgw_ips or tags:
        vpns += fetch_vpn_connections(
            ctx, vpn_ids=vpn_ids, customer_gateway_ips=cgw_ips, tags=_parse_tags(tags)
        )
    vpns = list({v.id: v for v in vpns}.values())
    for vpn in vpns:
        current_masker().extend(masker_for(vpn))
    out = printer(show_secrets)
    code = 1 if failures else 0
    if as_json:
        items = [result_item(v.id, data=vpn_json(v, show_secrets=show_secrets)) for v in vpns]
        items += [result_item(name, error=error) for name, error in failures.items()]
        out.envelope("fetch", items, code)
        return code
    for vpn in vpns:
        out.table(vpn_table(vpn, show_secrets=show_secrets))
    for name, error in failures.items():
        out.error(name, error)
    return code
