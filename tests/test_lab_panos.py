"""PAN-OS over real SSH to the simulated firewall: read, plan, push, roll back, recover, verify."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from dataclasses import dataclass, replace
from pathlib import Path
from typing import Any

import pytest
from render_cases import golden_cases

from cgw.errors import DeviceError
from cgw.lab.aws_oracle.panos import parse_panos
from cgw.lab.routers import SimClock, SimRouter, start_router
from cgw.lab.routers.oracle import OracleVerdict, TunnelVerdict
from cgw.lab.routers.panosconfig import decrypt_key
from cgw.model import Credentials, Device, DeviceConfig, VpnConnection
from cgw.platforms import get_platform
from cgw.platforms.base import Plan
from cgw.platforms.paloalto_panos.deploy import statements
from cgw.push import compute_plan, push_plan
from cgw.secrets import PreSharedKey
from cgw.session import Session, open_session

PANOS = get_platform("paloalto_panos")
DEPLOYER = PANOS.deployer
PASSWORD_ENV = "CGW_TEST_PANOS_PASSWORD"
PASSWORD = "lab-panos-pw"
CASES = golden_cases("paloalto_panos")
UNRELATED = """\
set deviceconfig system hostname branch-01
set network interface ethernet ethernet1/1 layer3 ip 203.0.113.11/24
set network interface ethernet ethernet1/2 layer3 ip 10.11.0.1/16
set zone untrust network layer3 ethernet1/1
set zone trust network layer3 ethernet1/2
set network virtual-router default interface [ ethernet1/1 ethernet1/2 ]
set network ike gateway partner peer-address ip 192.0.2.77
set network ike gateway partner protocol version ikev2
"""


@dataclass
class Lab:
    router: SimRouter
    device: Device
    vpn: VpnConnection
    known_hosts: Path
    tmp: Path

    def session(self) -> Session:
        return open_session(self.device, "paloalto_panos", known_hosts=self.known_hosts)

    def push(self, vpn: VpnConnection | None = None, **options: Any) -> Any:
        vpn = vpn or self.vpn
        intended = PANOS.render(self.device, vpn)
        with self.session() as session:
            running, plan = compute_plan(DEPLOYER, session, self.device, vpn, intended)
            return push_plan(
                DEPLOYER, session, self.device, running, plan, backup_dir=self.tmp, **options
            )

    def plan(self, vpn: VpnConnection | None = None) -> Plan:
        vpn = vpn or self.vpn
        with self.session() as session:
            return compute_plan(
                DEPLOYER, session, self.device, vpn, PANOS.render(self.device, vpn)
            )[1]


@pytest.fixture
def lab_factory(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[Callable[..., Lab]]:
    monkeypatch.setenv(PASSWORD_ENV, PASSWORD)
    started: list[SimRouter] = []

    def start(name: str = "branch-01", initial: str = UNRELATED) -> Lab:
        router = start_router(
            "paloalto_panos",
            hostname="branch-01",
            username="admin",
            password=PASSWORD,
            host_key_path=tmp_path / "pa.key",
            initial_config=initial,
            clock=SimClock(),
        )
        started.append(router)
        known_hosts = tmp_path / f"known_hosts-{router.port}"
        known_hosts.write_text(router.known_hosts_line() + "\n")
        device, vpn = CASES[name]
        device = replace(
            device,
            port=router.port,
            credentials=Credentials(username="admin", password_env=PASSWORD_ENV),
            timeout_s=10,
        )
        return Lab(router, device, vpn, known_hosts, tmp_path)

    yield start
    for router in started:
        router.stop()


def test_first_push_commits_keeps_foreign_lines_and_a_second_plan_is_empty(
    lab_factory: Callable[..., Lab],
) -> None:
    lab = lab_factory()
    result = lab.push()
    assert result.outcome == "applied", result.message
    running = lab.router.running_config()
    assert all(line in statements(running) for line in statements(UNRELATED))
    intended = statements(PANOS.render(lab.device, lab.vpn).text)
    keys = [line for line in intended if "pre-shared-key" in line]
    assert all(line not in running for line in keys)  # stored encrypted, as PAN-OS does
    assert set(intended) - set(statements(running)) == set(keys)
    assert lab.router.state.versions[0][1] == f"cgw: AWS {lab.vpn.id}"
    assert lab.plan().in_sync


def test_a_rejected_line_reverts_the_candidate_and_commits_nothing(
    lab_factory: Callable[..., Lab],
) -> None:
    lab = lab_factory()
    before = lab.router.running_config()
    plan = lab.plan()
    bad = replace(
        plan, commands=(*plan.commands[:3], "set network ike gateway x protocol version ikev9")
    )
    with lab.session() as session:
        backup = DEPLOYER.read_running(session)
        transaction = DEPLOYER.transaction(session, bad, backup)
        transaction.prepare()
        with pytest.raises(DeviceError, match=r"rejected line 4.*nothing was committed"):
            transaction.apply()
    assert lab.router.running_config() == before
    assert lab.router.state.candidate.leaves == lab.router.state.running.leaves


def test_a_failed_commit_reverts(lab_factory: Callable[..., Lab]) -> None:
    lab = lab_factory()
    before = lab.router.running_config()
    plan = lab.plan()
    dangling = replace(
        plan,
        commands=("set network tunnel ipsec t9 auto-key ike-gateway nowhere",),
    )
    with lab.session() as session:
        backup = DEPLOYER.read_running(session)
        transaction = DEPLOYER.transaction(session, dangling, backup)
        transaction.prepare()
        with pytest.raises(DeviceError, match=r"commit failed.*not a valid reference"):
            transaction.apply()
    assert lab.router.running_config() == before
    assert lab.router.state.candidate.leaves == lab.router.state.running.leaves


def test_rollback_after_commit_loads_the_snapshot(lab_factory: Callable[..., Lab]) -> None:
    lab = lab_factory()
    before = lab.router.running_config()
    plan = lab.plan()
    with lab.session() as session:
        backup = DEPLOYER.read_running(session)
        transaction = DEPLOYER.transaction(session, plan, backup)
        transaction.prepare()
        transaction.apply()
        assert transaction.commit_wait_s is not None
        assert lab.router.running_config() != before
        transaction.rollback()
    assert statements(lab.router.running_config()) == statements(before)


def test_someone_elses_uncommitted_changes_stop_the_push(lab_factory: Callable[..., Lab]) -> None:
    lab = lab_factory()
    lab.router.state.candidate.set(["zone", "dmz", "network", "layer3", "ethernet1/3"])
    with pytest.raises(DeviceError, match="uncommitted changes"):
        lab.push()
    assert "dmz" not in lab.router.running_config()
    assert "zone dmz network layer3" in lab.router.state.candidate.leaves  # theirs, kept


def test_recover_reverts_a_half_staged_candidate(lab_factory: Callable[..., Lab]) -> None:
    lab = lab_factory()
    before = lab.router.running_config()
    plan = lab.plan()
    for line in plan.commands[:5]:  # a session that died while staging
        lab.router.state.candidate.set(line.split()[1:])
    with lab.session() as session:
        message = DEPLOYER.recover(
            session, lab.device, DeviceConfig.cli("b", "paloalto_panos", before)
        )
    assert "previous configuration" in message
    assert lab.router.state.candidate.leaves == lab.router.state.running.leaves


class _UpOracle:
    """Up for every configured peer whose key and peer the lab oracle parser reads."""

    def __init__(self, vpn: VpnConnection) -> None:
        self.keys = {str(t.aws_outside_ip): t.psk.reveal() for t in vpn.tunnels}

    def evaluate(self, kind: str, running_config: str) -> OracleVerdict:
        config = parse_panos(running_config)
        return OracleVerdict(
            tunnels={
                p.address: TunnelVerdict(True, True)
                for p in config.peers
                if self.keys.get(p.address) == p.psk
            }
        )


def test_verify_reads_the_simulated_shows_per_tunnel(lab_factory: Callable[..., Lab]) -> None:
    lab = lab_factory()
    lab.router.set_oracle(_UpOracle(lab.vpn))
    wrong = replace(
        lab.vpn,
        tunnels=(
            lab.vpn.tunnels[0],
            replace(lab.vpn.tunnels[1], psk=PreSharedKey("Wrong_key_1234")),
        ),
    )
    assert lab.push(wrong).outcome == "applied"
    with lab.session() as session:
        outputs = {c: session.send_command(c) for c in PANOS.verify_commands}
    status = PANOS.parse_status(outputs)
    assert status.ike_sas is not None and status.interfaces_up is not None
    assert [s.peer for s in status.ike_sas] == [str(lab.vpn.tunnels[0].aws_outside_ip)]
    assert status.interfaces_up == ("tunnel.1",)


def test_the_oracle_reads_keys_and_tunnels_from_the_running_config(
    lab_factory: Callable[..., Lab],
) -> None:
    lab = lab_factory()
    lab.push()
    config = parse_panos(lab.router.running_config())
    by_peer = {p.address: p for p in config.peers if p.address != "192.0.2.77"}
    for tunnel in lab.vpn.tunnels:
        peer = by_peer[str(tunnel.aws_outside_ip)]
        assert peer.psk == tunnel.psk.reveal()
        assert peer.inside is not None and str(peer.inside.ip) == str(tunnel.cgw_inside_ip)
        assert peer.ike_versions == frozenset({2})
        assert not peer.bgp_problems, peer.bgp_problems
    assert set(config.neighbors) == {str(t.aws_inside_ip) for t in lab.vpn.tunnels}
    assert (
        decrypt_key(
            lab.router.state.running.value(
                f"network ike gateway aws-{lab.vpn.id}-t1 authentication pre-shared-key key"
            )
            or ""
        )
        == lab.vpn.tunnels[0].psk.reveal()
    )


def test_drop_after_every_line_leaves_old_or_new(lab_factory: Callable[..., Lab]) -> None:
    """Cut the push session after its kth line (spread over the session, and each of its last
    lines around the commit): the firewall runs the old configuration or the new one, and after
    recover() no half-staged candidate is left behind."""
    probe = lab_factory("branch-04")
    assert probe.push().outcome == "applied"
    new = statements(probe.router.running_config())
    total = probe.router.context.lines_received
    probe.router.stop()
    outcomes: dict[int, str] = {}
    points = sorted(
        {*range(1, total + 1, max(1, total // 10)), *range(max(1, total - 4), total + 1)}
    )
    for k in points:
        lab = lab_factory("branch-04")
        old = statements(lab.router.running_config())
        lab.router.faults.drop_after_lines = lab.router.context.lines_received + k
        try:
            lab.push()
        except DeviceError as error:
            assert PASSWORD not in str(error) and "Tunnel1Key" not in str(error)
        lab.router.faults.clear()
        staged = lab.router.state.candidate.leaves != lab.router.state.running.leaves
        with lab.session() as session:
            DEPLOYER.recover(
                session, lab.device, DeviceConfig.cli("b", "paloalto_panos", "\n".join(old))
            )
        running = statements(lab.router.running_config())
        assert running in (old, new), f"mixed after line {k}"
        assert lab.router.state.candidate.leaves == lab.router.state.running.leaves
        outcomes[k] = ("old" if running == old else "new") + (" (reverted)" if staged else "")
        lab.router.stop()
    kinds = set(outcomes.values())
    assert {"old", "old (reverted)", "new"} <= kinds, outcomes
