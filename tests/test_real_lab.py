"""cgw against a real strongSwan + FRR branch and real AWS-side endpoints in network namespaces.

Needs root, `ip netns`, strongSwan (charon, swanctl, kernel-libipsec), FRR and OpenSSH's sshd;
skips with the reason otherwise. The AWS side is configured from the lab AWS's own records
(cgw.lab.aws_side), never from cgw's render, so the two ends check each other.
"""

from __future__ import annotations

import json
import subprocess
import sys
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import boto3
import pytest
from envelope import data_of

from cgw.lab.aws_server import LabAws
from cgw.lab.netns_lab import RealLab
from cgw.session import Session
from cgw.verify import DeviceStatus
from cgw.workflow import render_config
from tests.real_lab import (
    Branch,
    branch,  # noqa: F401  (fixture)
    branch_status,
    describe,
    load_rendered,
    place_rendered,
    poll,
    real_lab,  # noqa: F401  (fixture)
    require_real_lab,
    run_checked,
    ssh_session,
)

pytestmark = pytest.mark.charon

VPC_ADDRESS = "10.100.0.1"
BRANCH_LAN_ADDRESS = "10.13.0.1"
VPC_PREFIX = "10.100.0.0/16"
UP_TIMEOUT_S = 30.0
BGP_TIMEOUT_S = 45.0
DOWN_TIMEOUT_S = 30.0


@dataclass
class Provisioned:
    """The branch after cgw's rendered config was loaded, with an open SSH session."""

    lab: RealLab
    branch: Branch
    session: Session
    timings: dict[str, float] = field(default_factory=dict)


def report(request: pytest.FixtureRequest, line: str) -> None:
    """Print a measurement on the terminal, past pytest's output capture."""
    capture = request.config.pluginmanager.get_plugin("capturemanager")
    if capture is None:
        print(line)
        return
    with capture.global_and_fixture_disabled():
        print(f"\n{line}", flush=True)


def both_child_sas_installed(status: DeviceStatus) -> bool:
    return all(t.ike_up and t.ipsec_up for t in status.tunnels)


def bgp_carries_the_vpc(status: DeviceStatus) -> bool:
    """At least one BGP session Established with the VPC prefix received."""
    return any(t.bgp_established and (t.prefixes_received or 0) >= 1 for t in status.tunnels)


def wait_status(
    provisioned: Provisioned, what: str, ok: Callable[[DeviceStatus], bool], timeout_s: float
) -> DeviceStatus:
    """Poll cgw's verdict over SSH until `ok(status)` holds; fail naming the last status."""
    last: list[DeviceStatus] = []

    def probe() -> DeviceStatus | None:
        status = branch_status(provisioned.session, provisioned.branch, provisioned.lab)
        last[:] = [status]
        return status if ok(status) else None

    try:
        return poll(what, probe, timeout_s)
    except pytest.fail.Exception:
        detail = describe(last[0]) if last else "no status"
        pytest.fail(f"timed out waiting for {what}: {detail}")


def ping_from_lan(session: Session, count: int = 3) -> str:
    """Ping the VPC from the branch LAN address (through the tunnel), over the SSH session."""
    return session.send_command(
        f"ping -n -c {count} -W 2 -I {BRANCH_LAN_ADDRESS} {VPC_ADDRESS}", read_timeout_s=30
    )


@pytest.fixture(scope="module")
def provisioned(
    real_lab: RealLab,  # noqa: F811
    branch: Branch,  # noqa: F811
    request: pytest.FixtureRequest,
) -> Iterator[Provisioned]:
    """Layer (a): cgw's RENDERED files placed over real SSH and loaded; tunnels and BGP up."""
    started = time.monotonic()
    rendered = render_config(branch.device, branch.vpn)
    session = ssh_session(branch)
    done = Provisioned(real_lab, branch, session)
    try:
        place_rendered(session, rendered)
        # charon reads /etc/strongswan.d only when it starts: the `systemctl restart` of a host.
        real_lab.restart_branch_charon()
        rules = run_checked(session, "ip rule show")
        assert "40000:\tfrom all lookup 220" in rules, (
            "the rendered charon settings did not move libipsec's table behind main:\n" + rules
        )
        load_rendered(session, rendered)
        loaded = time.monotonic()
        wait_status(done, "both CHILD_SAs INSTALLED", both_child_sas_installed, UP_TIMEOUT_S)
        sas_up = time.monotonic()
        wait_status(done, "BGP Established with the VPC prefix", bgp_carries_the_vpc, BGP_TIMEOUT_S)
        bgp_up = time.monotonic()
        done.timings.update(
            lab_up_s=real_lab.timings.get("up_s", 0.0),
            provision_s=round(loaded - started, 3),
            tunnels_up_s=round(sas_up - loaded, 3),
            bgp_established_s=round(bgp_up - loaded, 3),
        )
        report(request, f"real lab timings (s): {done.timings}")
        yield done
    finally:
        session.close()


