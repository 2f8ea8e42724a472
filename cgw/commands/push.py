"""`cgw push`: back up, apply only the needed lines, verify, then confirm or roll back."""

from __future__ import annotations

import sys
from typing import TYPE_CHECKING, Any

import click
from rich.markup import escape
from rich.table import Table

from cgw.commands import (
    Options,
    Selection,
    device_options,
    pass_options,
    printer,
    progress,
    with_failures,
)
from cgw.commands.diff import EXIT_CHANGES, device_plans, plan_json, print_plan
from cgw.errors import CgwError

if TYPE_CHECKING:
    from cgw.fleet import Outcome
    from cgw.output import Printer
    from cgw.platforms.base import Plan, PushResult
    from cgw.workflow import DeviceJob

# What a push left each device as, in the words of the summary table and of --json.
CHANGED, UNTOUCHED, ROLLED_BACK, SAFETY_NET, FAILED = (
    "changed",
    "untouched",
    "rolled back",
    "left under its safety net",
    "failed",
)
_DEVICE_STATE = {
    "applied": CHANGED,
    "verify-failed": CHANGED,
    "in-sync": UNTOUCHED,
    "declined": UNTOUCHED,
    "rolled-back": ROLLED_BACK,
}


@click.command("push")
@device_options
@click.option("-y", "--yes", is_flag=True, help="Apply without asking after the diff.")
@click.option("--no-verify", is_flag=True, help="Skip verifying the tunnels after the change.")
@click.option("--verify-timeout", type=click.FloatRange(min=0), default=60, show_default=True,
              help="Seconds to wait for both tunnels UP after the change.")  # fmt: skip
@click.option("--rollback-on-down", is_flag=True,
              help="Restore the backup when the tunnels are not UP after the change.")  # fmt: skip
@click.option("--prune", is_flag=True,
              help="Also remove what cgw created on the device for VPNs it no longer"
                   " terminates (aws-vpn-… objects); nothing else is ever removed.")  # fmt: skip
@pass_options
def command(
    options: Options,
    selection: Selection,
    yes: bool,
    no_verify: bool,
    verify_timeout: float,
    rollback_on_down: bool,
    prune: bool,
) -> int:
    """Back up, apply only the needed lines, verify, confirm or roll back. Idempotent.

    Exit 0 when every device is in sync or applied with both tunnels UP, 2 when a change was
    applied but a tunnel is down (or the change was declined), 1 on any error, 130 when
    interrupted (the summary says what each device was left as).

    \b
    Ctrl-C once: no new device is started; devices in flight finish their change (confirmed,
    or rolled back by cgw). Twice: cgw stops waiting; devices still in flight are restored by
    their own safety net (IOS revert timer, Junos commit confirmed).
    """
    from cgw.fleet import EXIT_INTERRUPTED, StopSignal, run_fleet, worst_exit_code
    from cgw.workflow import push_device

    if not yes and not sys.stdin.isatty():
        raise CgwError(
            "push needs --yes when there is no terminal to ask on (review with cgw diff)"
        )
    resolved = selection.resolve(options).pruning(prune)
    as_json = selection.as_json
    out = printer()
    ssh = selection.ssh()
    stop = StopSignal()
    with stop.catching_sigint():
        planned = device_plans(resolved.jobs, ssh, selection.workers, stop)
    plans = {o.device: o.value for o in planned if o.value is not None}
    rows: dict[str, dict[str, Any]] = {}
    for outcome in with_failures(resolved, planned):
        rows[outcome.device] = _row_before_push(outcome)
    if planned.interrupted or stop.is_set():
        return _report(out, rows, EXIT_INTERRUPTED, as_json, interrupted=True)
    if not as_json:
        for outcome in with_failures(resolved, planned):
            if outcome.value is not None:
                print_plan(out, outcome.value)
            else:
                out.error(outcome.device, outcome.error or "")
    pending = [
        j for j in resolved.jobs if j.device.name in plans and not plans[j.device.name].in_sync
    ]
    errors = [name for name, row in rows.items() if row["status"] == "error"]
    if not pending:
        if not as_json and not errors:
            out.rich("[green]nothing to change[/green]")
        return _report(out, rows, worst_exit_code([1] * len(errors) + [0]), as_json)
    if not yes and not click.confirm(f"Apply these changes to {len(pending)} device(s)?", err=True):
        for job in pending:
            rows[job.device.name].update(result="declined", device_state=UNTOUCHED)
        if not as_json:
            out.rich("declined: nothing was sent")
        return _report(out, rows, EXIT_CHANGES, as_json, table=False)

    def push(job: DeviceJob) -> PushResult:
        return push_device(
            job,
            ssh,
            expected=plans[job.device.name],
            verify=not no_verify,
            verify_timeout_s=verify_timeout,
            rollback_on_down=rollback_on_down,
            stop=stop,
        )

    with stop.catching_sigint():
        pushed = run_fleet(
            [(j.device.name, j) for j in pending],
            push,
            workers=selection.workers,
            on_done=progress(len(pending), "pushed"),
            stop=stop,
        )
        for outcome in pushed:
            rows[outcome.device] = _row_after_push(outcome, plans[outcome.device])
            if outcome.state == "failed" and not as_json:
                out.error(outcome.device, outcome.error or "")
        codes = [row["exit_code"] for row in rows.values()]
        if pushed.interrupted:
            codes.append(EXIT_INTERRUPTED)
        return _report(out, rows, worst_exit_code(codes), as_json, interrupted=pushed.interrupted)


