"""One device's failure is that device's row: a stale VPN id, an unreachable host, a malformed
id. AWS is still asked once for all VPNs, and ids that are not VPN ids never reach it."""

from __future__ import annotations

import os
import re
import socket
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path
from typing import TYPE_CHECKING, Any

import pytest
from envelope import parse_envelope

from cgw.aws import AwsContext, lookup_vpns
from cgw.lab.sim_lab import SimLab, start_sim_lab

if TYPE_CHECKING:
    from cgw.lab.aws_server import LabAws

STALE = "vpn-0123456789abcdef0"


def counting(ctx: AwsContext) -> list[str]:
    """Every EC2 call `ctx` makes from now on, by operation name."""
    calls: list[str] = []

    def count(model: Any, **_: Any) -> None:
        calls.append(model.name)

    ctx.ec2().meta.events.register("before-call.ec2", count)
    return calls


def test_all_vpns_in_one_call_and_an_unknown_id_fails_alone(lab_aws: LabAws) -> None:
    good = [lab_aws.vpn_ids["branch-01"], lab_aws.vpn_ids["branch-02"]]
    ctx = AwsContext()
    calls = counting(ctx)
    healthy = lookup_vpns(ctx, vpn_ids=good)
    assert sorted(healthy.by_id) == sorted(good) and not healthy.errors
    assert calls.count("DescribeVpnConnections") == 1
    calls.clear()
    mixed = lookup_vpns(ctx, vpn_ids=[good[0], STALE, good[1]])
    assert sorted(mixed.by_id) == sorted(good)
    assert STALE in mixed.errors[STALE] and list(mixed.errors) == [STALE]
    # One call refused because of the stale id, one without it.
    assert calls.count("DescribeVpnConnections") == 2


@pytest.mark.parametrize("bad", ["vpn-0abc1234;rm -rf /", "cgw-0123456789abcdef0", "vpn-XYZ"])
def test_malformed_ids_never_reach_aws(lab_aws: LabAws, bad: str) -> None:
    ctx = AwsContext()
    calls = counting(ctx)
    found = lookup_vpns(ctx, vpn_ids=[bad])
    assert not found.by_id and "is not a VPN connection id" in found.errors[bad]
    assert "DescribeVpnConnections" not in calls


@pytest.mark.parametrize("bad", ["vpn-0abc1234;rm", "cgw-0123456789abcdef0"])
def test_fetch_refuses_a_malformed_id_in_one_line(lab_aws: LabAws, bad: str) -> None:
    result = subprocess.run(
        [sys.executable, "-m", "cgw", "fetch", bad], capture_output=True, text=True,
        timeout=120, env={**os.environ, **lab_aws.env}, check=False,
    )  # fmt: skip
    assert result.returncode == 1
    assert result.stderr.count("\n") == 1 and "not a VPN connection id" in result.stderr
    assert "internal error" not in result.stderr


@pytest.fixture(scope="module")
def lab(tmp_path_factory: pytest.TempPathFactory) -> Iterator[SimLab]:
    lab = start_sim_lab(tmp_path_factory.mktemp("failures"))
    try:
        yield lab
    finally:
        lab.stop()


def broken_inventory(lab: SimLab, folder: Path) -> Path:
    """The lab's inventory with branch-02's VPN id stale and branch-03 on a closed port."""
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        closed = probe.getsockname()[1]
    folder.mkdir()
    for name in ("groups.yaml", "defaults.yaml"):
        (folder / name).write_text((lab.inventory / name).read_text())
    hosts = (lab.inventory / "hosts.yaml").read_text()
    hosts = hosts.replace("vpn: {customer_gateway_ip: 203.0.113.12}", f"vpn: {{vpn_id: {STALE}}}")
    port = lab.routers["branch-03"].port
    hosts = re.sub(rf"port: {port}\n", f"port: {closed}\n", hosts)
    (folder / "hosts.yaml").write_text(hosts)
    return folder


@pytest.mark.parametrize("command", ["diff", "verify", "render"])
def test_a_stale_vpn_and_an_unreachable_host_are_their_devices_rows(
    lab: SimLab, tmp_path: Path, command: str
) -> None:
    inventory = broken_inventory(lab, tmp_path / "inventory")
    run = subprocess.run(
        [sys.executable, "-m", "cgw", "-i", str(inventory), command, "--all", "--json"],
        capture_output=True, text=True, timeout=300, env={**os.environ, **lab.env}, check=False,
    )  # fmt: skip
    assert run.returncode == 1, run.stderr
    envelope = parse_envelope(run.stdout)
    assert envelope["exit_code"] == 1
    rows = {item["name"]: item for item in envelope["results"]}
    assert list(rows) == list(lab.routers)  # every device has its row, the broken ones too
    others = [name for name in rows if name not in ("branch-02", "branch-03")]
    assert all(rows[name]["status"] == "ok" for name in others)  # the rest were processed
    assert rows["branch-01"]["status"] == "ok" and rows["branch-01"]["data"]
    assert rows["branch-02"]["status"] == "error"
    assert "branch-02" in rows["branch-02"]["error"] and STALE in rows["branch-02"]["error"]
    if command == "render":  # offline: the closed port does not matter
        assert rows["branch-03"]["status"] == "ok"
    else:
        assert rows["branch-03"]["status"] == "error"
        assert "connection refused" in rows["branch-03"]["error"]
    human = subprocess.run(
        [sys.executable, "-m", "cgw", "-i", str(inventory), command, "--all"],
        capture_output=True, text=True, timeout=300, env={**os.environ, **lab.env}, check=False,
    )  # fmt: skip
    assert human.returncode == 1
    assert "branch-02" in human.stderr and STALE in human.stderr
    assert "internal error" not in human.stderr and "Traceback" not in human.stderr
