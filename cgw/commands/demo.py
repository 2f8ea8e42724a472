"""`cgw demo`: the whole workflow against the embedded lab — no AWS account, no router."""

from __future__ import annotations

import os
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import click
from rich.table import Table

from cgw.commands import Options, pass_options, printer

EXAMPLE_INVENTORY = Path(__file__).resolve().parents[2] / "inventory"


@contextmanager
def _environment(values: dict[str, str]) -> Iterator[None]:
    """Set environment variables for the block, then restore what was there."""
    saved = {key: os.environ.get(key) for key in values}
    os.environ.update(values)
    try:
        yield
    finally:
        for key, value in saved.items():
            if value is None:
                os.environ.pop(key, None)
            else:
                os.environ[key] = value


@click.command("demo")
@click.option("--quiet", is_flag=True, help="Only the summary, not every rendered config.")
@pass_options
def command(options: Options, quiet: bool) -> int:
    """Start the lab AWS, then fetch and render every device of the example inventory."""
    from cgw.aws import AwsContext
    from cgw.inventory import load_inventory
    from cgw.lab import run_lab_aws
    from cgw.output import vpn_table
    from cgw.workflow import render_jobs, vpns_for_devices

    out = printer()
    out.rich("[bold]cgw demo[/bold]: the lab AWS (moto over HTTP on 127.0.0.1) + example inventory")
    lab = run_lab_aws(port=0)
    try:
        with _environment(lab.env):
            out.rich(f"lab AWS at {lab.endpoint}, seeded: {', '.join(sorted(lab.vpn_ids))}")
            inventory = load_inventory(EXAMPLE_INVENTORY)
            devices = inventory.select(everything=True)
            out.rich(f"\n[bold]1. fetch[/bold]: {len(devices)} devices from {inventory.path}")
            jobs = vpns_for_devices(AwsContext(region="us-east-1"), devices)
            if not quiet:
                for job in jobs:
                    out.table(vpn_table(job.vpn, show_secrets=False))
            out.rich("\n[bold]2. render[/bold] (pre-shared keys masked)")
            rendered = render_jobs(jobs)
            if not quiet:
                for config in rendered:
                    out.rich(f"\n[bold cyan]# {config.device}[/bold cyan] ({config.platform})")
                    out.text(config.text)
    finally:
        lab.stop()
    summary = Table(title="summary", title_justify="left")
    for column in (
        "device",
        "platform",
        "VPN",
        "routing",
        "tunnel 1 peer",
        "tunnel 2 peer",
        "lines",
    ):
        summary.add_column(column)
    for job, config in zip(jobs, rendered, strict=True):
        summary.add_row(
            job.device.name,
            config.platform,
            job.vpn.id,
            job.vpn.routing,
            str(job.vpn.tunnels[0].aws_outside_ip),
            str(job.vpn.tunnels[1].aws_outside_ip),
            str(config.text.count("\n")),
        )
    out.table(summary)
    return 0
