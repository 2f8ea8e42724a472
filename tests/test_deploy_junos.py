"""Junos diff and push: scope, hier_config plans, $9$ keys, commit confirmed over real SSH."""

from __future__ import annotations

import random
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass, replace
from ipaddress import ip_address
from pathlib import Path
from typing import Any

import pytest
from render_cases import golden_cases, owned_text, plan_text, with_local

from cgw.errors import DeviceError, InventoryError, RenderError
from cgw.lab.routers import SimClock, SimRouter, start_router
from cgw.lab.routers.junos_profiles import PROFILES, JunosProfile
from cgw.model import Credentials, Device, DeviceConfig, RenderedConfig, RenderedFile, VpnConnection
from cgw.platforms import get_platform
from cgw.platforms.base import Plan
from cgw.platforms.juniper_junos.deploy import (
    CONFIRM_MINUTES,
    DEPLOYER,
    DEVICE_KEY,
    UNCONFIRMED_COMMITS,
    JunosScope,
    JunosTransaction,
    host_inbound_ike,
    set_lines,
)
from cgw.platforms.juniper_junos.secret9 import NineDecodeError, decode_nine, encode_nine
from cgw.push import compute_plan, push_plan
from cgw.secrets import PreSharedKey
from cgw.session import Session, open_session

JUNOS = get_platform("juniper_junos")
PASSWORD_ENV = "CGW_TEST_JUNOS_PASSWORD"
PASSWORD = "lab-junos-pw"
CASES = golden_cases("juniper_junos")
PREFIX = "aws-vpn-0a1b2c3d4e5f60011"

# Statements cgw must never touch: other interfaces and zones, another VPN's objects (one whose
# name merely starts like ours), another st0 unit, a hand-written BGP group and route.
UNRELATED = """\
set system host-name branch-01
set system services ssh
set interfaces ge-0/0/0 unit 0 family inet address 203.0.113.11/24
set interfaces ge-0/0/1 unit 0 family inet address 10.11.0.1/24
set interfaces st0 unit 7 family inet address 169.254.200.2/30
set security zones security-zone untrust interfaces ge-0/0/0.0
set security zones security-zone trust interfaces ge-0/0/1.0
set security zones security-zone trust interfaces st0.7 host-inbound-traffic system-services ping
set security ike proposal partner-p1 dh-group group14
set security ike policy partner pre-shared-key ascii-text "partnerSecret99"
set security ike policy aws-vpn-0a1b2c3d4e5f600110-t1 mode main
set security ipsec vpn aws-vpn-0ffff000011112222-t1 bind-interface st0.7
set routing-options static route 0.0.0.0/0 next-hop 203.0.113.1
set routing-options static route 10.100.0.0/16 next-hop 10.11.0.254
set routing-options autonomous-system 65011
set protocols bgp group hand-written neighbor 192.0.2.1 peer-as 65100
set policy-options policy-statement hand-export term a then accept
"""


def rendered(device: Device, vpn: VpnConnection) -> RenderedConfig:
    return JUNOS.render(device, vpn)


def with_tunnel(vpn: VpnConnection, index: int, **changes: Any) -> VpnConnection:
    tunnels = list(vpn.tunnels)
    tunnels[index] = replace(tunnels[index], **changes)
    return replace(vpn, tunnels=(tunnels[0], tunnels[1]))


def obfuscated(text: str) -> str:
    """Rendered lines as an SRX shows them: ascii-text keys as $9$."""
    rng = random.Random(7)
    out = []
    for line in text.splitlines():
        head, sep, key = line.partition('ascii-text "')
        out.append(f'{head}{sep}{encode_nine(key.rstrip(chr(34)), rng)}"' if sep else line)
    return "\n".join(out) + "\n"


# ------------------------------------------------------------------ $9$
# Published pairs: netconan tests/unit/test_juniper_secrets.py (intentionet/netconan) and the
# netmeld junos-type9-decode README (netmeld/netmeld playbook/junos-type9-decode/README.md).
NINE_EXAMPLES = (
    ("$9$nnet/9pOBEyrv", "abc"),
    ("$9$nnet/p01RhrKM", "123"),
    ("$9$nnet9pBcSe8xdApK8xdg4aZUi.5", "netconan"),
    ("$9$aaZGiq.5F39", "abc"),
    ("$9$aaGi.Qz6t0IDi/t0IrlKM8xds", "netconan"),
    ("$9$2GgZjHkPQ39.PhrvLVb.P5Tz6", "password"),
)


@pytest.mark.parametrize(("secret", "clear"), NINE_EXAMPLES)
def test_nine_decodes_published_examples(secret: str, clear: str) -> None:
    assert decode_nine(secret) == clear


def test_nine_round_trips_every_key_alphabet_character() -> None:
    rng = random.Random(1)
    alphabet = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789_."
    for length in (1, 7, 8, 32, 64):
        key = "".join(rng.choice(alphabet) for _ in range(length))
        first, second = encode_nine(key, rng), encode_nine(key, rng)
        assert first.startswith("$9$") and key not in first
        assert decode_nine(first) == decode_nine(second) == key


@pytest.mark.parametrize("bad", ["plain", "$9$", "$9$Q!", "$9$iH"])
def test_nine_refuses_malformed_strings(bad: str) -> None:
    with pytest.raises(NineDecodeError) as caught:
        decode_nine(bad)
    assert bad.removeprefix("$9$") not in str(caught.value) or bad == "$9$"


