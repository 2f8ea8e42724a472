"""The `cgw` command line end to end against the lab AWS: output, exit codes, no secret leaks."""

from __future__ import annotations

import os
import stat
import subprocess
import sys
from pathlib import Path
from typing import TYPE_CHECKING

import pytest
from envelope import data_of

from cgw.aws import AwsContext, fetch_vpn_connections

if TYPE_CHECKING:
    from cgw.lab.aws_server import LabAws

REPO = Path(__file__).resolve().parent.parent
INVENTORY = REPO / "inventory"


def run_cgw(*args: str, env: dict[str, str] | None = None) -> subprocess.CompletedProcess[str]:
    """Run the real `cgw` entry point in a child process, as a user would."""
    return subprocess.run(
        [sys.executable, "-m", "cgw", "-i", str(INVENTORY), *args],
        capture_output=True,
        text=True,
        timeout=120,
        env={**os.environ, **(env or {})},
        check=False,
    )


@pytest.fixture(scope="module")
def lab_psks(lab_aws: LabAws) -> dict[str, list[str]]:
    """Every seeded VPN's two pre-shared keys, read straight from the lab."""
    vpns = fetch_vpn_connections(AwsContext(), vpn_ids=list(lab_aws.vpn_ids.values()))
    return {v.id: [t.psk.reveal() for t in v.tunnels] for v in vpns}


def assert_no_psk(result: subprocess.CompletedProcess[str], psks: dict[str, list[str]]) -> None:
    leaked = [p for keys in psks.values() for p in keys if p in result.stdout + result.stderr]
    assert not leaked, f"PSK printed by {result.args[3:]}"


COMMANDS = [
    ("fetch", "{branch-01}"),
    ("fetch", "{branch-01}", "{branch-02}", "--json"),
    ("fetch", "--device", "branch-03"),
    ("fetch", "--cgw-ip", "203.0.113.14", "--json"),
    ("fetch", "--tag", "Name=branch-02"),
    ("render", "branch-01"),
    ("render", "--all"),
    ("render", "--group", "branches"),
    ("render", "--vpn", "{branch-02}", "--platform", "juniper_junos"),
    ("render", "--vpn", "{branch-03}", "--platform", "strongswan", "--local-asn", "65100"),
    ("inventory", "check"),
    ("-vvv", "render", "branch-04"),
]


@pytest.mark.parametrize("command", COMMANDS, ids=lambda c: " ".join(c))
def test_no_command_prints_a_psk(
    lab_aws: LabAws, lab_psks: dict[str, list[str]], command: tuple[str, ...]
) -> None:
    args = [a.format(**lab_aws.vpn_ids) if a.startswith("{") else a for a in command]
    result = run_cgw(*args)
    assert result.returncode == 0, result.stderr
    assert result.stdout.strip()
    assert_no_psk(result, lab_psks)


def test_show_secrets_prints_the_psks(lab_aws: LabAws, lab_psks: dict[str, list[str]]) -> None:
    vpn_id = lab_aws.vpn_ids["branch-01"]
    result = run_cgw("fetch", vpn_id, "--json", "--show-secrets")
    assert result.returncode == 0, result.stderr
    shown = [t["psk"] for t in data_of(result.stdout)[0]["tunnels"]]
    assert shown == lab_psks[vpn_id]
    rendered = run_cgw("render", "branch-01", "--show-secrets")
    assert all(psk in rendered.stdout for psk in lab_psks[vpn_id])


