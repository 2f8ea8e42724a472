"""The `cgw` command line: parse arguments, call the workflow, print. Nothing else lives here."""

from __future__ import annotations

import logging
import os
import sys
from collections.abc import Sequence
from pathlib import Path

import click

from cgw.commands import Options
from cgw.errors import CgwError
from cgw.secrets import Masker, MaskingFilter, current_masker, masking_run

EXIT_OK = 0
EXIT_ERROR = 1


def _configure_logging(verbosity: int, masker: Masker) -> None:
    """Log to stderr through a masking filter; netmiko/paramiko only at -vv and up."""
    level = logging.WARNING if verbosity == 0 else logging.INFO if verbosity == 1 else logging.DEBUG
    handler = logging.StreamHandler(sys.stderr)
    handler.setFormatter(logging.Formatter("%(levelname)s %(name)s: %(message)s"))
    handler.addFilter(MaskingFilter(masker))
    root = logging.getLogger()
    root.handlers[:] = [handler]
    root.setLevel(level)
    # Library chatter (paramiko logs a peer's reset at ERROR) only when asked for with -vvv;
    # cgw reports what went wrong itself, in one line.
    for noisy in ("paramiko", "netmiko", "botocore", "boto3", "urllib3", "werkzeug"):
        logging.getLogger(noisy).setLevel(logging.DEBUG if verbosity >= 3 else logging.CRITICAL)


@click.group(context_settings={"help_option_names": ["-h", "--help"], "max_content_width": 100})
@click.option(
    "-i",
    "--inventory",
    type=click.Path(path_type=Path),
    envvar="CGW_INVENTORY",
    default="inventory",
    show_default=True,
    help="Inventory folder (hosts.yaml, groups.yaml, defaults.yaml) or a hosts.yaml file.",
)
@click.option("--profile", envvar="AWS_PROFILE", help="AWS profile (standard credential chain).")
@click.option("--region", envvar="AWS_DEFAULT_REGION", help="AWS region.")
@click.option("-v", "--verbose", count=True, help="More logging on stderr (secrets masked).")
@click.option("--debug", is_flag=True, help="Show a traceback for unexpected errors.")
@click.version_option(package_name="cgw")
@click.pass_context
def cli(
    ctx: click.Context,
    inventory: Path,
    profile: str | None,
    region: str | None,
    verbose: int,
    debug: bool,
) -> None:
    """cgw: connect customer gateways to AWS Site-to-Site VPN.

    fetch → render → diff → push → verify, for Cisco IOS/IOS-XE, Juniper SRX and strongSwan.
    Exit codes: 0 ok or in sync, 1 error, 2 changes pending or a tunnel down.
    """
    _configure_logging(verbose, current_masker())
    ctx.obj = Options(inventory=inventory, profile=profile, region=region, debug=debug)


def _register_commands() -> None:
    from cgw.commands import COMMANDS

    for command in COMMANDS():
        if command.name not in cli.commands:
            cli.add_command(command)


def main(argv: Sequence[str] | None = None) -> int:
    """Run cgw; return the exit code. Errors a user can cause print one line, never a traceback."""
    _register_commands()
    args = list(argv) if argv is not None else sys.argv[1:]
    debug = "--debug" in args or os.environ.get("CGW_DEBUG") == "1"
    # One masker per run: every secret this invocation learns is masked in all its output.
    with masking_run():
        return _run(args, debug)


def _run(args: list[str], debug: bool) -> int:
    try:
        result = cli.main(args=args, prog_name="cgw", standalone_mode=False)
    except click.exceptions.Abort:
        click.echo("cgw: aborted", err=True)
        return 130
    except click.ClickException as exc:
        exc.show()
        return EXIT_ERROR
    except CgwError as exc:
        click.echo(f"cgw: error: {_one_line(str(exc))}", err=True)
        return exc.exit_code
    except KeyboardInterrupt:
        click.echo("cgw: interrupted", err=True)
        return 130
    except Exception as exc:
        if debug:
            raise
        message = _one_line(f"{type(exc).__name__}: {exc}")
        click.echo(f"cgw: internal error: {message} (run with --debug for details)", err=True)
        return EXIT_ERROR
    return int(result or 0)


def _one_line(message: str) -> str:
    """Collapse a message to one line; mask any secret a lower layer let slip."""
    return current_masker().mask(" ".join(message.split()))