# ------------------------------------------------------------------ scope and plans (pure)
def case(name: str = "branch-01") -> tuple[Device, VpnConnection]:
    return CASES[name]


def test_owned_takes_every_rendered_line_and_nothing_unrelated() -> None:
    device, vpn = case()
    intended = rendered(device, vpn).text
    owned = owned_text(DEPLOYER, UNRELATED + intended, device, vpn)
    assert set(set_lines(owned)) == set(set_lines(intended))
    # shared statements are read (and never removed): the system AS `local-as` relies on
    owned = owned_text(DEPLOYER, UNRELATED, device, vpn)
    assert owned == "set routing-options autonomous-system 65011\n"


def test_owned_static_routes_only_next_hops_into_the_tunnels() -> None:
    device, vpn = case("branch-04")
    running = UNRELATED + rendered(device, vpn).text
    owned = set_lines(owned_text(DEPLOYER, running, device, vpn))
    routes = [line for line in owned if line.startswith("set routing-options static")]
    assert routes == [
        "set routing-options static route 10.100.0.0/16 next-hop st0.1",
        "set routing-options static route 10.100.0.0/16 qualified-next-hop st0.2 preference 10",
    ]


@pytest.mark.parametrize("name", sorted(CASES))
def test_first_plan_is_every_rendered_line_and_the_second_is_empty(name: str) -> None:
    device, vpn = case(name)
    intended = rendered(device, vpn)
    first = plan_text(DEPLOYER, "", intended, device, vpn)
    assert sorted(first.commands) == sorted(set_lines(intended.text))
    # objects before what references them: proposals, policies, gateways, st0 units, VPNs
    order = ["ike proposal", "ike policy", "ike gateway", "interfaces st0", "ipsec vpn"]
    firsts = [next(i for i, c in enumerate(first.commands) if what in c) for what in order]
    assert firsts == sorted(firsts)
    again = plan_text(DEPLOYER, obfuscated(intended.text), intended, device, vpn)
    assert again.in_sync and again.unified_diff() == ""


def plan_against(old_vpn: VpnConnection, new_vpn: VpnConnection, name: str = "branch-01") -> Plan:
    device, _ = case(name)
    old = obfuscated(rendered(device, old_vpn).text)
    owned = owned_text(DEPLOYER, UNRELATED + old, device, new_vpn)
    return plan_text(DEPLOYER, owned, rendered(device, new_vpn), device, new_vpn)


def test_changed_psk_is_one_set_in_place() -> None:
    _, vpn = case()
    new = with_tunnel(vpn, 0, psk=PreSharedKey("NewTunnel1Key_abc"))
    plan = plan_against(vpn, new)
    assert plan.commands == (
        f'set security ike policy {PREFIX}-t1 pre-shared-key ascii-text "NewTunnel1Key_abc"',
    )
    assert DEVICE_KEY in plan.running and "branch01Tunnel1Key" not in plan.running


def test_changed_tunnel_destination_replaces_the_gateway_address() -> None:
    _, vpn = case()
    plan = plan_against(vpn, with_tunnel(vpn, 1, aws_outside_ip=ip_address("198.51.100.99")))
    # a gateway's `address` is a list on Junos: a plain `set` would add a second peer
    assert plan.commands == (
        f"delete security ike gateway {PREFIX}-t2 address 198.51.100.12",
        f"set security ike gateway {PREFIX}-t2 address 198.51.100.99",
    )


def test_changed_dh_group_is_one_set_in_place() -> None:
    _, vpn = case()
    phase1 = replace(vpn.tunnels[0].phase1, dh_groups=(21,))
    plan = plan_against(vpn, with_tunnel(vpn, 0, phase1=phase1))
    assert plan.commands == (f"set security ike proposal {PREFIX}-t1-1 dh-group group21",)


def test_a_stale_object_of_the_vpn_goes_in_one_delete() -> None:
    device, vpn = case()
    intended = rendered(device, vpn)
    stale = (
        f"set security ike proposal {PREFIX}-t1-2 dh-group group14\n"
        f"set security ike proposal {PREFIX}-t1-2 lifetime-seconds 28800\n"
        f"set security ike policy {PREFIX}-t1 proposals {PREFIX}-t1-2\n"
        f"set security ike gateway {PREFIX}-t1 nat-keepalive 10\n"
    )
    owned = owned_text(DEPLOYER, UNRELATED + obfuscated(intended.text) + stale, device, vpn)
    plan = plan_text(DEPLOYER, owned, intended, device, vpn)
    assert plan.commands == (
        f"delete security ike gateway {PREFIX}-t1 nat-keepalive",
        f"delete security ike policy {PREFIX}-t1 proposals {PREFIX}-t1-2",
        f"delete security ike proposal {PREFIX}-t1-2",
    )


def test_shared_statements_are_added_when_missing_and_otherwise_left_alone() -> None:
    device, vpn = case()
    intended = rendered(device, vpn)
    lines = set_lines(intended.text)
    mss = next(line for line in lines if "tcp-mss" in line)
    ike = next(line for line in lines if "system-services ike" in line)
    running = "\n".join(line for line in lines if line not in (mss, ike))
    running += "\nset security flow tcp-mss ipsec-vpn mss 1360\n"
    plan = plan_text(DEPLOYER, owned_text(DEPLOYER, running, device, vpn), intended, device, vpn)
    assert plan.commands == (ike,)
    assert any("mss 1360" in note for note in plan.notes)
    assert "mss 1360" in plan.intended and "mss 1379" not in plan.intended


