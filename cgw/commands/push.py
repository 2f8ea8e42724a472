"""`cgw push`: back up, apply only the needed lines, verify, then confirm or roll back."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

import click
from rich.table import Table

from cgw.commands import (
    Options,
    Selection,
    device_options,
    pass_options,
    printer,
    progress,
)
from cgw.commands.diff import EXIT_CHANGES, device_plans, plan_json, print_plan

if TYPE_CHECKING:
    from cgw.fleet import Outcome
    from cgw.platforms.base import PushResult
    from cgw.workflow import DeviceJob


@click.command("push")
@device_options
@click.option("-y", "--yes", is_flag=True, help="Apply without asking after the diff.")
@click.option("--no-verify", is_flag=True, help="Skip verifying the tunnels after the change.")
@click.option("--verify-timeout", type=float, default=60, show_default=True,
              help="Seconds to wait for both tunnels UP after the change.")  # fmt: skip
@click.option("--rollback-on-down", is_flag=True,
              help="Restore the backup when the tunnels are not UP after the change.")  # fmt: skip
@pass_options
def command(
    options: Options,
    selection: Selection,
    yes: bool,
    no_verify: bool,
    verify_timeout: float,
    rollback_on_down: bool,
) -> int:
    """Back up, apply only the needed lines, verify, confirm or roll back. Idempotent.

    Exit 0 when every device is in sync or applied with both tunnels UP, 2 when a change was
    applied but a tunnel is down (or the change was declined), 1 on any error.
    """
    from cgw.fleet import run_fleet, worst_exit_code
    from cgw.workflow import push_device

    jobs = selection.jobs(options)
    as_json = selection.as_json
    out = printer()
    ssh = selection.ssh()
    outcomes = device_plans(jobs, ssh, selection.workers)
    plans = {o.device: o.value for o in outcomes if o.value is not None}
    errors = [o for o in outcomes if o.value is None]
    for outcome in outcomes:
        if outcome.value is None:
            out.error(outcome.device, outcome.error or "")
        elif not as_json:
            print_plan(out, outcome.value)
    pending = [
        job for job in jobs if job.device.name in plans and not plans[job.device.name].in_sync
    ]
    if not pending:
        if not as_json and not errors:
            out.rich("[green]nothing to change[/green]")
        else:
            out.json([plan_json(p) for p in plans.values()])
        return worst_exit_code([1] * len(errors) + [0])
    if not yes and not click.confirm(f"Apply these changes to {len(pending)} device(s)?"):
        out.rich("declined: nothing was sent")
        return EXIT_CHANGES

    def push(job: DeviceJob) -> PushResult:
        return push_device(
            job,
            ssh,
            expected=plans[job.device.name],
            verify=not no_verify,
            verify_timeout_s=verify_timeout,
            rollback_on_down=rollback_on_down,
        )

    results = run_fleet(
        [(j.device.name, j) for j in pending],
        push,
        workers=selection.workers,
        on_done=progress(len(pending), "pushed"),
    )
    codes = [1] * len(errors)
    codes += [r.value.exit_code if r.value is not None else 1 for r in results]
    for result in results:
        if result.value is None:
            out.error(result.device, result.error or "")
    if as_json:
        out.json([_result_json(r) for r in results])
    else:
        out.table(_summary(results))
    return worst_exit_code(codes)


def _result_json(outcome: Outcome[PushResult]) -> dict[str, Any]:
    from cgw.verify import status_to_json

    result = outcome.value
    if result is None:
        return {"device": outcome.device, "error": outcome.error}
    return {
        "device": result.device,
        "outcome": result.outcome,
        "message": result.message,
        "backup": str(result.backup_path) if result.backup_path else None,
        "status": status_to_json(result.status) if result.status else None,
    }


def _summary(results: list[Outcome[PushResult]]) -> Table:
    table = Table(title="push", title_justify="left")
    for column in ("device", "outcome", "tunnels", "backup", "message"):
        table.add_column(column)
    for outcome in results:
        result = outcome.value
        if result is None:
            table.add_row(outcome.device, "[red]error[/red]", "", "", outcome.error or "")
            continue
        style = "green" if result.exit_code == 0 else "red" if result.exit_code == 1 else "yellow"
        table.add_row(
            result.device,
            f"[{style}]{result.outcome}[/{style}]",
            result.status.overall if result.status else "-",
            str(result.backup_path or "-"),
            result.message,
        )
    return table