def test_fetch_json_shape(lab_aws: LabAws) -> None:
    result = run_cgw("fetch", lab_aws.vpn_ids["branch-01"], "--json")
    [data] = data_of(result.stdout)
    assert data["vpn_connection_id"] == lab_aws.vpn_ids["branch-01"]
    assert data["customer_gateway_ip"] == "203.0.113.11"
    assert data["routing"] == "bgp"
    t1, t2 = data["tunnels"]
    assert set(t1) >= {
        "aws_outside_ip",
        "cgw_outside_ip",
        "inside_cidr",
        "aws_inside_ip",
        "cgw_inside_ip",
        "psk",
        "ike_versions",
        "phase1",
        "phase2",
        "dpd",
        "startup_action",
        "bgp",
    }
    assert t1["psk"] == "<psk:tunnel1>" and t2["psk"] == "<psk:tunnel2>"
    assert t1["inside_cidr"] == "169.254.101.0/30" and t2["inside_cidr"] == "169.254.101.4/30"
    assert t1["phase1"] == {
        "encryption": ["AES256-GCM-16"],
        "integrity": ["SHA2-256"],
        "dh_groups": [20],
        "lifetime_s": 28800,
    }
    assert t2["dpd"]["action"] == "restart" and t2["startup_action"] == "start"
    assert t1["bgp"] == {"aws_asn": 64512, "cgw_asn": 65011, "hold_time_s": 30}
    several = data_of(
        run_cgw("fetch", "--cgw-ip", "203.0.113.11", "--cgw-ip", "203.0.113.12", "--json").stdout
    )
    assert len(several) == 2


def test_render_to_directory_writes_0600_files(
    lab_aws: LabAws, lab_psks: dict[str, list[str]], tmp_path: Path
) -> None:
    result = run_cgw("render", "--all", "-o", str(tmp_path))
    assert result.returncode == 0, result.stderr
    assert_no_psk(result, lab_psks)
    files = [p for p in tmp_path.rglob("*") if p.is_file()]
    assert {p.name for p in files} >= {"branch-01.cfg", "branch-02.cfg", "branch-04.cfg"}
    assert any("swanctl" in str(p) for p in files)
    for path in files:
        assert stat.S_IMODE(path.stat().st_mode) == 0o600, path
    branch01 = (tmp_path / "branch-01.cfg").read_text()
    assert all(psk in branch01 for psk in lab_psks[lab_aws.vpn_ids["branch-01"]])


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (("fetch", "vpn-0123456789abcdef0"), "vpn-0123456789abcdef0"),
        (("fetch",), "name a VPN id"),
        (("render", "branch-99"), "no device 'branch-99'"),
        (("render", "--vpn", "vpn-0123456789abcdef0"), "needs both --vpn and --platform"),
        (("render", "--vpn", "vpn-0123456789abcdef0", "--platform", "nokia"), "unknown platform"),
        (("fetch", "--tag", "novalue"), "--tag takes Key=Value"),
        (("--bogus-flag",), "No such option"),
    ],
)
def test_errors_are_one_line_with_exit_1(
    lab_aws: LabAws, args: tuple[str, ...], message: str
) -> None:
    result = run_cgw(*args)
    assert result.returncode == 1
    assert message in result.stderr
    assert "Traceback" not in result.stderr
    assert len(result.stderr.strip().splitlines()) <= 4  # click usage errors add usage + hint


def test_malformed_inventory_is_one_line(tmp_path: Path) -> None:
    (tmp_path / "hosts.yaml").write_text("r1:\n  host: 1.1.1.1\n  platform: cisco_xe\n")
    result = subprocess.run(
        [sys.executable, "-m", "cgw", "-i", str(tmp_path), "inventory", "check"],
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )
    assert result.returncode == 1
    assert result.stderr.startswith("cgw: error: ")
    assert "device r1: vpn: required key is missing" in result.stderr
    assert len(result.stderr.strip().splitlines()) == 1


def test_unreachable_endpoint_is_one_line() -> None:
    result = run_cgw(
        "fetch",
        "vpn-0123456789abcdef0",
        env={
            "AWS_ENDPOINT_URL": "http://127.0.0.1:9",
            "AWS_ACCESS_KEY_ID": "testing",
            "AWS_SECRET_ACCESS_KEY": "testing",
            "AWS_DEFAULT_REGION": "us-east-1",
            "AWS_MAX_ATTEMPTS": "1",
        },
    )
    assert result.returncode == 1
    assert result.stderr.startswith("cgw: error: ")
    assert len(result.stderr.strip().splitlines()) == 1


DATA = REPO / "tests" / "data"


def offline_dir(tmp_path: Path, platform: str, captures: dict[str, str]) -> Path:
    """A --from-dir folder: one real capture per command, under the command's file name."""
    from cgw.parsing import command_filename

    folder = tmp_path / platform
    folder.mkdir()
    for command, capture in captures.items():
        source = DATA / platform / command_filename(command).removesuffix(".txt") / capture
        (folder / command_filename(command)).write_text(source.read_text())
    return folder