def test_a_template_line_outside_the_scope_is_refused() -> None:
    device, vpn = case()
    intended = rendered(device, vpn)
    stray = RenderedConfig(
        device.name,
        intended.platform,
        vpn.id,
        (RenderedFile("running-config", intended.text + "set system ntp server 192.0.2.5\n"),),
    )
    with pytest.raises(RenderError, match="ntp server"):
        plan_text(DEPLOYER, "", stray, device, vpn)


# ------------------------------------------------------------------ over SSH to the lab SRX
@dataclass
class Lab:
    """One simulated SRX and a device entry pointing at it."""

    router: SimRouter
    device: Device
    vpn: VpnConnection
    known_hosts: Path
    tmp: Path

    def session(self) -> Session:
        return open_session(self.device, "juniper_junos", known_hosts=self.known_hosts)

    def push(self, vpn: VpnConnection | None = None, **options: Any) -> Any:
        vpn = vpn or self.vpn
        intended = rendered(self.device, vpn)
        with self.session() as session:
            running, plan = compute_plan(DEPLOYER, session, self.device, vpn, intended)
            return push_plan(
                DEPLOYER, session, self.device, running, plan, backup_dir=self.tmp, **options
            )

    def plan(self, vpn: VpnConnection | None = None) -> Plan:
        vpn = vpn or self.vpn
        with self.session() as session:
            return compute_plan(DEPLOYER, session, self.device, vpn, rendered(self.device, vpn))[1]

    def recover(self, backup: str) -> str:
        with self.session() as session:
            config = DeviceConfig.cli(self.device.name, self.device.platform, backup)
            return DEPLOYER.recover(session, self.device, config)


LabFactory = Callable[..., Lab]


@pytest.fixture(autouse=True)
def no_commit_left_unconfirmed() -> Iterator[None]:
    """Each test starts with no commit confirmed of a former test's router in flight."""
    UNCONFIRMED_COMMITS.clear()
    yield
    UNCONFIRMED_COMMITS.clear()


@pytest.fixture(params=sorted(PROFILES))
def profile(request: pytest.FixtureRequest) -> JunosProfile:
    """Every lab test runs against each simulated Junos release (junos_behaviours.md)."""
    return PROFILES[request.param]


@pytest.fixture
def lab_factory(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, profile: JunosProfile
) -> Iterator[LabFactory]:
    monkeypatch.setenv(PASSWORD_ENV, PASSWORD)
    started: list[SimRouter] = []

    def start(
        name: str = "branch-01",
        initial: str = UNRELATED,
        timeout_s: int = 10,
        release: str | None = profile.release,
    ) -> Lab:
        router = start_router(
            "juniper_junos",
            hostname="branch-01",
            username="admin",
            password=PASSWORD,
            host_key_path=tmp_path / "srx.key",
            initial_config=initial,
            clock=SimClock(),
        )
        started.append(router)
        router.state.secret_encoder = encode_nine  # store keys as $9$, as an SRX does
        router.state.profile = profile
        known_hosts = tmp_path / f"known_hosts-{router.port}"
        known_hosts.write_text(router.known_hosts_line() + "\n")
        device, vpn = case(name)
        device = replace(
            device,
            port=router.port,
            credentials=Credentials(username="admin", password_env=PASSWORD_ENV),
            timeout_s=timeout_s,
            release=release,  # as the inventory states it or `show version` reports it
        )
        return Lab(router, device, vpn, known_hosts, tmp_path)

    yield start
    for router in started:
        router.stop()


def unrelated_untouched(running: str) -> bool:
    kept = set(set_lines(running))
    # the bare WAN zone binding gains `system-services ike` below it (a shared statement)
    bare = "set security zones security-zone untrust interfaces ge-0/0/0.0"
    return all(line in kept for line in set_lines(UNRELATED) if line != bare)


def test_first_push_applies_stores_keys_as_nine_and_a_second_plan_is_empty(
    lab_factory: LabFactory,
) -> None:
    lab = lab_factory()
    result = lab.push()
    assert result.outcome == "applied"
    running = lab.router.running_config()
    assert unrelated_untouched(running)
    intended = set_lines(rendered(lab.device, lab.vpn).text)
    keys = [line for line in intended if "ascii-text" in line]
    assert all(line not in running for line in keys) and running.count('ascii-text "$9$') == 2
    assert set(intended) - set(set_lines(running)) == set(keys)
    assert lab.plan().in_sync
    assert lab.router.clock.pending() == 0  # confirmed: nothing left to roll back


def test_changed_psk_over_ssh_sends_one_line(lab_factory: LabFactory) -> None:
    lab = lab_factory()
    lab.push()
    new = with_tunnel(lab.vpn, 1, psk=PreSharedKey("Changed_T2_key.x"))
    plan = lab.plan(new)
    assert plan.commands == (
        f'set security ike policy {PREFIX}-t2 pre-shared-key ascii-text "Changed_T2_key.x"',
    )
    assert lab.push(new).outcome == "applied"
    assert lab.plan(new).in_sync and not lab.plan(lab.vpn).in_sync


def test_rejected_line_rolls_back_and_names_the_line(lab_factory: LabFactory) -> None:
    lab = lab_factory()
    before = lab.router.running_config()
    bad = f"set security ipsec vpn {PREFIX}-t2 df-bit clear"
    number = lab.plan().commands.index(bad) + 1
    lab.router.faults.reject_commands = {bad}
    with pytest.raises(DeviceError, match=f"rejected line {number} `{bad}`: syntax error"):
        lab.push()
    assert lab.router.running_config() == before and lab.router.clock.pending() == 0
    with lab.session() as session:  # back in operational mode, nothing left in a candidate
        assert "Hostname: branch-01" in session.send_command("show version")
    assert "nothing of the push was committed" in lab.recover(before)


