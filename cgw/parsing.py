"""Running TextFSM templates (ntc-templates' or cgw's own) over device output."""

from __future__ import annotations

import io
import ipaddress
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from functools import cache
from importlib import resources
from pathlib import Path
from typing import Any

import textfsm

from cgw.errors import ParseError

Row = dict[str, Any]


def command_filename(command: str) -> str:
    """The file name an offline capture of `command` is saved under.

    Spaces and dashes become underscores, quotes are dropped: `swanctl --list-sas` →
    `swanctl___list_sas.txt`, `vtysh -c "show bgp summary"` → `vtysh__c_show_bgp_summary.txt`.
    """
    name = command.replace('"', "").replace("'", "")
    return name.replace(" ", "_").replace("-", "_") + ".txt"


def ntc_template(name: str) -> Path:
    """A template shipped by ntc-templates, e.g. `cisco_ios_show_ip_bgp_summary.textfsm`."""
    import ntc_templates

    path = Path(ntc_templates.__file__).parent / "templates" / name
    if not path.is_file():
        raise ParseError(f"ntc-templates has no template {name}")
    return path


def own_template(package: str, name: str) -> Path:
    """A template shipped inside a cgw platform package (its `textfsm/` folder)."""
    path = Path(str(resources.files(package))) / "textfsm" / name
    if not path.is_file():
        raise ParseError(f"{package} has no template textfsm/{name}")
    return path


@cache
def _template_text(path: Path) -> str:
    return path.read_text(encoding="utf-8")


def parse_output(
    template: Path, output: str, *, platform: str, command: str
) -> list[dict[str, Any]]:
    """Rows of `output` parsed by `template`, keys lower-cased; errors name platform and command."""
    try:
        fsm = textfsm.TextFSM(io.StringIO(_template_text(template)))
        rows = fsm.ParseText(output)
    except textfsm.Error as exc:
        first_line = str(exc).splitlines()[0] if str(exc) else type(exc).__name__
        raise ParseError(f"{platform}: cannot parse '{command}' output: {first_line}") from None
    keys = [h.lower() for h in fsm.header]
    return [dict(zip(keys, row, strict=True)) for row in rows]


def canonical_address(text: str) -> str:
    """An address as Python writes it (lower-case, compressed IPv6); other text unchanged."""
    stripped = text.strip()
    try:
        return str(ipaddress.ip_address(stripped))
    except ValueError:
        return stripped


def counter_sum(values: Iterable[str]) -> int | None:
    """The sum of a column of counters; None when no row had one (unknown, not zero)."""
    counters = [int(v) for v in values if v]
    return sum(counters) if counters else None


@dataclass(frozen=True)
class CommandParsers:
    """One platform's commands and the TextFSM template that reads each one.

    `templates` maps a command to ("cgw", file) in the platform package's `textfsm/` folder, or
    ("ntc", file) for ntc-templates' own.
    """

    platform: str
    package: str
    templates: Mapping[str, tuple[str, str]]

    def template_path(self, command: str) -> Path:
        try:
            source, name = self.templates[command]
        except KeyError:
            raise ParseError(f"{self.platform}: no parser for '{command}'") from None
        return ntc_template(name) if source == "ntc" else own_template(self.package, name)

    def parse(self, command: str, output: str, *, platform: str | None = None) -> list[Row]:
        """The raw rows of one command's output; errors name `platform` (default: ours)."""
        return parse_output(
            self.template_path(command),
            output,
            platform=platform or self.platform,
            command=command,
        )