# --------------------------------------------------------------------------- layer (a)


def test_rendered_config_brings_both_tunnels_up_and_learns_the_vpc(
    provisioned: Provisioned,
) -> None:
    status = branch_status(provisioned.session, provisioned.branch, provisioned.lab)
    assert [t.ike_state for t in status.tunnels] == ["ESTABLISHED", "ESTABLISHED"]
    assert [t.ipsec_state for t in status.tunnels] == ["INSTALLED", "INSTALLED"]
    assert bgp_carries_the_vpc(status), describe(status)
    routes = run_checked(provisioned.session, f'vtysh -c "show ip route {VPC_PREFIX}"')
    assert f"Routing entry for {VPC_PREFIX}" in routes and '"bgp"' in routes, routes
    assert all(t.aws_status == "UP" for t in status.tunnels), describe(status)


def test_ping_from_branch_lan_reaches_the_vpc_through_the_tunnel(
    provisioned: Provisioned,
) -> None:
    before = provisioned.lab.aws_view(1), provisioned.lab.aws_view(2)
    output = ping_from_lan(provisioned.session)
    assert " 0% packet loss" in output, output
    assert before[0][0] and before[1][0]


def test_both_bgp_sessions_established(provisioned: Provisioned) -> None:
    """One ipsec0 for both tunnels: each BGP session must still ride its own CHILD_SA."""
    status = wait_status(
        provisioned,
        "BGP Established on both tunnels",
        lambda s: all(t.bgp_established for t in s.tunnels),
        BGP_TIMEOUT_S,
    )
    assert status.overall == "UP"


# --------------------------------------------------------------------------- faults


def tunnel_up(status: DeviceStatus, number: int) -> bool:
    return bool(status.tunnels[number - 1].up)


def ike_child_up(status: DeviceStatus, number: int) -> bool:
    tunnel = status.tunnels[number - 1]
    return bool(tunnel.ike_up and tunnel.ipsec_up)


def test_aws_tunnel1_stopped_degrades_and_traffic_uses_tunnel2(provisioned: Provisioned) -> None:
    lab = provisioned.lab
    lab.stop_aws_tunnel(1)
    try:
        status = wait_status(
            provisioned,
            "tunnel 1 DOWN, tunnel 2 UP",
            lambda s: not ike_child_up(s, 1) and tunnel_up(s, 2),
            DOWN_TIMEOUT_S + BGP_TIMEOUT_S,
        )
        assert status.tunnels[0].up is False and status.tunnels[1].up is True
        assert status.overall == "DEGRADED", describe(status)
        # aws1 has no charon: the VPC address is reachable only through tunnel 2 (aws2).
        output = ping_from_lan(provisioned.session)
        assert " 0% packet loss" in output, output
    finally:
        lab.start_aws_tunnel(1)
    wait_status(provisioned, "tunnel 1 back", lambda s: ike_child_up(s, 1), UP_TIMEOUT_S)


def modify_psk(lab_vpn_id: str, outside_ip: str, psk: str) -> None:
    """ModifyVpnTunnelOptions on the lab AWS, as an operator would change a tunnel's key."""
    boto3.client("ec2").modify_vpn_tunnel_options(
        VpnConnectionId=lab_vpn_id,
        VpnTunnelOutsideIpAddress=outside_ip,
        TunnelOptions={"PreSharedKey": psk},
    )