def test_rejected_key_line_is_named_without_the_key(lab_factory: LabFactory) -> None:
    lab = lab_factory()
    key_line = f'set security ike policy {PREFIX}-t1 pre-shared-key ascii-text "branch01Tunnel1Key"'
    lab.router.faults.reject_commands = {key_line}
    with pytest.raises(DeviceError) as caught:
        lab.push()
    message = str(caught.value)
    assert f"policy {PREFIX}-t1 pre-shared-key ascii-text" in message
    assert "branch01Tunnel1Key" not in message


def test_commit_check_failure_names_the_statement(lab_factory: LabFactory) -> None:
    lab = lab_factory()
    before = lab.router.running_config()
    gateway = f"security ike gateway {PREFIX}-t1"
    plan = Plan(
        lab.device.name,
        "juniper_junos",
        lab.vpn.id,
        "",
        "",
        commands=(
            f"set {gateway} ike-policy missing",
            f"set {gateway} external-interface ge-0/0/0.0",
        ),
    )
    with lab.session() as session:
        transaction = JunosTransaction(session, plan, before)
        transaction.prepare()
        with pytest.raises(DeviceError, match=f"`set {gateway} ike-policy missing`: Referenced"):
            transaction.apply()
    assert lab.router.running_config() == before


@dataclass(frozen=True)
class FakeStatus:
    overall: str


def test_verify_down_rolls_back_the_confirmed_commit(lab_factory: LabFactory) -> None:
    lab = lab_factory()
    before = lab.router.running_config()
    result = lab.push(verify=lambda: FakeStatus("DOWN"))
    assert result.outcome == "rolled-back"
    assert lab.router.running_config() == before and lab.router.clock.pending() == 0


def test_verify_up_confirms_and_survives_the_timer(lab_factory: LabFactory) -> None:
    lab = lab_factory()
    seen: list[str] = []

    def verify() -> FakeStatus:
        seen.append(lab.router.running_config())
        assert lab.router.clock.pending() == 1  # verify runs inside the commit confirmed window
        return FakeStatus("UP")

    assert lab.push(verify=verify).outcome == "applied"
    after = lab.router.running_config()
    lab.router.clock.advance(CONFIRM_MINUTES * 60 * 3)
    assert lab.router.running_config() == after == seen[0]


def test_rollback_after_confirm_restores_the_backup(lab_factory: LabFactory) -> None:
    lab = lab_factory()
    before = lab.router.running_config()
    intended = rendered(lab.device, lab.vpn)
    with lab.session() as session:
        running, plan = compute_plan(DEPLOYER, session, lab.device, lab.vpn, intended)
        transaction = DEPLOYER.transaction(session, plan, running)
        transaction.prepare()
        transaction.apply()
        transaction.confirm()
        assert lab.router.running_config() != before
        transaction.rollback()
    assert lab.router.running_config() == before


def new_config(lab_factory: LabFactory, name: str, initial: str) -> tuple[str, range]:
    """The running config after a clean push, and the numbers of the lines that push sent."""
    lab = lab_factory(name, initial)
    intended = rendered(lab.device, lab.vpn)
    with lab.session() as session:
        first = lab.router.context.lines_received + 1  # after netmiko's own session set-up
        running, plan = compute_plan(DEPLOYER, session, lab.device, lab.vpn, intended)
        push_plan(DEPLOYER, session, lab.device, running, plan, backup_dir=lab.tmp)
        last = lab.router.context.lines_received  # before netmiko's goodbye
    return lab.router.running_config(), range(first, last + 1)


def clear_keys(text: str) -> list[str]:
    """Statements with $9$ keys decoded: an SRX re-obfuscates a key with a new salt each time."""
    out = []
    for line in set_lines(text):
        head, sep, key = line.partition('ascii-text "$9$')
        out.append(
            f'{head}ascii-text "{decode_nine("$9$" + key.rstrip(chr(34)))}"' if sep else line
        )
    return out


def drop_and_recover(lab: Lab, k: int, old: str, new: str) -> str:
    """Cut the push session after its `k`th line, then recover; which config the router ends with.

    Inside the commit confirmed window the new configuration runs until it is confirmed or the
    router's timer expires: odd k let the timer expire, even k let cgw's recover() act.
    """
    lab.router.faults.drop_after_lines = k
    try:
        lab.push()
    except DeviceError as error:
        assert PASSWORD not in str(error) and "Tunnel1Key" not in str(error)
    lab.router.faults.clear()
    if lab.router.clock.pending():
        assert clear_keys(lab.router.running_config()) == clear_keys(new)
        if k % 2:
            lab.router.clock.advance(CONFIRM_MINUTES * 60 + 1)
            assert lab.router.running_config() == old
            return "expired"
    elif lab.router.running_config() == old:
        return "old"  # nothing was committed: the private candidate died with the session
    message = lab.recover(old)
    running = lab.router.running_config()
    assert running == old or clear_keys(running) == clear_keys(new), f"mixed after line {k}"
    return "recovered" if running == old else f"new: {message}"


