"""`cgw verify`: are both tunnels up? From the router's own show output and AWS's telemetry."""

from __future__ import annotations

import time
from pathlib import Path
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
from cgw.errors import CgwError
from cgw.output import envelope

if TYPE_CHECKING:
    from cgw.fleet import Outcome
    from cgw.model import TunnelTelemetry
    from cgw.output import Printer
    from cgw.verify import DeviceStatus
    from cgw.workflow import DeviceJob

ADDRESS_COLUMNS = frozenset({"AWS outside IP", "Inside (AWS/CGW)"})
STATE_STYLE = {"UP": "green", "DEGRADED": "yellow", "DOWN": "red", "UNKNOWN": "magenta"}


@click.command("verify")
@device_options
@click.option("--watch", type=float, metavar="SECONDS", help="Repeat until Ctrl-C; print changes.")
@click.option("--platform", help="Offline: the platform whose output --from-dir holds.")
@click.option(
    "--from-dir",
    type=click.Path(path_type=Path, file_okay=False),
    help="Offline: parse saved outputs (one file per command) instead of connecting.",
)
@click.option("--vpn", "vpn_id", help="Offline: judge the tunnels of this VPN id.")
@click.option("--device", "device_name", help="Offline: judge the tunnels of this device's VPN.")
@pass_options
def command(
    options: Options,
    selection: Selection,
    watch: float | None,
    platform: str | None,
    from_dir: Path | None,
    vpn_id: str | None,
    device_name: str | None,
) -> int:
    """Report per tunnel: IKE SA, IPsec SA, BGP (or static route) and AWS's view.

    \b
    cgw verify branch-01 branch-02       over SSH; exit 0 UP, 2 DEGRADED/DOWN, 1 error
    cgw verify --all --watch 30          repeat every 30 s, print what changed
    cgw verify --platform cisco_xe --from-dir ./captures --json     offline
    """
    if from_dir is not None or platform is not None:
        if selection.offline_conflict or watch:
            raise CgwError("offline mode (--from-dir) takes no device names, groups or --watch")
        if from_dir is None or platform is None:
            raise CgwError("offline mode needs both --platform and --from-dir")
        return _verify_offline(options, platform, from_dir, vpn_id, device_name, selection.as_json)
    if vpn_id or device_name:
        raise CgwError("--vpn and --device go with --from-dir; name devices as arguments")
    return _verify_online(options, selection, watch)


def _verify_offline(
    options: Options,
    platform_name: str,
    directory: Path,
    vpn_id: str | None,
    device_name: str | None,
    as_json: bool,
) -> int:
    from cgw.aws import AwsContext, check_vpn_id, fetch_vpn_connections
    from cgw.inventory import load_inventory
    from cgw.output import result_item
    from cgw.platforms import get_platform
    from cgw.verify import offline_parsed, offline_status, parsed_to_json, status_to_json
    from cgw.workflow import vpns_for_devices

    out = printer()
    if not directory.is_dir():
        raise CgwError(f"--from-dir {directory}: no such folder")
    if not any(p.is_file() for p in directory.iterdir()):
        raise CgwError(f"--from-dir {directory}: the folder holds no saved outputs")
    if vpn_id:
        check_vpn_id(vpn_id, "--vpn")
    if not (vpn_id or device_name):
        parsed = parsed_to_json(offline_parsed(platform_name, directory))
        if all(rows is None for rows in parsed.values()):
            raise CgwError(
                f"--from-dir {directory}: no file is named after a {platform_name} verify command"
            )
        if as_json:
            out.envelope("verify", [result_item(str(directory), data={"parsed": parsed})], 0)
        else:
            _print_parsed(out, parsed, platform_name, directory)
        return 0
    ctx = AwsContext(profile=options.profile, region=options.region)
    interface_names = None
    if device_name:
        device = load_inventory(options.inventory).select([device_name])[0]
        vpn = vpns_for_devices(ctx, [device])[0].vpn
        interface_names = get_platform(platform_name).tunnel_interface_names(device)
    else:
        assert vpn_id is not None
        vpn = fetch_vpn_connections(ctx, vpn_ids=[vpn_id])[0]
    status = offline_status(
        platform_name, directory, vpn, device_name=device_name, interface_names=interface_names
    )
    code = _exit_code(status)
    if as_json:
        out.envelope("verify", [result_item(status.device, data=status_to_json(status))], code)
    else:
        out.table(_status_table(status))
    return code


