"""Every platform's verify parsers against real captured show output, ntc-templates' layout:
`tests/data/<platform>/<command>/<name>.raw` parses to the rows in `<name>.yml`."""

from __future__ import annotations

from pathlib import Path
from types import ModuleType

import pytest
import yaml

from cgw.parsing import command_filename
from cgw.platforms.cisco_ios import status as cisco_status
from cgw.platforms.juniper_junos import status as junos_status
from cgw.platforms.strongswan import status as strongswan_status

DATA = Path(__file__).parent / "data"
# Per platform folder: its status module and the commands it parses (strongSwan's parser also
# reads `swanctl --list-conns`, which verify does not run).
PARSERS: dict[str, tuple[ModuleType, tuple[str, ...]]] = {
    "cisco_ios": (cisco_status, cisco_status.VERIFY_COMMANDS),
    "juniper_junos": (junos_status, junos_status.VERIFY_COMMANDS),
    "strongswan": (
        strongswan_status,
        (*strongswan_status.VERIFY_COMMANDS, strongswan_status.LIST_CONNS),
    ),
}
COMMANDS = [(platform, command) for platform, (_, cmds) in PARSERS.items() for command in cmds]
CAPTURES = sorted(raw for platform in PARSERS for raw in (DATA / platform).glob("*/*.raw"))


def folder(platform: str, command: str) -> Path:
    return DATA / platform / command_filename(command).removesuffix(".txt")


@pytest.mark.parametrize(("platform", "command"), COMMANDS, ids=lambda v: str(v))
def test_each_command_has_five_sourced_captures(platform: str, command: str) -> None:
    captures = folder(platform, command)
    raws = sorted(captures.glob("*.raw"))
    sources = (captures / "SOURCES.md").read_text(encoding="utf-8")
    assert len(raws) >= 5
    for raw in raws:
        assert raw.name in sources, raw.name
        assert raw.with_suffix(".yml").is_file(), raw.name


@pytest.mark.parametrize("raw", CAPTURES, ids=lambda p: f"{p.parts[-3]}/{p.parent.name}/{p.stem}")
def test_rows_match_expected_yml(raw: Path) -> None:
    module, commands = PARSERS[raw.parts[-3]]
    command = {command_filename(c).removesuffix(".txt"): c for c in commands}[raw.parent.name]
    expected = yaml.safe_load(raw.with_suffix(".yml").read_text(encoding="utf-8"))
    assert (
        module.parse_command(command, raw.read_text(encoding="utf-8")) == expected["parsed_sample"]
    )