def test_psk_changed_on_aws_side_names_the_ike_auth_failure(
    provisioned: Provisioned, request: pytest.FixtureRequest
) -> None:
    lab, vpn = provisioned.lab, provisioned.branch.vpn
    tunnel1 = vpn.tunnels[0]
    outside = str(tunnel1.aws_outside_ip)
    modify_psk(vpn.id, outside, "Changed.by.the.lab.test.0001")
    lab.reload_aws_tunnel(1)
    try:
        status = wait_status(
            provisioned, "tunnel 1 DOWN", lambda s: not ike_child_up(s, 1), DOWN_TIMEOUT_S
        )
        assert status.tunnels[0].up is False
        failures = poll(
            "an IKE authentication failure in the charon logs",
            lambda: lab.ike_auth_failures(1) or None,
            DOWN_TIMEOUT_S,
        )
        branch_side = [line for line in failures if "AUTHENTICATION_FAILED" in line]
        report(
            request, "tunnel 1 IKE authentication failure: " + (branch_side or failures)[-1].strip()
        )
        assert branch_side, failures
        assert tunnel1.psk.reveal() not in "\n".join(failures)
        assert status.tunnels[1].ike_up and status.tunnels[1].ipsec_up, describe(status)
    finally:
        modify_psk(vpn.id, outside, tunnel1.psk.reveal())
        lab.reload_aws_tunnel(1)
    # Nobody initiates by hand: charon gives up after AUTHENTICATION_FAILED and libipsec has
    # no acquires, so the rendered updown's retrier brings tunnel 1 back once the key matches.
    wait_status(provisioned, "tunnel 1 UP again", lambda s: ike_child_up(s, 1), UP_TIMEOUT_S)


def test_charon_restart_brings_tunnels_addresses_and_bgp_back(
    provisioned: Provisioned, request: pytest.FixtureRequest
) -> None:
    """ipsec0 and its inside addresses vanish with charon; the children's updown restores them."""
    lab, session = provisioned.lab, provisioned.session
    started = time.monotonic()
    lab.restart_branch_charon()  # `systemctl restart strongswan`: charon, then --load-all
    wait_status(
        provisioned,
        "both tunnels UP after a charon restart, no script run by hand",
        lambda s: s.overall == "UP",
        UP_TIMEOUT_S + BGP_TIMEOUT_S,
    )
    report(request, f"charon restart -> both tunnels UP: {time.monotonic() - started:.1f} s")
    addresses = run_checked(session, "ip -4 -br address show dev ipsec0")
    for tunnel in provisioned.branch.vpn.tunnels:
        assert f"{tunnel.cgw_inside_ip} peer {tunnel.aws_inside_ip}/30" in addresses, addresses


# --------------------------------------------------------------------------- layer (b)


def push_available() -> bool:
    deployer = Path(__file__).parent.parent / "cgw" / "platforms" / "strongswan" / "deploy.py"
    if not deployer.exists():
        return False
    from cgw.platforms import get_platform

    if getattr(get_platform("strongswan"), "deployer", None) is None:
        return False
    probe = subprocess.run(
        [sys.executable, "-m", "cgw", "push", "--help"], capture_output=True, check=False
    )
    return probe.returncode == 0


INVENTORY = """\
branch-03:
  host: {host}
  port: {port}
  platform: strongswan
  vpn:
    customer_gateway_ip: 203.0.113.13
  credentials:
    username: {user}
    key_file: {key_file}
  local:
    wan_interface: eth0
    strongswan_dataplane: libipsec
    strongswan_bgp: frr
    advertised_prefixes: [10.13.0.0/16]
"""


@pytest.fixture()
def bare_lab(lab_aws: LabAws, tmp_path: Path) -> Iterator[RealLab]:
    """A second lab (its own management /30) whose branch nobody has touched yet."""
    require_real_lab()
    if not push_available():
        pytest.skip("cgw push not available yet")
    from ipaddress import IPv4Network

    from cgw.lab.netns_lab import real_lab_down, real_lab_up

    state = tmp_path / "state.json"
    lab = real_lab_up(
        lab_aws.vpn_ids["branch-03"], state, mgmt_network=IPv4Network("198.18.0.4/30")
    )
    try:
        yield lab
    finally:
        assert real_lab_down(state) == []


