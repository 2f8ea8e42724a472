"""Fixtures and helpers for the real (network namespace) IPsec lab tests.

The lab is torn down by fixture finalizers however a test ends; every wait is a bounded poll.
"""

from __future__ import annotations

import base64
import shlex
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass, replace
from ipaddress import IPv4Network, ip_address
from pathlib import Path
from typing import TYPE_CHECKING, TypeVar

import pytest

from cgw.aws import AwsContext, fetch_telemetry, fetch_vpn_connections
from cgw.model import Credentials, Device, LocalSettings, RenderedConfig, VpnConnection, VpnSelector
from cgw.platforms.strongswan import PLATFORM as STRONGSWAN
from cgw.platforms.strongswan.options import StrongswanOptions
from cgw.platforms.strongswan.status import BGP_SUMMARY, LIST_SAS
from cgw.session import Session, open_session
from cgw.verify import DeviceStatus, device_status

if TYPE_CHECKING:
    from cgw.lab.aws_server import LabAws
    from cgw.lab.netns_lab import RealLab

BRANCH = "branch-03"
BRANCH_CGW_IP = "203.0.113.13"
BRANCH_LAN = IPv4Network("10.13.0.0/16")
# base64 per shell line: well under the ~500 characters where the pty wraps (LAB-NOTES).
CHUNK = 300

T = TypeVar("T")


def require_real_lab() -> None:
    """Skip when this machine cannot run namespaces, charon, FRR and sshd."""
    from cgw.lab.netns import missing_requirements

    reason = missing_requirements()
    if reason:
        pytest.skip(reason)


def poll(what: str, probe: Callable[[], T | None], timeout_s: float, every_s: float = 0.5) -> T:
    """Call `probe` until it returns something other than None; fail the test after timeout_s."""
    deadline = time.monotonic() + timeout_s
    last: T | None = None
    while time.monotonic() < deadline:
        last = probe()
        if last is not None:
            return last
        time.sleep(every_s)
    pytest.fail(f"timed out after {timeout_s:.0f} s waiting for {what}")


@dataclass(frozen=True)
class Branch:
    """What a test needs to treat the lab's branch like any router in the inventory."""

    device: Device
    vpn: VpnConnection
    known_hosts: Path


def branch_device(lab: RealLab) -> Device:
    """branch-03 as an inventory would describe it: the lab's management address, root by key."""
    assert lab.ssh is not None
    return Device(
        name=BRANCH,
        host=lab.ssh.host,
        platform="strongswan",
        vpn=VpnSelector(customer_gateway_ip=ip_address(BRANCH_CGW_IP)),
        local=LocalSettings(
            wan_interface="eth0",
            advertised_prefixes=(BRANCH_LAN,),
            options=StrongswanOptions(strongswan_dataplane="libipsec", strongswan_bgp="frr"),
        ),
        port=lab.ssh.port,
        credentials=Credentials(username=lab.ssh.user, key_file=lab.ssh.key_file),
        timeout_s=20,
    )


def fetch_branch_vpn() -> VpnConnection:
    """branch-03's VPN connection as cgw fetches it from the lab AWS (boto3, env points there)."""
    [vpn] = fetch_vpn_connections(AwsContext(), customer_gateway_ips=[BRANCH_CGW_IP])
    return vpn


@pytest.fixture(scope="module")
def real_lab(lab_aws: LabAws, tmp_path_factory: pytest.TempPathFactory) -> Iterator[RealLab]:
    """The namespace lab for branch-03's VPN: AWS side configured, branch bare; always torn down."""
    require_real_lab()
    from cgw.lab.netns_lab import real_lab_down, real_lab_up

    state = tmp_path_factory.mktemp("real-lab") / "state.json"
    lab = real_lab_up(lab_aws.vpn_ids[BRANCH], state)
    try:
        yield lab
    finally:
        problems = real_lab_down(state)
        assert problems == [], problems


