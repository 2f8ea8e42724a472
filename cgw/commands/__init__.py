"""The cgw subcommands, one module each; `COMMANDS()` lists them for the CLI group."""

from __future__ import annotations

import functools
import importlib
import itertools
import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

import click

from cgw.output import Printer
from cgw.secrets import current_masker

if TYPE_CHECKING:
    from cgw.fleet import FleetRun, Outcome
    from cgw.workflow import DeviceJob, Resolved, SshOptions

_COMMAND_MODULES = (
    "init", "fetch", "render", "diff", "push", "verify", "inventory", "lab", "demo",
)  # fmt: skip


@dataclass
class Options:
    """Global options every command sees."""

    inventory: Path
    profile: str | None
    region: str | None
    debug: bool


pass_options = click.make_pass_decorator(Options)


@dataclass(frozen=True)
class Selection:
    """Which devices a command works on, how many at a time, and how it reaches them."""

    devices: tuple[str, ...]
    group: str | None
    everything: bool
    workers: int
    known_hosts: Path | None
    accept_new_host_key: bool
    session_log: Path | None
    as_json: bool

    @property
    def offline_conflict(self) -> bool:
        """Whether devices were named (or a group, or --all): not allowed in offline modes."""
        return bool(self.devices or self.group or self.everything)

    def ssh(self) -> SshOptions:
        """SSH settings, with the default known_hosts file."""
        from cgw.session import default_known_hosts
        from cgw.workflow import SshOptions

        return SshOptions(
            known_hosts=self.known_hosts or default_known_hosts(),
            accept_new_host_key=self.accept_new_host_key,
            session_log_dir=self.session_log,
        )

    def jobs(self, options: Options) -> list[DeviceJob]:
        """The chosen inventory devices, each with the VPN connection AWS has for it."""
        resolved = self.resolve(options)
        if resolved.failures:
            from cgw.errors import AwsError

            raise AwsError(next(iter(resolved.failures.values())))
        return resolved.jobs

    def resolve(self, options: Options) -> Resolved:
        """The chosen devices with their VPNs; a device whose VPN AWS lacks is a failure row."""
        from cgw.aws import AwsContext
        from cgw.inventory import load_inventory
        from cgw.workflow import resolve_jobs

        if self.workers < 1:
            raise click.BadParameter("must be at least 1", param_hint="--workers")
        chosen = load_inventory(options.inventory).select(self.devices, self.group, self.everything)
        ctx = AwsContext(profile=options.profile, region=options.region)
        return resolve_jobs(ctx, chosen)


def device_options(command: Callable[..., int]) -> Callable[..., int]:
    """Device selection and SSH options (diff, push, verify), handed over as `selection`."""

    @functools.wraps(command)
    def with_selection(*args: Any, **kwargs: Any) -> int:
        fields = {name: kwargs.pop(name) for name in Selection.__dataclass_fields__}
        return command(*args, selection=Selection(**fields), **kwargs)

    options = [
        click.argument("devices", nargs=-1),
        click.option("-g", "--group", help="Every device of an inventory group."),
        click.option("--all", "everything", is_flag=True, help="Every inventory device."),
        click.option("--workers", type=int, default=8, show_default=True,
                     help="Devices at a time."),
        click.option("--known-hosts", type=click.Path(path_type=Path, dir_okay=False),
                     help="SSH known_hosts [$CGW_KNOWN_HOSTS or ~/.config/cgw/known_hosts]."),
        click.option("--accept-new-host-key", is_flag=True,
                     help="Trust and record first-seen host keys (changed keys are refused)."),
        click.option("--session-log", type=click.Path(path_type=Path, file_okay=False),
                     help="Write a session log per device here (secrets masked, mode 0600)."),
        click.option("--json", "as_json", is_flag=True, help="JSON for programs."),
    ]  # fmt: skip
    decorated: Callable[..., int] = with_selection
    for option in reversed(options):
        decorated = option(decorated)
    return decorated


def progress(total: int, verb: str) -> Callable[[Outcome[Any]], None] | None:
    """A per-device progress line on stderr as each device finishes (for more than one)."""
    if total <= 1:
        return None
    done = itertools.count(1)
    started = time.monotonic()

    def report(outcome: Outcome[Any]) -> None:
        state = verb if outcome.ok else "failed"
        elapsed = time.monotonic() - started
        click.echo(f"[{next(done)}/{total}] {outcome.device} {state} ({elapsed:.1f} s)", err=True)

    return report


def with_failures(resolved: Resolved, run: FleetRun[Any]) -> list[Outcome[Any]]:
    """Every chosen device's outcome, resolution failures included, in inventory order."""
    from cgw.fleet import Outcome

    failed: list[Outcome[Any]] = [
        Outcome(name, error=error, state="failed") for name, error in resolved.failures.items()
    ]
    order = {name: index for index, name in enumerate(resolved.names)}
    return sorted([*failed, *run.outcomes], key=lambda o: order.get(o.device, len(order)))


def printer(show_secrets: bool = False) -> Printer:
    """A printer masking every secret this process knows, unless --show-secrets was given."""
    out = Printer(show_secrets=show_secrets)
    out.masker = current_masker()
    return out


def COMMANDS() -> list[click.Command]:
    """Every subcommand, imported lazily so `cgw --help` stays fast."""
    commands = []
    for name in _COMMAND_MODULES:
        module = importlib.import_module(f"{__name__}.{name}")
        commands.append(module.command)
    return commands