def cgw_cli(inventory: Path, known_hosts: Path, *args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [
            sys.executable,
            "-m",
            "cgw",
            "-i",
            str(inventory),
            *args,
            "--known-hosts",
            str(known_hosts),
        ],
        capture_output=True,
        text=True,
        timeout=150,
        check=False,
    )


def cgw_verify(lab: RealLab, inventory: Path, known_hosts: Path) -> tuple[int, dict[str, Any]]:
    """`cgw verify --json` after the lab AWS's telemetry caught up with its endpoints."""
    lab.sync_aws_telemetry()
    result = cgw_cli(inventory, known_hosts, "verify", "branch-03", "--json")
    try:
        [status] = data_of(result.stdout)
    except ValueError:
        pytest.fail(f"cgw verify printed no JSON ({result.returncode}): {result.stderr[-1500:]}")
    return result.returncode, status


def test_cgw_diff_push_verify_provision_the_bare_branch(
    bare_lab: RealLab, tmp_path: Path, request: pytest.FixtureRequest
) -> None:
    assert bare_lab.ssh is not None
    inventory = tmp_path / "inventory"
    inventory.mkdir()
    (inventory / "hosts.yaml").write_text(INVENTORY.format(**bare_lab.ssh.__dict__))
    known_hosts = tmp_path / "known_hosts"
    known_hosts.write_text(bare_lab.ssh.known_hosts_line + "\n")
    diff = cgw_cli(inventory, known_hosts, "diff", "branch-03")
    assert diff.returncode == 2, diff.stdout + diff.stderr
    started = time.monotonic()
    # charon keeps its start-time routing settings (libipsec's rule before main): the push
    # must not lose its own SSH session when the first SA routes 0.0.0.0/0 into ipsec0.
    push = cgw_cli(inventory, known_hosts, "push", "branch-03", "--yes", "--no-verify")
    assert push.returncode == 0, push.stdout + push.stderr
    pushed = time.monotonic()
    rules = bare_lab.branch.exec(["ip", "rule", "show"])
    assert "40000:\tfrom all lookup 220" in rules, rules
    assert "220:\tfrom all lookup 220" not in rules, rules

    last: list[dict[str, Any]] = []
    timings = {"lab_up_s": bare_lab.timings.get("up_s", 0.0), "push_s": round(pushed - started, 3)}

    def verified() -> dict[str, Any] | None:
        code, status = cgw_verify(bare_lab, inventory, known_hosts)
        last[:] = [status]
        if "tunnels_up_s" not in timings and all(t["ipsec_up"] for t in status["tunnels"]):
            timings["tunnels_up_s"] = round(time.monotonic() - pushed, 3)
        learned = all((t["prefixes_received"] or 0) >= 1 for t in status["tunnels"])
        return status if code == 0 and learned else None

    try:
        status = poll(
            "cgw verify exit 0, the VPC learned", verified, UP_TIMEOUT_S + BGP_TIMEOUT_S, every_s=1
        )
    except pytest.fail.Exception:
        pytest.fail(f"cgw verify never exited 0: {json.dumps(last, indent=1)[-3000:]}")
    timings["bgp_established_s"] = round(time.monotonic() - pushed, 3)
    report(request, f"bare branch via cgw push, timings (s; tunnels/BGP after push): {timings}")
    assert status["overall"] == "UP"
    for tunnel in status["tunnels"]:
        assert (tunnel["ike_state"], tunnel["ipsec_state"]) == ("ESTABLISHED", "INSTALLED")
        assert tunnel["bgp_established"] and tunnel["prefixes_received"] >= 1, tunnel
        assert tunnel["aws_status"] == "UP", tunnel
    ping = bare_lab.branch.exec(
        ["ping", "-n", "-c", "3", "-W", "2", "-I", BRANCH_LAN_ADDRESS, VPC_ADDRESS], check=False
    )
    assert " 0% packet loss" in ping, ping

    again = cgw_cli(inventory, known_hosts, "push", "branch-03", "--yes", "--no-verify")
    assert again.returncode == 0 and "nothing to change" in again.stdout, again.stdout
    in_sync = cgw_cli(inventory, known_hosts, "diff", "branch-03")
    assert in_sync.returncode == 0, in_sync.stdout + in_sync.stderr
    report(
        request, f"bare branch: push to verified and in sync in {time.monotonic() - started:.1f} s"
    )