def _verify_online(options: Options, selection: Selection, watch: float | None) -> int:
    from cgw.aws import AwsContext, fetch_telemetry
    from cgw.fleet import StopSignal, fleet_exit_code, run_fleet, worst_exit_code
    from cgw.output import outcome_item
    from cgw.verify import status_to_json
    from cgw.workflow import verify_device

    resolved = selection.resolve(options)
    jobs = resolved.jobs
    ssh = selection.ssh()
    ctx = AwsContext(profile=options.profile, region=options.region)
    out = printer()

    def verify(job: DeviceJob) -> DeviceStatus:
        return verify_device(job, ssh)

    previous: dict[str, str] = {}
    code: int | None = None
    stop = StopSignal()
    with stop.catching_sigint():
        while True:
            run = run_fleet(
                [(j.device.name, j) for j in jobs],
                verify,
                workers=selection.workers,
                on_done=None if watch else progress(len(jobs), "verified"),
                stop=stop,
            )
            if watch and run.interrupted and code is not None:
                return code  # Ctrl-C ends --watch: the last complete round decides
            outcomes = with_failures(resolved, run)
            code = worst_exit_code(
                [fleet_exit_code(run, _exit_code), *([1] * len(resolved.failures))]
            )
            items = [outcome_item(o, status_to_json) for o in outcomes]
            if selection.as_json and watch:
                out.json_line(envelope("verify", items, code, interrupted=run.interrupted))
            elif selection.as_json:
                out.envelope("verify", items, code, interrupted=run.interrupted)
            elif watch and previous:
                _print_changes(out, outcomes, previous)
            else:
                _print_outcomes(out, outcomes)
            previous = _states(outcomes)
            if not watch or run.interrupted or stop.sleep(watch):
                return code
            telemetry = fetch_telemetry(ctx, [j.vpn.id for j in jobs])
            jobs = [_with_telemetry(j, telemetry.get(j.vpn.id)) for j in jobs]


def _with_telemetry(job: DeviceJob, telemetry: tuple[TunnelTelemetry, ...] | None) -> DeviceJob:
    from dataclasses import replace

    if telemetry is None:
        return job
    return replace(job, vpn=replace(job.vpn, telemetry=telemetry))


def _exit_code(status: DeviceStatus) -> int:
    from cgw.verify import exit_code

    return exit_code(status)


def _states(outcomes: list[Outcome[DeviceStatus]]) -> dict[str, str]:
    """Device/tunnel → a short state text, to tell what changed between two rounds."""
    states = {}
    for outcome in outcomes:
        if outcome.value is None:
            states[outcome.device] = f"error: {outcome.error}"
            continue
        states[outcome.device] = outcome.value.overall
        for tunnel in outcome.value.tunnels:
            verdict = "up" if tunnel.up else "unknown" if tunnel.up is None else "down"
            states[f"{outcome.device} tunnel {tunnel.number}"] = (
                f"{verdict}{' (' + tunnel.reason + ')' if tunnel.reason else ''}"
            )
    return states


def _print_changes(
    out: Printer, outcomes: list[Outcome[DeviceStatus]], previous: dict[str, str]
) -> None:
    now = time.strftime("%H:%M:%S")
    for key, state in _states(outcomes).items():
        if previous.get(key) != state:
            out.rich(f"{now} {key}: {previous.get(key, '-')} → [bold]{state}[/bold]")


def _print_outcomes(out: Printer, outcomes: list[Outcome[DeviceStatus]]) -> None:
    for outcome in outcomes:
        if outcome.value is not None:
            out.table(_status_table(outcome.value))
        elif outcome.state == "failed":
            out.error(outcome.device, outcome.error or "")
        else:
            out.rich(f"{escape(outcome.device)}: not verified (interrupted)")
    if len(outcomes) > 1:
        summary = Table(title="summary", title_justify="left")
        for column in ("device", "platform", "VPN", "overall"):
            summary.add_column(column)
        for outcome in outcomes:
            if outcome.value is None:
                word = "ERROR" if outcome.state == "failed" else "NOT VERIFIED"
                summary.add_row(escape(outcome.device), "", "", f"[red]{word}[/red]")
            else:
                status = outcome.value
                style = STATE_STYLE.get(status.overall, "")
                summary.add_row(
                    status.device, status.platform, status.vpn_id,
                    f"[{style}]{status.overall}[/{style}]",
                )  # fmt: skip
        out.table(summary)


def _status_table(status: DeviceStatus) -> Table:
    from cgw.verify import STATUS_COLUMNS, status_rows

    style = STATE_STYLE.get(status.overall, "")
    table = Table(
        title=f"{status.device} ({status.platform}) {status.vpn_id}: "
        f"[{style}]{status.overall}[/{style}]",
        title_justify="left",
    )
    rows = status_rows(status)
    for index, column in enumerate(STATUS_COLUMNS):
        if column in ADDRESS_COLUMNS:
            # Addresses are the first thing an engineer reads: never shortened, never split.
            widest = max([len(column), *(len(row[index]) for row in rows)])
            table.add_column(column, no_wrap=True, min_width=widest)
        else:
            table.add_column(column, overflow="fold")
    for row in rows:
        table.add_row(*(escape(cell) for cell in row))
    return table


def _print_parsed(out: Printer, parsed: dict[str, Any], platform: str, directory: Path) -> None:
    out.rich(f"[bold]{directory}[/bold] parsed as {platform} (no VPN given: rows only)")
    for section, rows in parsed.items():
        if rows is None:
            out.rich(f"{section}: unknown (no capture)")
            continue
        table = Table(title=section, title_justify="left")
        columns = list(rows[0]) if rows else ["(none)"]
        for column in columns:
            table.add_column(column)
        for row in rows:
            table.add_row(*(escape(str(row[c])) for c in columns))
        out.table(table)
