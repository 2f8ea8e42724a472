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
    with_failures,
)

if TYPE_CHECKING:
    from cgw.fleet import FleetRun, StopSignal
    from cgw.model import DeviceConfig
    from cgw.output import Printer
    from cgw.platforms.base import Plan
    from cgw.workflow import DeviceJob, Resolved, SshOptions

EXIT_CHANGES = 2


def device_plans(
    jobs: list[DeviceJob], ssh: SshOptions, workers: int, stop: StopSignal | None = None
) -> FleetRun[Plan]:
    """Every device's plan, read over SSH, at most `workers` devices at a time."""
    from cgw.fleet import run_fleet
    from cgw.workflow import plan_device

    return run_fleet(
        [(job.device.name, job) for job in jobs],
        lambda job: plan_device(job, ssh),
        workers=workers,
        on_done=progress(len(jobs), "planned"),
        stop=stop,
    )


def plan_json(plan: Plan, masked: bool = True) -> dict[str, Any]:
    """A plan for programs: in sync or not, the diff and the commands, secrets masked."""
    from cgw.secrets import current_masker

    view = plan.masked(current_masker())
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
    """A coloured unified diff and the exact commands, PSKs masked, config text escaped."""
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
        out.styled(line, style)
    if view.commands:
        out.rich("[bold]commands to send:[/bold]")
        for command in view.commands:
            out.styled("  " + command)
    for note in plan.notes:
        out.styled(f"note: {note}", "dim")


def plan_code(plan: Plan) -> int:
    """0 in sync, 2 changes pending."""
    return 0 if plan.in_sync else EXIT_CHANGES


def saved_running_config(path: Path, selection: Selection) -> DeviceConfig:
    """`--running-config PATH` for the one device named, read before anything else is done."""
    from cgw.errors import CgwError
    from cgw.saved_config import load_saved_config

    if len(selection.devices) != 1 or selection.group or selection.everything:
        raise CgwError("--running-config plans one device: name exactly one")
    return load_saved_config(path, selection.devices[0], platform="")


def saved_plans(
    jobs: list[DeviceJob], saved: DeviceConfig, stop: StopSignal | None = None
) -> FleetRun[Plan]:
    """The plan against a saved configuration: the online diff's code, with no SSH."""
    from dataclasses import replace

    from cgw.fleet import run_fleet
    from cgw.workflow import plan_running

    return run_fleet(
        [(job.device.name, job) for job in jobs],
        lambda job: plan_running(job, replace(saved, platform=job.device.platform)),
        workers=1,
        stop=stop,
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
@click.option(
    "--prune",
    is_flag=True,
    help="Also remove what cgw created on the device for VPNs it no longer terminates"
    " (objects named aws-vpn-…); nothing else is ever removed.",
)
@pass_options
def command(options: Options, selection: Selection, saved_path: Path | None, prune: bool) -> int:
    """Dry run: show exactly what push would change. Exit 0 in sync, 2 changes pending, 1 error."""
    from cgw.fleet import StopSignal

    saved = None if saved_path is None else saved_running_config(saved_path, selection)
    resolved = selection.resolve(options).pruning(prune)
    stop = StopSignal()
    with stop.catching_sigint():
        return _diff(resolved, selection, stop, saved)


def _diff(
    resolved: Resolved, selection: Selection, stop: StopSignal, saved: DeviceConfig | None
) -> int:
    """Plan every device and print the plans (under the caller's Ctrl-C handling)."""
    from cgw.fleet import fleet_exit_code, worst_exit_code
    from cgw.output import outcome_item

    if saved is None:
        run = device_plans(resolved.jobs, selection.ssh(), selection.workers, stop)
    else:
        run = saved_plans(resolved.jobs, saved, stop)
    outcomes = with_failures(resolved, run)
    code = worst_exit_code([fleet_exit_code(run, plan_code), *([1] * len(resolved.failures))])
    out = printer()
    if selection.as_json:
        out.envelope(
            "diff",
            [outcome_item(o, plan_json) for o in outcomes],
            code,
            interrupted=run.interrupted,
        )
        return code
    for outcome in outcomes:
        if outcome.value is not None:
            print_plan(out, outcome.value)
        elif outcome.state == "failed":
            out.error(outcome.device, outcome.error or "")
        else:
            out.rich(f"{outcome.device}: not read (interrupted)")
    if run.interrupted:
        out.rich("interrupted: diff changes nothing; devices not read are listed above")
    return code