@pytest.fixture(scope="module")
def branch(real_lab: RealLab, tmp_path_factory: pytest.TempPathFactory) -> Branch:
    """branch-03's Device (pointing at the lab), its VPN as cgw fetched it, a pinned known_hosts."""
    assert real_lab.ssh is not None
    known_hosts = tmp_path_factory.mktemp("ssh") / "known_hosts"
    known_hosts.write_text(real_lab.ssh.known_hosts_line + "\n")
    return Branch(branch_device(real_lab), fetch_branch_vpn(), known_hosts)


def ssh_session(branch: Branch) -> Session:
    """A real SSH session (netmiko linux through cgw.session) to the branch, host key pinned."""
    return open_session(
        branch.device, STRONGSWAN.netmiko_device_type, known_hosts=branch.known_hosts
    )


# --------------------------------------------------------------------------- over SSH


def run_checked(session: Session, command: str, timeout_s: float = 30) -> str:
    """Run a shell command; fail the test with its output when it exits non-zero."""
    output = session.send_command(f"{command}; echo rc=$?", read_timeout_s=timeout_s)
    body, _, code = output.rstrip().rpartition("rc=")
    if code.strip() != "0":
        pytest.fail(f"`{command}` failed on the branch ({code.strip()}):\n{body[-1500:]}")
    return body


def put_file(session: Session, path: str, content: str, mode: int) -> None:
    """Write a file on the branch through the shell: base64 in short lines, then move into place."""
    encoded = base64.b64encode(content.encode()).decode()
    temp = shlex.quote(f"{path}.cgw-b64")
    quoted = shlex.quote(path)
    run_checked(session, f"mkdir -p {shlex.quote(str(Path(path).parent))} && : > {temp}")
    for start in range(0, len(encoded), CHUNK):
        run_checked(session, f"printf %s {encoded[start : start + CHUNK]} >> {temp}")
    run_checked(
        session,
        f"base64 -d {temp} > {quoted}.new && chmod {mode:o} {quoted}.new"
        f" && mv {quoted}.new {quoted} && rm {temp}",
    )


def place_rendered(session: Session, rendered: RenderedConfig) -> None:
    """Every rendered file onto the branch at its path, with its mode."""
    for file in rendered.files:
        put_file(session, file.path, file.content, file.mode)


def rendered_path(rendered: RenderedConfig, suffix: str) -> str:
    [path] = [f.path for f in rendered.files if f.path.endswith(suffix)]
    return path


def load_rendered(session: Session, rendered: RenderedConfig) -> None:
    """What an admin runs after placing the files: swanctl, the interface script, FRR."""
    run_checked(session, "swanctl --load-all --noprompt 2>&1")
    run_checked(session, f"{rendered_path(rendered, '-interfaces.sh')} 2>&1", timeout_s=45)
    frr = [f.path for f in rendered.files if f.path.startswith("/etc/frr/")]
    for path in frr:
        run_checked(session, f"vtysh -f {path} 2>&1")


def verify_outputs(session: Session) -> dict[str, str]:
    """The strongswan platform's verify commands, run over SSH."""
    return {command: session.send_command(command) for command in STRONGSWAN.verify_commands}


def branch_status(session: Session, branch: Branch, lab: RealLab) -> DeviceStatus:
    """cgw's verdict on both tunnels from output collected over SSH and AWS's telemetry.

    The lab AWS's telemetry is first brought up to date from what its endpoints see.
    """
    outputs = verify_outputs(session)
    lab.sync_aws_telemetry()
    telemetry = fetch_telemetry(AwsContext(), [branch.vpn.id])[branch.vpn.id]
    vpn = replace(branch.vpn, telemetry=telemetry)
    return device_status(STRONGSWAN, outputs, vpn, device_name=BRANCH)


def describe(status: DeviceStatus) -> str:
    return "; ".join(
        f"t{t.number}: ike={t.ike_state} child={t.ipsec_state} bgp={t.bgp_state}"
        f" pfx={t.prefixes_received} up={t.up} ({t.reason})"
        for t in status.tunnels
    )


__all__ = [
    "BGP_SUMMARY",
    "LIST_SAS",
    "Branch",
    "branch",
    "branch_status",
    "describe",
    "fetch_branch_vpn",
    "load_rendered",
    "place_rendered",
    "poll",
    "real_lab",
    "require_real_lab",
    "run_checked",
    "ssh_session",
    "verify_outputs",
]