@pytest.mark.parametrize(
    ("name", "change"),
    [("branch-01", "first push"), ("branch-04", "psk and destination change")],
)
def test_drop_after_every_line_leaves_old_or_new(
    lab_factory: LabFactory, name: str, change: str
) -> None:
    device, vpn = case(name)
    initial = UNRELATED
    if change != "first push":
        old_vpn = with_tunnel(vpn, 0, psk=PreSharedKey("OldTunnel1Key_x"))
        old_vpn = with_tunnel(old_vpn, 1, aws_outside_ip=ip_address("198.51.100.77"))
        initial = UNRELATED + obfuscated(rendered(device, old_vpn).text)
    new, push_lines = new_config(lab_factory, name, initial)
    outcomes = {}
    for k in push_lines:
        lab = lab_factory(name, initial, timeout_s=3)
        old = lab.router.running_config()
        outcomes[k] = drop_and_recover(lab, k, old, new)
        lab.router.stop()
    kinds = set(outcomes.values())
    assert {"old", "expired", "recovered"} <= {kind.split(":")[0] for kind in kinds}, outcomes


# ------------------------------------------------------------------ host-inbound-traffic
WAN = "ge-0/0/0.0"
ZONE = "set security zones security-zone untrust"


def scope() -> JunosScope:
    return JunosScope.of(*case())


@pytest.mark.parametrize(
    ("running", "expected"),
    [
        ([], f"{ZONE} interfaces {WAN} host-inbound-traffic system-services ike"),
        (
            [f"{ZONE} host-inbound-traffic system-services ssh"],
            f"{ZONE} host-inbound-traffic system-services ike",
        ),
        (
            [
                f"{ZONE} host-inbound-traffic system-services ike",
                f"{ZONE} interfaces {WAN} host-inbound-traffic system-services ssh",
            ],
            f"{ZONE} interfaces {WAN} host-inbound-traffic system-services ike",
        ),
        ([f"{ZONE} host-inbound-traffic system-services all"], None),
        ([f"{ZONE} interfaces {WAN} host-inbound-traffic system-services all"], None),
        ([f"{ZONE} host-inbound-traffic system-services ike"], None),
        ([f"{ZONE} interfaces {WAN} host-inbound-traffic system-services ike except"], None),
        (
            [f"{ZONE} interfaces {WAN} host-inbound-traffic protocols ospf"],
            f"{ZONE} interfaces {WAN} host-inbound-traffic system-services ike",
        ),
    ],
)
def test_ike_goes_where_the_wan_interfaces_list_lives(
    running: list[str], expected: str | None
) -> None:
    assert host_inbound_ike(running, scope()) == expected


ZONE_SERVICES = f"""\
{ZONE} host-inbound-traffic system-services ssh
{ZONE} host-inbound-traffic system-services dhcp
"""


def test_zone_level_services_survive_the_push(lab_factory: LabFactory) -> None:
    lab = lab_factory(initial=UNRELATED + ZONE_SERVICES)
    assert lab.router.state.accepts(WAN, "ssh") and not lab.router.state.accepts(WAN, "ike")
    plan = lab.plan()
    assert f"{ZONE} host-inbound-traffic system-services ike" in plan.commands
    assert not any(f"interfaces {WAN} host-inbound-traffic" in c for c in plan.commands)
    assert lab.push().outcome == "applied"
    state = lab.router.state
    assert state.accepts(WAN, "ssh") and state.accepts(WAN, "dhcp") and state.accepts(WAN, "ike")
    assert lab.plan().in_sync


def test_interface_level_list_gains_ike_and_keeps_its_own(lab_factory: LabFactory) -> None:
    own = f"{ZONE} interfaces {WAN} host-inbound-traffic system-services ssh\n"
    lab = lab_factory(initial=UNRELATED + ZONE_SERVICES.replace("ssh", "ping") + own)
    assert lab.push().outcome == "applied"
    state = lab.router.state
    assert state.accepts(WAN, "ssh") and state.accepts(WAN, "ike")
    assert not state.accepts(WAN, "ping")  # the interface's list overrides the zone's
    assert set(set_lines(ZONE_SERVICES.replace("ssh", "ping") + own)) <= set(
        set_lines(lab.router.running_config())
    )


def test_a_zone_that_allows_everything_gets_no_line(lab_factory: LabFactory) -> None:
    lab = lab_factory(initial=UNRELATED + f"{ZONE} host-inbound-traffic system-services all\n")
    assert not any("untrust" in c for c in lab.plan().commands)
    assert lab.push().outcome == "applied" and lab.router.state.accepts(WAN, "ssh")


# ------------------------------------------------------------------ commit model and timeouts
def test_confirm_succeeds_while_someone_has_uncommitted_shared_changes(
    lab_factory: LabFactory,
) -> None:
    lab = lab_factory()
    other = ["system", "host-name", "someone-elses-change"]

    def verify() -> FakeStatus:
        with lab.router.context.lock:  # another admin edits the shared candidate, uncommitted
            lab.router.state.candidate.set(other)
        return FakeStatus("UP")

    assert lab.push(verify=verify).outcome == "applied"
    assert lab.router.clock.pending() == 0  # the commit confirmed was confirmed
    after = lab.router.running_config()
    lab.router.clock.advance(CONFIRM_MINUTES * 60 * 2)
    assert lab.router.running_config() == after and "someone-elses-change" not in after
    assert "someone-elses-change" in "\n".join(lab.router.state.candidate.set_lines())


