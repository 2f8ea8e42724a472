"""The cgw subcommands, one module each; `COMMANDS()` lists them for the CLI group."""

from __future__ import annotations

import importlib
from dataclasses import dataclass
from pathlib import Path

import click

from cgw.output import Printer
from cgw.secrets import PROCESS_MASKER

_COMMAND_MODULES = ("fetch", "render", "diff", "push", "verify", "inventory", "lab", "demo")


@dataclass
class Options:
    """Global options every command sees."""

    inventory: Path
    profile: str | None
    region: str | None
    debug: bool


pass_options = click.make_pass_decorator(Options)


def printer(show_secrets: bool = False) -> Printer:
    """A printer masking every secret this process knows, unless --show-secrets was given."""
    out = Printer(show_secrets=show_secrets)
    out.masker = PROCESS_MASKER
    return out


def COMMANDS() -> list[click.Command]:
    """Every subcommand, imported lazily so `cgw --help` stays fast."""
    commands = []
    for name in _COMMAND_MODULES:
        module = importlib.import_module(f"{__name__}.{name}")
        commands.append(module.command)
    return commands
