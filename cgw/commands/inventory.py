"""`cgw inventory check`: validate the inventory and show what it holds."""

from __future__ import annotations

import click
from rich.markup import escape
from rich.table import Table

from cgw.commands import Options, pass_options, printer


@click.group("inventory")
def command() -> None:
    """Inspect the inventory."""


@command.command("check")
@click.option("--json", "as_json", is_flag=True, help="JSON for programs.")
@pass_options
def check(options: Options, as_json: bool) -> int:
    """Validate every file of the inventory; list the devices. Exit 1 on the first error."""
    from cgw.inventory import load_inventory
    from cgw.output import result_item

    inventory = load_inventory(options.inventory)
    out = printer()
    devices = list(inventory.devices.values())
    if as_json:
        items = [
            result_item(
                d.name,
                data={
                    "inventory": str(inventory.path),
                    "platform": d.platform,
                    "host": d.host,
                    "port": d.port,
                    "vpn": d.vpn.vpn_id or str(d.vpn.customer_gateway_ip),
                    "groups": list(d.groups),
                    "wan_interface": d.local.wan_interface,
                    "tunnel_numbers": list(d.local.tunnel_numbers),
                },
            )
            for d in devices
        ]
        out.envelope("inventory check", items, 0)
        return 0
    table = Table(
        title=f"{escape(str(inventory.path))}: {len(devices)} devices, OK", title_justify="left"
    )
    for column in ("device", "platform", "host", "VPN", "groups", "WAN", "tunnels"):
        table.add_column(column)
    for d in devices:
        table.add_row(
            escape(d.name),
            d.platform,
            f"{d.host}:{d.port}",
            d.vpn.vpn_id or str(d.vpn.customer_gateway_ip),
            escape(",".join(d.groups)),
            escape(d.local.wan_interface),
            "/".join(map(str, d.local.tunnel_numbers)),
        )
    out.table(table)
    return 0
