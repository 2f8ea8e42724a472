"""`cgw diff`: the dry run — exactly what push would change on each device, secrets masked."""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING, Any

import click

from cgw.commands import (
    Options,
    Selection,
    device_options,
    pass_options,
    printer,
    progress,
)

if TYPE_CHECKING:
    from cgw.fleet import Outcome
    from cgw.model import DeviceConfig
    from cgw.output import Printer
    from cgw.platforms.base import Plan
    from cgw.workflow import DeviceJob, SshOptions

EXIT_CHANGES = 2


def device_plans(jobs: list[DeviceJob], ssh: SshOptions, workers: int) -> list[Outcome[Plan]]:
    """Every device's plan, read over SSH, at most `workers` devices at a time."""
    from cgw.fleet import run_fleet
    from cgw.workflow import plan_device

    return run_fleet(
        [(job.device.name, job) for job in jobs],
        lambda job: plan_device(job, ssh),
        workers=workers,
        on_done=progress(len(jobs), "planned"),
    )


def plan_json(plan: Plan, masked: bool = True) -> dict[str, Any]:
    """A plan for programs: in sync or not, the diff and the commands, secrets masked."""
    from cgw.secrets import PROCESS_MASKER

    view = plan.masked(PROCESS_MASKER)
    return {
        "device": plan.device,
        "platform": plan.platform,
        "vpn_id": plan.vpn_id,
        "in_sync": plan.in_sync,
        "diff": view.diff,
        "commands": list(view.commands),
        "files": [c.path for c in plan.files],
        "notes": list(plan.notes),
    }


def print_plan(out: Printer, plan: Plan) -> None:
    """A coloured unified diff and the exact commands, PSKs masked."""
    if plan.in_sync:
        out.rich(f"[green]{plan.device}: in sync[/green] ({plan.platform}, {plan.vpn_id})")
        return
    view = plan.masked(out.masker)
    out.rich(f"[bold]{plan.device}[/bold] ({plan.platform}, {plan.vpn_id}): changes pending")
    for line in view.diff.splitlines():
        style = (
            "bold" if line.startswith(("---", "+++"))
            else "green" if line.startswith("+")
            else "red" if line.startswith("-")
            else "cyan" if line.startswith("@@")
            else ""
        )  # fmt: skip
        escaped = line.replace("[", r"\[")
        out.rich(f"[{style}]{escaped}[/{style}]" if style else escaped)
    if view.commands:
        out.rich("[bold]commands to send:[/bold]")
        for command in view.commands:
            out.rich("  " + command.replace("[", r"\["))
    for note in plan.notes:
        out.rich(f"[dim]note: {note}[/dim]")


def saved_running_config(path: Path, selection: Selection) -> DeviceConfig:
    """`--running-config PATH` for the one device named, read before anything else is done."""
    from cgw.errors import CgwError
    from cgw.saved_config import load_saved_config

    if len(selection.devices) != 1 or selection.group or selection.everything:
        raise CgwError("--running-config plans one device: name exactly one")
    return load_saved_config(path, selection.devices[0], platform="")


def saved_plans(jobs: list[DeviceJob], saved: DeviceConfig) -> list[Outcome[Plan]]:
    """The plan against a saved configuration: the online diff's code, with no SSH."""
    from dataclasses import replace

    from cgw.fleet import run_fleet
    from cgw.workflow import plan_running

    return run_fleet(
        [(job.device.name, job) for job in jobs],
        lambda job: plan_running(job, replace(saved, platform=job.device.platform)),
        workers=1,
    )


@click.command("diff")
@device_options
@click.option(
    "--running-config",
    "saved_path",
    type=click.Path(path_type=Path),
    help="Plan against this saved configuration instead of reading the device (no SSH): a"
    " `show running-config` / `show configuration | display set` file, or a host's files as a"
    " folder or tar archive (paths below it as on the host). One device.",
)
@pass_options
def command(options: Options, selection: Selection, saved_path: Path | None) -> int:
    """Dry run: show exactly what push would change. Exit 0 in sync, 2 changes pending, 1 error."""
    from cgw.fleet import worst_exit_code

    saved = None if saved_path is None else saved_running_config(saved_path, selection)
    jobs = selection.jobs(options)
    if saved is None:
        outcomes = device_plans(jobs, selection.ssh(), selection.workers)
    else:
        outcomes = saved_plans(jobs, saved)
    out = printer()
    codes = []
    for outcome in outcomes:
        if outcome.value is None:
            codes.append(1)
        else:
            codes.append(0 if outcome.value.in_sync else EXIT_CHANGES)
    if selection.as_json:
        out.json(
            [
                plan_json(o.value) if o.value else {"device": o.device, "error": o.error}
                for o in outcomes
            ]
        )
    else:
        for outcome in outcomes:
            if outcome.value is None:
                out.error(outcome.device, outcome.error or "")
            else:
                print_plan(out, outcome.value)
    return worst_exit_code(codes)
