"""`cgw demo`: the whole workflow against the embedded lab — no AWS account, no router."""

from __future__ import annotations

import tempfile
import time
from pathlib import Path

import click
from rich.table import Table

from cgw.commands import Options, pass_options, printer

# (cgw arguments, the exit code a healthy run gives, what the step shows)
STEPS: tuple[tuple[tuple[str, ...], int, str], ...] = (
    (("inventory", "check"), 0, "the inventory the demo wrote for its routers"),
    (("fetch", "--device", "branch-01"), 0, "both tunnels' parameters from the lab AWS"),
    (("render", "branch-02"), 0, "the Junos config cgw renders (PSKs masked)"),
    (("diff", "--all"), 2, "dry run against the bare routers: changes pending (exit 2)"),
    (("push", "--all", "--yes"), 0, "backup, apply, verify, confirm on every router"),
    (("verify", "--all"), 0, "IKE, IPsec and BGP per tunnel from the routers + AWS telemetry"),
    (("diff", "--all"), 0, "a second dry run: nothing left to change (exit 0)"),
)


@click.command("demo")
@click.option("--keep", is_flag=True, help="Keep the lab's folder (inventory, backups) after.")
@pass_options
def command(options: Options, keep: bool) -> int:
    """Start the lab AWS and a simulated router of every vendor cgw simulates, then run
    inventory check, fetch, render, diff, push, verify and diff again, as a user would."""
    from cgw.extras import require_lab

    require_lab("cgw demo")  # before the temp folder: a missing extra leaves nothing behind
    from cgw.cli import main
    from cgw.lab.sim_lab import lab_environment, start_sim_lab
    from cgw.secrets import current_masker

    out = printer()
    folder = Path(tempfile.mkdtemp(prefix="cgw-demo-"))
    started = time.monotonic()
    lab = start_sim_lab(folder)
    kinds = ", ".join(dict.fromkeys(r.kind for r in lab.routers.values()))
    out.rich(f"[bold]cgw demo[/bold]: lab AWS (moto over HTTP) + simulated routers ({kinds}),"
             " all on 127.0.0.1")  # fmt: skip
    current_masker().add("password:lab", lab.env["CGW_LAB_PASSWORD"])
    results = []
    try:
        ports = ", ".join(f"{n} :{r.port}" for n, r in lab.routers.items())
        out.rich(f"lab AWS {lab.aws.endpoint}; routers {ports}; files in {folder}")
        with lab_environment(lab):
            for args, expected, what in STEPS:
                out.rich(f"\n[bold cyan]$ cgw {' '.join(args)}[/bold cyan]   [dim]# {what}[/dim]")
                step_start = time.monotonic()
                code = main(["-i", str(lab.inventory), *args])
                results.append((args, expected, code, time.monotonic() - step_start))
    finally:
        lab.stop()
        if not keep:
            _remove(folder)
    table = Table(title=f"demo summary ({time.monotonic() - started:.1f} s)", title_justify="left")
    for column in ("step", "exit", "expected", "time"):
        table.add_column(column)
    for args, expected, code, seconds in results:
        verdict = "green" if code == expected else "red"
        table.add_row(
            "cgw " + " ".join(args), f"[{verdict}]{code}[/{verdict}]", str(expected),
            f"{seconds:.1f} s",
        )  # fmt: skip
    out.table(table)
    ok = all(code == expected for _, expected, code, _ in results)
    out.rich("[green]all steps as expected[/green]" if ok else "[red]a step did not[/red]")
    return 0 if ok else 1


def _remove(folder: Path) -> None:
    import shutil

    shutil.rmtree(folder, ignore_errors=True)
