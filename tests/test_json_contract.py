"""One output contract: every command's --json is the envelope of cgw/schema/envelope.schema.json;
human output honours NO_COLOR, escapes config text and never shortens an address; every
user-facing error at the edge (ids, ports, folders, file systems) is one line, never "internal
error"."""

from __future__ import annotations

import io
import os
import re
import socket
import subprocess
import sys
from pathlib import Path
from typing import TYPE_CHECKING

import pytest
from envelope import envelope_schema, parse_envelope

from cgw.output import Printer

if TYPE_CHECKING:
    from cgw.lab.aws_server import LabAws

COLOUR = re.compile(r"\x1b\[[0-9;]*(3[0-7]|38;)")
EXAMPLE_INVENTORY = Path(__file__).resolve().parent.parent / "inventory"


def cgw(
    *args: str, env: dict[str, str] | None = None, stdin: str | None = None
) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "cgw", "-i", str(EXAMPLE_INVENTORY), *args],
        capture_output=True, text=True, timeout=120, input=stdin,
        env={**os.environ, **(env or {})}, check=False,
    )  # fmt: skip


def one_line_error(result: subprocess.CompletedProcess[str], words: str) -> None:
    assert result.returncode == 1, result.stdout + result.stderr
    assert result.stderr.count("\n") == 1, result.stderr
    assert words in result.stderr
    assert "internal error" not in result.stderr and "Traceback" not in result.stderr


def test_the_schema_is_shipped_and_valid() -> None:
    schema = envelope_schema()
    assert schema["properties"]["schema_version"] == {"const": 1}


@pytest.mark.parametrize(
    "args",
    [
        ("inventory", "check", "--json"),
        ("render", "--all", "--json"),
        ("fetch", "--device", "branch-01", "--device", "branch-02", "--json"),
    ],
    ids=lambda a: " ".join(a[:2]),
)
def test_offline_and_aws_commands_print_the_envelope(
    lab_aws: LabAws, args: tuple[str, ...]
) -> None:
    result = cgw(*args)
    assert result.returncode == 0, result.stderr
    envelope = parse_envelope(result.stdout)
    assert envelope["exit_code"] == 0 and envelope["results"]
    assert all(item["status"] == "ok" for item in envelope["results"])


def test_push_without_a_terminal_or_yes_refuses_in_one_line(lab_aws: LabAws) -> None:
    for args in (("push", "--all"), ("push", "--all", "--json")):
        result = cgw(*args, stdin="y\n")
        one_line_error(result, "push needs --yes")
        assert result.stdout == ""


def test_push_that_could_plan_nothing_prints_no_empty_list(lab_aws: LabAws, tmp_path: Path) -> None:
    """The example inventory's routers do not exist here: every plan fails, one row each."""
    env = {"CGW_USERNAME": "u", "CGW_PASSWORD": "p", "CGW_ENABLE_SECRET": "s",
           "CGW_KNOWN_HOSTS": str(tmp_path / "kh")}  # fmt: skip
    human = cgw("push", "branch-01", "--yes", env=env)
    assert human.returncode == 1 and "[]" not in human.stdout
    assert "branch-01" in human.stderr
    as_json = parse_envelope(cgw("push", "branch-01", "--yes", "--json", env=env).stdout)
    [row] = as_json["results"]
    assert row["name"] == "branch-01" and row["status"] == "error" and as_json["exit_code"] == 1


def test_no_color_is_honoured(lab_aws: LabAws, tmp_path: Path) -> None:
    coloured = cgw("render", "--all", "-o", str(tmp_path / "a"), env={"FORCE_COLOR": "1"})
    assert COLOUR.search(coloured.stdout), "rich should colour when forced"
    plain = cgw(
        "render", "--all", "-o", str(tmp_path / "b"), env={"FORCE_COLOR": "1", "NO_COLOR": "1"}
    )
    assert plain.returncode == 0 and not COLOUR.search(plain.stdout)


def test_config_text_is_printed_as_it_is_not_as_markup() -> None:
    stream = io.StringIO()
    out = Printer(stream=stream, color=False)
    for line in ("+ banner motd \\", "+ description [red]x[/red]", "-  remark [/green]"):
        out.styled(line, "green")
    printed = stream.getvalue()
    assert "+ banner motd \\" in printed and "[red]x[/red]" in printed
    assert "[/green]" in printed