def test_verify_offline_json_from_real_captures(tmp_path: Path) -> None:
    folder = offline_dir(
        tmp_path,
        "cisco_ios",
        {
            "show crypto ikev2 sa": "azure_csr1000v_natt_two_peers.raw",
            "show ip bgp summary": "ntc_idle_admin_8digit_counters.raw",
        },
    )
    result = run_cgw("verify", "--platform", "cisco_xe", "--from-dir", str(folder), "--json")
    assert result.returncode == 0, result.stderr
    data = data_of(result.stdout)[0]["parsed"]
    assert [(s["peer"], s["state"], s["up"]) for s in data["ike_sas"]] == [
        ("52.175.253.112", "READY", True),
        ("52.175.250.191", "READY", True),
    ]
    assert data["ipsec_sas"] is None  # no capture: unknown, not an error
    assert any(n["state"] == "Idle (Admin)" and not n["established"] for n in data["bgp"])
    human = run_cgw("verify", "--platform", "cisco_xe", "--from-dir", str(folder))
    assert human.returncode == 0 and "52.175.253.112" in human.stdout
    assert "ipsec_sas: unknown" in human.stdout


def test_verify_offline_with_a_vpn_judges_tunnels(lab_aws: LabAws, tmp_path: Path) -> None:
    folder = offline_dir(
        tmp_path,
        "cisco_ios",
        {
            "show crypto ikev2 sa": "azure_csr1000v_natt_two_peers.raw",
        },
    )
    result = run_cgw(
        "verify",
        "--platform",
        "cisco_xe",
        "--from-dir",
        str(folder),
        "--json",
        "--vpn",
        lab_aws.vpn_ids["branch-01"],
    )
    [data] = data_of(result.stdout)
    # The captures are another network's: none of branch-01's peers has an SA there.
    assert result.returncode == 2, result.stderr
    assert data["overall"] == "DOWN"
    assert [t["up"] for t in data["tunnels"]] == [False, False]


def test_verify_offline_usage_errors(tmp_path: Path) -> None:
    result = run_cgw("verify", "--platform", "cisco_xe")
    assert result.returncode == 1 and "needs both --platform and --from-dir" in result.stderr
    missing = run_cgw("verify", "--platform", "cisco_xe", "--from-dir", str(tmp_path / "nope"))
    assert missing.returncode == 1 and "Traceback" not in missing.stderr


def test_lab_aws_serves_in_the_foreground_and_prints_no_key(tmp_path: Path) -> None:
    """`cgw lab aws` prints its endpoint and the variables to export; Ctrl-C stops it."""
    import signal
    import socket
    import time

    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    server = subprocess.Popen(
        [sys.executable, "-m", "cgw", "lab", "aws", "--port", str(port)],
        stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
    )  # fmt: skip
    try:
        deadline = time.monotonic() + 60
        lines: list[str] = []
        while time.monotonic() < deadline and server.stdout is not None:
            line = server.stdout.readline()
            lines.append(line)
            if "Ctrl-C" in line:
                break
        env = {"AWS_ENDPOINT_URL": f"http://127.0.0.1:{port}", "AWS_ACCESS_KEY_ID": "testing",
               "AWS_SECRET_ACCESS_KEY": "testing", "AWS_DEFAULT_REGION": "us-east-1"}  # fmt: skip
        fetched = run_cgw("fetch", "--cgw-ip", "203.0.113.11", "--json", "--show-secrets", env=env)
        psks = [t["psk"] for t in data_of(fetched.stdout)[0]["tunnels"]]
    finally:
        server.send_signal(signal.SIGINT)
        rest, errors = server.communicate(timeout=90)  # a loaded machine stops moto slowly
    printed = "".join(lines) + rest + errors
    assert f"export AWS_ENDPOINT_URL=http://127.0.0.1:{port}" in printed
    assert "branch-01" in printed
    assert not [p for p in psks if p in printed]
    assert server.returncode == 0