def _row_before_push(outcome: Outcome[Plan]) -> dict[str, Any]:
    """A device's summary row once planning is over (nothing has been sent to any device)."""
    if outcome.value is not None:
        in_sync = outcome.value.in_sync
        return _row(outcome.device, "in-sync" if in_sync else "pending", UNTOUCHED,
                    0 if in_sync else EXIT_CHANGES, plan=outcome.value)  # fmt: skip
    if outcome.state == "failed":
        return _row(outcome.device, "error", UNTOUCHED, 1, message=outcome.error or "",
                    status="error")  # fmt: skip
    return _row(outcome.device, "not-started", UNTOUCHED, 130, message="interrupted before it",
                status=_status(outcome.state))  # fmt: skip


def _row_after_push(outcome: Outcome[PushResult], plan: Plan) -> dict[str, Any]:
    """A device's summary row after its push (or after the run stopped before/around it)."""
    from cgw.verify import status_to_json

    result = outcome.value
    if result is not None:
        return _row(
            outcome.device, result.outcome, _DEVICE_STATE[result.outcome], result.exit_code,
            message=result.message, plan=plan,
            backup=str(result.backup_path) if result.backup_path else None,
            tunnels=result.status.overall if result.status else None,
            status_json=status_to_json(result.status) if result.status else None,
        )  # fmt: skip
    if outcome.state == "not-started":
        return _row(outcome.device, "not-started", UNTOUCHED, 130, plan=plan,
                    message="interrupted before it was started", status="not-started")  # fmt: skip
    if outcome.state == "abandoned":
        return _row(
            outcome.device, "abandoned", SAFETY_NET, 130, plan=plan, status="abandoned",
            message="cgw stopped waiting mid-change: the device's own safety net (IOS revert"
            " timer, Junos commit confirmed) restores its old configuration unless the change"
            " was confirmed; an IOS router without `archive path` has none: check it and"
            " restore its backup",
        )  # fmt: skip
    message = outcome.error or ""
    untouched = "before anything was sent" in message
    state = UNTOUCHED if untouched else ROLLED_BACK if "restored" in message else FAILED
    return _row(outcome.device, "interrupted" if untouched else "error", state,
                130 if untouched else 1, message=message, plan=plan, status="error")  # fmt: skip


def _status(state: str) -> str:
    return {"done": "ok", "failed": "error"}.get(state, state)


def _row(
    device: str,
    result: str,
    device_state: str,
    exit_code: int,
    *,
    message: str = "",
    plan: Plan | None = None,
    backup: str | None = None,
    tunnels: str | None = None,
    status_json: dict[str, Any] | None = None,
    status: str = "ok",
) -> dict[str, Any]:
    return {
        "device": device,
        "status": status,
        "result": result,
        "device_state": device_state,
        "exit_code": exit_code,
        "message": message,
        "plan": plan,
        "backup": backup,
        "tunnels": tunnels,
        "verify": status_json,
    }


def _report(
    out: Printer,
    rows: dict[str, dict[str, Any]],
    code: int,
    as_json: bool,
    *,
    interrupted: bool = False,
    table: bool = True,
) -> int:
    """The summary: a table for people (only when something was pushed or interrupted), or the
    envelope."""
    from cgw.output import result_item

    if as_json:
        items = []
        for row in rows.values():
            data = {
                "result": row["result"],
                "device_state": row["device_state"],
                "exit_code": row["exit_code"],
                "message": row["message"],
                "backup": row["backup"],
                "plan": plan_json(row["plan"]) if row["plan"] is not None else None,
                "verify": row["verify"],
            }
            error = row["message"] if row["status"] == "error" else None
            items.append(result_item(row["device"], data=data, error=error, status=row["status"]))
        out.envelope("push", items, code, interrupted=interrupted)
        return code
    if interrupted:
        out.rich("[bold]interrupted[/bold]: what each device was left as:")
    if table and (
        interrupted or any(r["result"] not in ("in-sync", "error") for r in rows.values())
    ):
        out.table(_summary(rows))
    return code


def _summary(rows: dict[str, dict[str, Any]]) -> Table:
    table = Table(title="push", title_justify="left")
    for column in ("device", "device is", "outcome", "tunnels", "backup", "message"):
        table.add_column(column, overflow="fold")
    for row in rows.values():
        code = row["exit_code"]
        style = "green" if code == 0 else "red" if code == 1 else "yellow"
        table.add_row(
            escape(row["device"]),
            f"[{style}]{row['device_state']}[/{style}]",
            escape(row["result"]),
            escape(row["tunnels"] or "-"),
            escape(row["backup"] or "-"),
            escape(row["message"]),
        )
    return table