def test_verify_tables_never_shorten_an_address(lab_aws: LabAws, tmp_path: Path) -> None:
    folder = tmp_path / "captures"
    folder.mkdir()
    (folder / "show crypto ikev2 sa.txt").write_text("")
    vpn_id = lab_aws.vpn_ids["branch-01"]
    for columns in ("100", "80"):
        result = cgw("verify", "--platform", "cisco_xe", "--from-dir", str(folder), "--vpn",
                     vpn_id, env={"COLUMNS": columns})  # fmt: skip
        assert result.returncode == 2, result.stderr
        for address in ("198.51.100.10", "198.51.100.11", "169.254.101.1/169.254.101.2"):
            assert address in result.stdout, (columns, result.stdout)
        assert "…" not in result.stdout


# ------------------------------------------------------------------ inputs at the edge
def test_verify_from_an_empty_folder_is_an_error(tmp_path: Path) -> None:
    one_line_error(
        cgw("verify", "--platform", "cisco_xe", "--from-dir", str(tmp_path)), "holds no saved"
    )


def test_render_to_a_folder_that_cannot_be_written_is_one_line(lab_aws: LabAws) -> None:
    result = cgw("render", "branch-01", "-o", "/proc/cgw-cannot-write-here")
    assert result.returncode == 1 and "cannot write" in result.stderr
    assert "internal error" not in result.stderr and "OSError" not in result.stderr


def test_ad_hoc_render_refuses_what_makes_no_sense(lab_aws: LabAws) -> None:
    vpn = lab_aws.vpn_ids["branch-01"]
    one_line_error(cgw("render", "--vpn", "vpn-0abc1234;rm", "--platform", "cisco_xe"),
                   "not a VPN connection id")  # fmt: skip
    one_line_error(cgw("render", "--vpn", "cgw-0123456789abcdef0", "--platform", "cisco_xe"),
                   "cgw- is not a VPN")  # fmt: skip
    one_line_error(cgw("render", "--vpn", vpn, "--platform", "cisco_xe",
                       "--static-route", "10.9.0.0/16"), "uses BGP routing")  # fmt: skip
    same_asn = cgw("render", "--vpn", vpn, "--platform", "cisco_xe", "--local-asn", "64512")
    assert same_asn.returncode == 1
    assert "local.local_asn 64512 equals AWS's ASN" in same_asn.stderr
    assert "router bgp 64512" not in same_asn.stdout


def test_static_routes_on_a_bgp_vpn_are_a_warning_naming_device_and_key(
    lab_aws: LabAws, tmp_path: Path
) -> None:
    inventory = tmp_path / "inventory"
    inventory.mkdir()
    (inventory / "hosts.yaml").write_text(
        "b1:\n  host: 127.0.0.1\n  platform: cisco_xe\n"
        "  vpn: {customer_gateway_ip: 203.0.113.11}\n"
        "  local: {wan_interface: Gi1, static_routes: [10.50.0.0/16]}\n"
    )
    result = subprocess.run(
        [sys.executable, "-m", "cgw", "-i", str(inventory), "render", "b1", "--json"],
        capture_output=True, text=True, timeout=120, check=False,
    )  # fmt: skip
    assert result.returncode == 0, result.stderr
    [warning] = parse_envelope(result.stdout)["warnings"]
    assert "device b1: local.static_routes is ignored" in warning
    assert "warning: device b1: local.static_routes" in result.stderr


def test_lab_aws_refuses_a_taken_port_and_an_impossible_one() -> None:
    with socket.socket() as taken:
        taken.bind(("127.0.0.1", 0))
        taken.listen()
        port = taken.getsockname()[1]
        result = subprocess.run(
            [sys.executable, "-m", "cgw", "lab", "aws", "--port", str(port)],
            capture_output=True, text=True, timeout=60, check=False,
        )  # fmt: skip
    one_line_error(result, "is not free")
    impossible = subprocess.run(
        [sys.executable, "-m", "cgw", "lab", "aws", "--port", "99999"],
        capture_output=True, text=True, timeout=60, check=False,
    )  # fmt: skip
    assert impossible.returncode != 0 and "99999" in impossible.stderr
    assert "Traceback" not in impossible.stderr


def test_an_interrupted_write_leaves_no_half_written_file(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    from cgw import files

    target = tmp_path / "out" / "branch-01.cfg"
    files.write_private_file(target, "old\n")

    def interrupted(*_: object) -> None:
        raise KeyboardInterrupt

    monkeypatch.setattr(files.os, "replace", interrupted)
    with pytest.raises(KeyboardInterrupt):
        files.write_private_file(target, "new, never seen half written\n")
    assert target.read_text() == "old\n"
    assert [p.name for p in target.parent.iterdir()] == ["branch-01.cfg"]