def test_unknown_release_moves_to_exclusive_when_private_refuses(
    lab_factory: LabFactory, profile: JunosProfile
) -> None:
    lab = lab_factory(release=None)  # neither the inventory nor show version told cgw
    assert lab.push(verify=lambda: FakeStatus("UP")).outcome == "applied"
    assert lab.router.clock.pending() == 0 and lab.plan().in_sync
    assert lab.router.state.exclusive_owner is None  # the lock left with the session


def test_a_slow_commit_is_waited_for(lab_factory: LabFactory, profile: JunosProfile) -> None:
    lab = lab_factory(timeout_s=1)
    lab.router.state.commit_time_scale = 1.5 / profile.commit_s  # each commit takes 1.5 s
    assert lab.push(verify=lambda: FakeStatus("UP")).outcome == "applied"
    assert lab.router.clock.pending() == 0


def test_a_commit_that_outlasts_the_wait_is_never_called_uncommitted(
    lab_factory: LabFactory, profile: JunosProfile
) -> None:
    lab = lab_factory()
    before = lab.router.running_config()
    lab.router.state.commit_time_scale = 2.0 / profile.commit_s
    with lab.session() as session:
        running, plan = compute_plan(DEPLOYER, session, lab.device, lab.vpn, rendered(*case()))
        transaction = JunosTransaction(session, plan, running)
        transaction.cli.commit_timeout_s = 3.0  # check answers in 2 s, commit confirmed not
        transaction.prepare()
        lab.router.state.commit_time_scale = 2.0 / profile.commit_s
        original = transaction._commit_line

        def slow_confirmed(line: str) -> str:
            if line.startswith("commit confirmed"):
                lab.router.state.commit_time_scale = 5.0 / profile.commit_s
            return original(line)

        transaction._commit_line = slow_confirmed  # type: ignore[method-assign]
        with pytest.raises(DeviceError) as caught:
            transaction.apply()
    message = str(caught.value)
    assert "may still complete" in message and "nothing was committed" not in message
    time.sleep(3)  # the router finishes the commit cgw stopped waiting for
    assert lab.router.clock.pending() == 1 and lab.router.running_config() != before
    assert "rolled back" in lab.recover(before)
    assert lab.router.running_config() == before and lab.router.clock.pending() == 0


def test_recover_never_says_nothing_was_committed_while_a_commit_may_land(
    lab_factory: LabFactory,
) -> None:
    lab = lab_factory()
    before = lab.router.running_config()
    UNCONFIRMED_COMMITS[lab.device.name] = time.monotonic()  # an unanswered commit confirmed
    message = lab.recover(before)
    assert "may still complete" in message and "nothing" not in message
    UNCONFIRMED_COMMITS.pop(lab.device.name)  # confirmed or rolled back: nothing in flight
    assert "nothing of the push was committed" in lab.recover(before)


def test_verify_down_while_someone_edits_leaves_the_rollback_to_the_router(
    lab_factory: LabFactory,
) -> None:
    lab = lab_factory()
    before = lab.router.running_config()

    def verify() -> FakeStatus:
        with lab.router.context.lock:  # another admin's uncommitted edit: no private candidate
            lab.router.state.candidate.set(["system", "host-name", "someone-elses-change"])
        return FakeStatus("DOWN")

    with pytest.raises(DeviceError, match="rolls it back by itself within 5 minutes"):
        lab.push(verify=verify)
    assert "rolls it back by itself" in lab.recover(before)
    lab.router.clock.advance(CONFIRM_MINUTES * 60 + 1)
    assert lab.router.running_config() == before


def test_confirm_refuses_once_the_window_is_nearly_gone(lab_factory: LabFactory) -> None:
    lab = lab_factory()
    now = [1000.0]
    with lab.session() as session:
        running, plan = compute_plan(DEPLOYER, session, lab.device, lab.vpn, rendered(*case()))
        transaction = JunosTransaction(session, plan, running, clock=lambda: now[0])
        assert 0 < transaction.verify_budget_s < transaction.confirm_window_s
        transaction.prepare()
        transaction.apply()
        now[0] += transaction.confirm_window_s - 10  # verify ran almost the whole window
        with pytest.raises(DeviceError, match="too close to its 300 s window"):
            transaction.confirm()
    assert lab.router.clock.pending() == 1  # not confirmed: the router's own rollback stands


# ------------------------------------------------------------------ local-as prerequisite
def test_local_as_on_a_box_without_an_autonomous_system(lab_factory: LabFactory) -> None:
    initial = UNRELATED.replace("set routing-options autonomous-system 65011\n", "")
    lab = lab_factory(initial=initial)
    plan = lab.plan()
    assert "set routing-options autonomous-system 65011" in plan.commands
    assert lab.push().outcome == "applied" and lab.plan().in_sync


def test_an_existing_autonomous_system_is_kept(lab_factory: LabFactory) -> None:
    initial = UNRELATED.replace("autonomous-system 65011", "autonomous-system 64999")
    lab = lab_factory(initial=initial)
    plan = lab.plan()
    assert not any("autonomous-system" in c for c in plan.commands)
    assert any("autonomous-system 64999" in note for note in plan.notes)
    assert lab.push().outcome == "applied"
    assert "set routing-options autonomous-system 64999" in lab.router.running_config()


# ------------------------------------------------------------------ ownership on the device
def renumbered(device: Device, numbers: tuple[int, int]) -> Device:
    return replace(device, local=replace(device.local, tunnel_numbers=numbers))


def test_renumbered_tunnels_take_their_old_units_with_them() -> None:
    device, vpn = case()
    old = obfuscated(rendered(device, vpn).text)
    new_device = renumbered(device, (5, 6))
    owned = owned_text(DEPLOYER, UNRELATED + old, new_device, vpn)
    plan = plan_text(DEPLOYER, owned, rendered(new_device, vpn), new_device, vpn)
    for unit in (1, 2):
        assert f"delete interfaces st0 unit {unit}" in plan.commands
        assert f"delete security zones security-zone trust interfaces st0.{unit}" in plan.commands
    assert any(c.startswith("set interfaces st0 unit 5 ") for c in plan.commands)
    assert not any("st0 unit 7" in c or "st0.7" in c for c in plan.commands)


def test_renumbered_push_leaves_no_old_unit_and_nothing_else_removed(
    lab_factory: LabFactory,
) -> None:
    device, vpn = case()
    lab = lab_factory(initial=UNRELATED + obfuscated(rendered(device, vpn).text))
    lab.device = renumbered(lab.device, (5, 6))
    assert lab.push().outcome == "applied"
    running = lab.router.running_config()
    assert "st0 unit 1 " not in running and "st0.1 " not in running and "st0.2" not in running
    assert "interfaces st0 unit 5 description" in running and unrelated_untouched(running)
    assert lab.plan().in_sync


def two_vpns() -> tuple[Device, VpnConnection, VpnConnection, str]:
    device, vpn = case()
    other_device, other = case("branch-02")
    other_text = rendered(renumbered(replace(other_device, local=device.local), (3, 4)), other)
    running = UNRELATED + rendered(device, vpn).text + other_text.text
    return device, vpn, other, running


def prune(running: str, device: Device, keep: set[str]) -> Plan:
    """The --prune plan of a running-config text."""
    return DEPLOYER.prune_plan(
        DeviceConfig.cli(device.name, device.platform, running), device, keep
    )


def test_prune_removes_only_the_objects_of_vpns_no_longer_listed() -> None:
    device, vpn, other, running = two_vpns()
    keep = {vpn.id, "vpn-0ffff000011112222"}  # the inventory's VPNs on this device
    plan = DEPLOYER.prune_plan(
        DeviceConfig.cli(device.name, device.platform, running), device, keep
    )
    prefix = f"aws-{other.id}"
    assert plan.commands and all(c.startswith("delete ") for c in plan.commands)
    assert f"delete protocols bgp group {prefix}" in plan.commands
    assert "delete interfaces st0 unit 3" in plan.commands
    assert all(prefix in c or "st0" in c for c in plan.commands)
    assert not any(vpn.id in c or "st0 unit 1" in c or "st0.7" in c for c in plan.commands)
    # the shared statements and everything unrelated stay
    assert not any(
        "tcp-mss" in c or "autonomous-system" in c or "untrust" in c for c in plan.commands
    )
    assert DEPLOYER.prune_plan(
        DeviceConfig.cli(device.name, device.platform, running),
        device,
        {vpn.id, other.id, "vpn-0ffff000011112222"},
    ).in_sync


def test_prune_never_takes_a_name_that_is_not_an_aws_vpn_id() -> None:
    device, vpn, other, running = two_vpns()
    plan = DEPLOYER.prune_plan(
        DeviceConfig.cli(device.name, device.platform, running), device, {vpn.id, other.id}
    )
    # vpn-0ffff000011112222 is a well-formed id (17 hex digits): a cgw object of that VPN;
    # aws-vpn-0a1b2c3d4e5f600110-t1 has 18 and is nobody's
    assert "delete security ipsec vpn aws-vpn-0ffff000011112222-t1" in plan.commands
    assert not any("0a1b2c3d4e5f600110" in c for c in plan.commands)


# ------------------------------------------------------------------ who initiates (lab AWS)
def test_a_static_vpn_comes_up_because_the_srx_initiates(
    lab_factory: LabFactory, lab_aws: Any
) -> None:
    """AWS's default startup action `add` waits for the CGW: only an SRX that initiates is UP."""
    from cgw.aws import AwsContext, fetch_vpn_connections
    from cgw.lab.aws_oracle import AwsOracle

    vpn_id = lab_aws.vpn_ids["branch-04"]
    (vpn,) = fetch_vpn_connections(AwsContext(region="us-east-1"), vpn_ids=[vpn_id])
    assert vpn.routing == "static" and {t.startup_action for t in vpn.tunnels} == {"add"}
    cgw_ip = str(vpn.customer_gateway.ip)
    initial = UNRELATED.replace("203.0.113.11/24", f"{cgw_ip}/24")
    lab = lab_factory("branch-04", initial)
    selector = replace(lab.device.vpn, customer_gateway_ip=vpn.customer_gateway.ip)
    lab.device = replace(lab.device, vpn=selector)
    lab.vpn = vpn
    lab.router.set_oracle(AwsOracle([vpn_id]))

    def tunnels_up() -> list[bool]:
        with lab.session() as session:
            outputs = {c: session.send_command(c) for c in JUNOS.verify_commands}
        parsed = JUNOS.parse_status(outputs)
        assert parsed.ipsec_sas is not None
        return [sa.up for sa in parsed.ipsec_sas]

    # what cgw rendered before: no establish-tunnels line, so Junos waits for traffic
    on_traffic = [
        line
        for line in set_lines(rendered(lab.device, vpn).text)
        if "establish-tunnels" not in line
    ]
    with lab.router.context.lock:
        for line in on_traffic:
            lab.router.state.candidate.set(line.split()[1:])
        lab.router.state.commit(lab.router.state.candidate)
    assert tunnels_up() == []
    oracle = lab.router.context.oracle
    assert isinstance(oracle, AwsOracle) and "nobody initiates" in str(oracle.last[0].verdict)
    assert lab.push().outcome == "applied"
    assert tunnels_up() == [True, True]


# ------------------------------------------------------------------ real public configurations
REAL_CONFIGS = Path(__file__).parent / "data" / "juniper_junos" / "running_configs"
# Where each real SRX keeps its WAN interface and zones (read from the configuration itself).
REAL_LOCAL = {
    "jcostom_ospf": ("ge-0/0/0.0", "untrust", "trust"),
    "jcostom_bgp": ("ge-0/0/1.0", "untrust", "trust"),
    "kmarquis_junos_sec": ("ge-0/0/2.0", "wan", "lan"),
    "vsrx_3gpp_secgw": ("ge-0/0/1.3413", "untrust", "trust"),
}
REAL_NAMES = sorted(p.stem for p in REAL_CONFIGS.glob("*.set"))


def real_device(name: str, device: Device) -> Device:
    wan, untrust, trust = next(v for k, v in REAL_LOCAL.items() if name.startswith(k))
    return with_local(
        device,
        wan_interface=wan,
        untrust_zone=untrust,
        trust_zone=trust,
        tunnel_numbers=(10, 11),  # st0.0/st0.1 are the configurations' own tunnels
    )


def test_there_are_eight_real_configurations_with_sources() -> None:
    sources = (REAL_CONFIGS / "SOURCES.md").read_text()
    assert len(REAL_NAMES) >= 8 and all(f"{name}.set" in sources for name in REAL_NAMES)


@pytest.mark.parametrize("name", REAL_NAMES)
def test_real_configuration_plan_only_adds_the_vpn(name: str) -> None:
    running = (REAL_CONFIGS / f"{name}.set").read_text()
    device, vpn = case()
    device = real_device(name, device)
    intended = rendered(device, vpn)
    plan = plan_text(DEPLOYER, owned_text(DEPLOYER, running, device, vpn), intended, device, vpn)
    assert plan.commands and not plan.remove
    assert all(c.startswith("set ") for c in plan.commands), "a first push deletes nothing"
    existing = set(set_lines(running))
    # every command is a line cgw renders, or IKE where the WAN interface's list lives
    wanted = set(set_lines(intended.text))
    ike = "host-inbound-traffic system-services ike"
    assert all(c in wanted or ike in c for c in plan.commands)
    assert not existing & set(plan.commands)
    # nothing of the device's own is changed: no value it set is set again with another value
    heads = {" ".join(line.split()[:-1]) for line in existing}
    assert not [c for c in plan.commands if " ".join(c.split()[:-1]) in heads and ike not in c]


@pytest.mark.parametrize("name", REAL_NAMES)
def test_real_configuration_pushed_on_the_lab_srx_then_plans_nothing(
    lab_factory: LabFactory, name: str
) -> None:
    running = (REAL_CONFIGS / f"{name}.set").read_text()
    lab = lab_factory(initial=running)
    assert set(set_lines(lab.router.running_config())) == set(set_lines(running))
    lab.device = real_device(name, lab.device)
    wan = lab.device.local.wan_interface
    services = ("ike", "ssh", "dhcp", "ping", "all", "ospf", "bgp")
    accepted = {s for s in services if lab.router.state.accepts(wan, s)}
    assert lab.push().outcome == "applied"
    after = set(set_lines(lab.router.running_config()))
    assert set(set_lines(running)) <= after  # not one line of the device's own was removed
    assert lab.plan().in_sync
    # the WAN interface accepts what it did, and IKE
    assert accepted | {"ike"} <= {s for s in services if lab.router.state.accepts(wan, s)}


def test_tunnel_numbers_that_hit_the_devices_own_st0_units_are_refused() -> None:
    running = (REAL_CONFIGS / "jcostom_bgp_sat1.set").read_text()
    device, vpn = case()
    device = real_device("jcostom_bgp_sat1", device)
    device = renumbered(device, (0, 5))  # st0.0 is the SRX's own "Hub 1 Tunnel"
    with pytest.raises(InventoryError, match=r"st0\.0 is already configured"):
        plan_text(
            DEPLOYER, owned_text(DEPLOYER, running, device, vpn), rendered(device, vpn), device, vpn
        )


# ------------------------------------------------------------------ the simulated SRX itself
def test_simulated_private_commits_merge_into_the_latest_commit() -> None:
    from cgw.lab.routers.faults import Faults
    from cgw.lab.routers.junos import JunosShell, JunosState
    from cgw.lab.routers.oracle import DownOracle
    from cgw.lab.routers.shell import RouterContext

    context = RouterContext("juniper_junos", "srx", SimClock(), DownOracle(), Faults())
    state = JunosState(context)
    state.load_initial("set system host-name srx\nset interfaces st0 unit 7 description seven\n")
    cgw, other = JunosShell(state, "cgw"), JunosShell(state, "other")
    for shell, line in (
        (cgw, "configure private"),
        (cgw, "set interfaces st0 unit 1 description mine"),
        (other, "configure private"),
        (other, "delete interfaces st0 unit 7"),
        (other, "set system host-name renamed"),
        (other, "commit"),
    ):
        assert "error" not in shell.handle(line).output
    assert "commit complete" in cgw.handle("commit").output
    assert state.running_config().splitlines() == [
        "set system host-name renamed",
        "set interfaces st0 unit 1 description mine",
    ]
