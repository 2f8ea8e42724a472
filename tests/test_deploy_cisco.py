"""IOS diff and push: ownership, hier_config plans with cgw's rules, pushes to a simulated router.

The push tests drive the simulated IOS-XE router over real SSH (netmiko through cgw.session,
host key pinned in a known_hosts file) and judge the router's own running configuration.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterator
from dataclasses import replace
from ipaddress import IPv4Network, ip_address
from pathlib import Path
from typing import TYPE_CHECKING

import pytest
from render_cases import golden_cases, owned_text, plan_text

from cgw.errors import DeviceError
from cgw.lab.routers import SimRouter, start_router
from cgw.lab.routers.ios import DEFAULT_IOS_CONFIG, IosState
from cgw.lab.routers.ios_profiles import PROFILES
from cgw.lab.routers.iosconfig import IosConfig
from cgw.model import Credentials, Device, DeviceConfig, ParsedStatus, VpnConnection
from cgw.platforms.cisco_ios import bgp_network, psk_fingerprint, rules
from cgw.platforms.cisco_ios.deploy import (
    DEPLOYER,
    IosChannel,
    blocks,
    comparable_config,
    masked_line,
    rejected_line,
    rollback_failure,
)
from cgw.push import compute_plan, push_plan
from cgw.secrets import PreSharedKey
from cgw.session import Session, open_session
from cgw.verify import DeviceStatus, device_status, tunnel_statuses
from cgw.workflow import render_config

if TYPE_CHECKING:
    from cgw.lab.aws_server import LabAws

PASSWORD = "lab-password"
PASSWORD_ENV = "CGW_TEST_IOS_PASSWORD"
PREFIX = "aws-vpn-0a1b2c3d4e5f60011"
T1 = f"{PREFIX}-t1"
T2 = f"{PREFIX}-t2"

# Lines cgw must never touch: a LAN port, another VPN (whose id starts with ours), a hand-written
# BGP neighbour, an unrelated tunnel and its route, the archive and a default route.
UNRELATED = """\
interface GigabitEthernet1
 ip address 203.0.113.11 255.255.255.0
 negotiation auto
interface GigabitEthernet2
 description LAN
 ip address 10.11.0.1 255.255.0.0
crypto ikev2 keyring aws-vpn-0a1b2c3d4e5f600119-t1
 peer aws-vpn-0a1b2c3d4e5f600119-t1
  address 198.51.100.99
  pre-shared-key otherVpnKey123
crypto ipsec transform-set aws-vpn-0a1b2c3d4e5f600119-t1-1 esp-gcm 256
 mode tunnel
interface Tunnel99
 description hand-made
 ip address 10.99.0.1 255.255.255.252
 tunnel source GigabitEthernet1
 tunnel mode ipsec ipv4
 tunnel destination 192.0.2.99
router bgp 65011
 neighbor 10.11.0.254 remote-as 65099
 neighbor 10.11.0.254 description hand-written
 address-family ipv4
  network 10.99.0.0 mask 255.255.255.0
  neighbor 10.11.0.254 activate
ip route 0.0.0.0 0.0.0.0 203.0.113.1
ip route 10.99.0.0 255.255.0.0 Tunnel99
"""
ARCHIVE = "archive\n path bootflash:cgw-archive\n maximum 5\n"
SOFTWARE = sorted(PROFILES)  # every IOS profile the simulator imitates


def branch_01() -> tuple[Device, VpnConnection]:
    return golden_cases("cisco_xe")["branch-01"]


def rendered_text(device: Device, vpn: VpnConnection) -> str:
    return render_config(device, vpn).files[0].content


def as_device_prints(text: str) -> str:
    """Config text merged and printed as the simulated IOS router's running-config shows it."""
    config = IosConfig()
    assert config.load(text) == []
    return "\n".join(config.render()) + "\n"


def with_tunnel(vpn: VpnConnection, index: int, **changes: object) -> VpnConnection:
    tunnels = list(vpn.tunnels)
    tunnels[index] = replace(tunnels[index], **changes)  # type: ignore[arg-type]
    return replace(vpn, tunnels=(tunnels[0], tunnels[1]))


def changed_vpn(vpn: VpnConnection) -> VpnConnection:
    """branch-01 with tunnel 1's key, AWS address and DH group (both phases) changed."""
    t1 = vpn.tunnels[0]
    return with_tunnel(
        vpn,
        0,
        psk=PreSharedKey("rotatedTunnel1Key"),
        aws_outside_ip=ip_address("198.51.100.111"),
        phase1=replace(t1.phase1, dh_groups=(21,)),
        phase2=replace(t1.phase2, dh_groups=(21,)),
    )


def plan_from_text(running: str, device: Device, vpn: VpnConnection) -> tuple[str, ...]:
    owned = owned_text(DEPLOYER, running, device, vpn)
    return plan_text(DEPLOYER, owned, render_config(device, vpn), device, vpn).commands


# ----------------------------------------------------------------------------- ownership


def test_owned_keeps_only_this_vpns_objects_tunnels_neighbours_and_routes() -> None:
    device, vpn = branch_01()
    route = f"ip route 10.100.0.0 255.255.0.0 Tunnel2 name {T2}\n"
    hand_route = "ip route 10.101.0.0 255.255.0.0 Tunnel2\n"  # no name: nothing proves it cgw's
    running = as_device_prints(UNRELATED + rendered_text(device, vpn) + route + hand_route)
    owned = owned_text(DEPLOYER, running, device, vpn)
    assert "aws-vpn-0a1b2c3d4e5f600119" not in owned
    for foreign in ("interface GigabitEthernet", "Tunnel99", "10.11.0.254", "10.99.0.0"):
        assert foreign not in owned
    assert "bgp log-neighbor-changes" not in owned
    assert route in owned and hand_route not in owned
    # Everything cgw renders is owned: the owned part of (unrelated + rendered) plans nothing.
    assert plan_from_text(running.replace(route, ""), device, vpn) == ()
    assert plan_from_text(running, device, vpn) == (
        f"no ip route 10.100.0.0 255.255.0.0 Tunnel2 name {T2}",
    )


def test_owned_router_bgp_holds_only_the_aws_neighbours_and_advertised_networks() -> None:
    device, vpn = branch_01()
    running = as_device_prints(UNRELATED + rendered_text(device, vpn))
    owned = owned_text(DEPLOYER, running, device, vpn)
    bgp = owned[owned.index("router bgp") : owned.index("ip prefix-list")]
    assert owned.endswith(f"ip prefix-list {PREFIX}-networks seq 5 permit 10.11.0.0/16\n")
    assert bgp == (
        "router bgp 65011\n"
        " neighbor 169.254.101.1 remote-as 64512\n"
        f" neighbor 169.254.101.1 description {T1}\n"
        " neighbor 169.254.101.1 timers 10 30\n"
        " neighbor 169.254.101.5 remote-as 64512\n"
        f" neighbor 169.254.101.5 description {T2}\n"
        " neighbor 169.254.101.5 timers 10 30\n"
        " address-family ipv4\n"
        "  network 10.11.0.0 mask 255.255.0.0\n"
        "  neighbor 169.254.101.1 activate\n"
        "  neighbor 169.254.101.5 activate\n"
    )


def test_owned_of_a_router_without_cgw_config_is_empty() -> None:
    device, vpn = branch_01()
    assert owned_text(DEPLOYER, UNRELATED, device, vpn) == ""


# ----------------------------------------------------------------------------- plans


def test_first_plan_creates_objects_before_what_references_them() -> None:
    device, vpn = branch_01()
    commands = plan_from_text(UNRELATED, device, vpn)
    tops = [c for c in commands if not c.startswith(" ")]

    def first(prefix: str) -> int:
        return next(i for i, c in enumerate(tops) if c.startswith(prefix))

    assert first("crypto ikev2 proposal") < first("crypto ikev2 policy")
    assert first("crypto ikev2 keyring") < first("crypto ikev2 profile")
    assert first("crypto ikev2 profile") < first("crypto ipsec profile")
    assert first("crypto ipsec transform-set") < first("crypto ipsec profile")
    assert first("crypto ipsec profile") < first("interface Tunnel1") < first("router bgp")
    assert not any(c.strip().startswith("no ") for c in commands)
    assert "router bgp 65011" in commands and "no router bgp 65011" not in commands


@pytest.mark.parametrize(
    ("change", "expected"),
    [
        (
            lambda vpn: with_tunnel(vpn, 0, psk=PreSharedKey("rotatedTunnel1Key")),
            (
                f"crypto ikev2 keyring {T1}",
                f" peer {T1}",
                "  pre-shared-key rotatedTunnel1Key",  # the key first, then its fingerprint
                f"  description {T1} psk-fp {psk_fingerprint('rotatedTunnel1Key', T1)}",
            ),
        ),
        (
            lambda vpn: with_tunnel(vpn, 1, aws_outside_ip=ip_address("198.51.100.112")),
            (
                f"crypto ikev2 keyring {T2}",
                f" peer {T2}",
                "  address 198.51.100.112",
                f"crypto ikev2 profile {T2}",
                " no match identity remote address 198.51.100.12 255.255.255.255",
                " match identity remote address 198.51.100.112 255.255.255.255",
                "interface Tunnel2",
                " tunnel destination 198.51.100.112",
            ),
        ),
    ],
    ids=["psk", "tunnel-destination"],
)
def test_one_changed_value_is_changed_in_place(
    change: Callable[[VpnConnection], VpnConnection], expected: tuple[str, ...]
) -> None:
    device, vpn = branch_01()
    assert plan_from_text(rendered_text(device, vpn), device, change(vpn)) == expected


def test_ikev1_dh_group_and_pfs_change_in_place() -> None:
    device, vpn = golden_cases("cisco_xe")["branch-04"]
    t1 = vpn.tunnels[0]
    new = with_tunnel(
        vpn,
        0,
        phase1=replace(t1.phase1, dh_groups=(14,)),
        phase2=replace(t1.phase2, dh_groups=(14,)),
    )
    assert plan_from_text(rendered_text(device, vpn), device, new) == (
        "crypto isakmp policy 201",
        " group 14",
        "crypto ipsec profile aws-vpn-0a1b2c3d4e5f60014-t1",
        " set pfs group14",
    )


# ISAKMP policies numbered as AWS's own IOS sample numbers them, built by hand for another VPN.
AWS_SAMPLE_POLICIES = """\
crypto isakmp policy 200
 encr aes
 authentication pre-share
 group 2
 lifetime 28800
crypto isakmp policy 201
 encr aes
 authentication pre-share
 group 2
 lifetime 28800
"""


def test_hand_built_aws_sample_isakmp_policies_are_kept_by_an_ikev2_vpn() -> None:
    device, vpn = branch_01()
    running = as_device_prints(AWS_SAMPLE_POLICIES + rendered_text(device, vpn))
    commands = plan_from_text(running, device, vpn)
    assert not [c for c in commands if "isakmp policy" in c], commands


def test_an_isakmp_policy_cgw_cannot_prove_is_never_changed() -> None:
    device, vpn = golden_cases("cisco_xe")["branch-04"]  # IKEv1: wants policies 201 and 202
    running = as_device_prints(AWS_SAMPLE_POLICIES.replace("group 2", "group 14"))
    with pytest.raises(DeviceError, match=r"`crypto isakmp policy 201` exists and is not cgw's"):
        plan_from_text(running, device, vpn)


def test_the_profile_description_proves_the_policy_so_a_renumbered_tunnel_drops_its_old_one() -> (
    None
):
    device, vpn = golden_cases("cisco_xe")["branch-04"]
    running = as_device_prints(AWS_SAMPLE_POLICIES + rendered_text(device, vpn))
    assert plan_from_text(running, device, vpn) == ()
    renumbered = replace(device, local=replace(device.local, tunnel_numbers=(11, 12)))
    commands = plan_from_text(running, renumbered, vpn)
    assert "no crypto isakmp policy 202" in commands
    assert "no crypto isakmp policy 200" not in commands
    assert "crypto isakmp policy 211" in commands


def test_references_move_before_the_object_they_named_is_removed() -> None:
    device, vpn = branch_01()
    t1 = vpn.tunnels[0]
    two_ciphers = with_tunnel(
        vpn, 0, phase2=replace(t1.phase2, encryption=("AES256-GCM-16", "AES128"))
    )
    commands = plan_from_text(rendered_text(device, two_ciphers), device, vpn)
    assert commands == (
        f"crypto ipsec profile {T1}",
        f" set transform-set {T1}-1",
        f"no crypto ipsec transform-set {T1}-2",
    )


def test_switching_a_tunnel_to_ikev1_removes_ikev2_objects_after_their_last_reference() -> None:
    device, vpn = branch_01()
    t1 = vpn.tunnels[0]
    ikev1 = with_tunnel(
        vpn,
        0,
        ike_versions=("ikev1",),
        phase1=replace(t1.phase1, encryption=("AES128",), integrity=("SHA1",)),
    )
    commands = plan_from_text(rendered_text(device, vpn), device, ikev1)
    position = {c: i for i, c in enumerate(commands)}
    assert position[f" set isakmp-profile {T1}"] < position[f"no crypto ikev2 profile {T1}"]
    assert position[f"crypto isakmp profile {T1}"] < position[f" set isakmp-profile {T1}"]
    assert position[f"no crypto ikev2 profile {T1}"] < position[f"no crypto ikev2 keyring {T1}"]
    assert commands[-1] == f"no crypto ikev2 proposal {T1}-1"


def test_leaving_bgp_removes_only_the_aws_neighbours_with_one_line_each() -> None:
    device, vpn = branch_01()
    static_device = replace(
        device, local=replace(device.local, static_routes=(IPv4Network("10.100.0.0/16"),))
    )
    running = as_device_prints(UNRELATED + rendered_text(device, vpn))
    commands = plan_from_text(running, static_device, replace(vpn, routing="static"))
    assert commands == (
        "router bgp 65011",
        " no neighbor 169.254.101.1",
        " no neighbor 169.254.101.5",
        " address-family ipv4",
        "  no network 10.11.0.0 mask 255.255.0.0",
        f"ip route 10.100.0.0 255.255.0.0 Tunnel1 name {T1}",
        f"ip route 10.100.0.0 255.255.0.0 Tunnel2 10 name {T2}",
        f"no ip prefix-list {PREFIX}-networks seq 5 permit 10.11.0.0/16",
    )


def test_a_prefix_dropped_from_the_inventory_leaves_router_bgp_and_nothing_else_does() -> None:
    device, vpn = golden_cases("cisco_xe")["branch-02"]  # advertises 10.12/16 and 172.16/16
    prefix = f"aws-{vpn.id}"
    hand = "router bgp 65012\n address-family ipv4\n  network 10.99.0.0 mask 255.255.0.0\n"
    running = as_device_prints(hand + rendered_text(device, vpn))
    fewer = replace(
        device,
        local=replace(device.local, advertised_prefixes=device.local.advertised_prefixes[:1]),
    )
    assert plan_from_text(running, fewer, vpn) == (
        "router bgp 65012",
        " address-family ipv4",
        "  no network 172.16.0.0",
        f"no ip prefix-list {prefix}-networks seq 10 permit 172.16.0.0/16",
    )


def test_a_renumbered_tunnel_and_a_moved_bgp_neighbour_leave_nothing_behind() -> None:
    device, vpn = branch_01()
    running = as_device_prints(UNRELATED + rendered_text(device, vpn))
    renumbered = replace(device, local=replace(device.local, tunnel_numbers=(11, 12)))
    t2 = vpn.tunnels[1]
    moved = with_tunnel(
        vpn, 1, inside_cidr=IPv4Network("169.254.111.4/30"),
        aws_inside_ip=ip_address("169.254.111.5"), cgw_inside_ip=ip_address("169.254.111.6"),
    )  # fmt: skip
    commands = plan_from_text(running, renumbered, moved)
    assert "no interface Tunnel1" in commands and "no interface Tunnel2" in commands
    assert "interface Tunnel11" in commands and "interface Tunnel12" in commands
    assert f" no neighbor {t2.aws_inside_ip}" in commands
    assert "Tunnel99" not in "".join(commands) and "10.11.0.254" not in "".join(commands)


def test_type7_keys_are_compared_in_clear_and_type6_keys_by_their_fingerprint() -> None:
    device, vpn = branch_01()
    assert rules.decode_type7("02050D480809") == "cisco"
    text = rendered_text(device, vpn)
    type7 = text.replace("pre-shared-key branch01Tunnel1Key", "pre-shared-key 0 branch01Tunnel1Key")
    assert plan_from_text(type7, device, vpn) == ()
    # `password encryption aes`: the router shows the key cgw pushed as type 6, unreadable.
    type6 = text.replace(
        "pre-shared-key branch01Tunnel2Key", "pre-shared-key 6 FLgBaJHXdYY_AcHZZMgQ_RhTDJXHUBAAB"
    )
    owned = owned_text(DEPLOYER, type6, device, vpn)
    plan = plan_text(DEPLOYER, owned, render_config(device, vpn), device, vpn)
    assert plan.in_sync and plan.notes == ()  # same fingerprint: the same key
    # AWS rotated tunnel 2's key: the fingerprint differs, so the new key is pushed.
    rotated = with_tunnel(vpn, 1, psk=PreSharedKey("rotatedTunnel2Key"))
    owned = owned_text(DEPLOYER, type6, device, rotated)
    plan = plan_text(DEPLOYER, owned, render_config(device, rotated), device, rotated)
    assert "  pre-shared-key rotatedTunnel2Key" in plan.commands
    assert any(c.strip().startswith(f"description {T2} psk-fp ") for c in plan.commands)
    assert len(plan.notes) == 1 and "differs" in plan.notes[0]
    assert "rotatedTunnel2Key" not in plan.notes[0]


def test_the_key_fingerprint_is_one_way_and_holds_no_encoding_of_the_key() -> None:
    from cgw.platforms.cisco_ios import psk_fingerprint

    fingerprint = psk_fingerprint("branch01Tunnel2Key", T2)
    assert re.fullmatch(r"[0-9a-f]{16}", fingerprint)
    assert fingerprint != psk_fingerprint("branch01Tunnel2Key", T1)  # salted by the tunnel
    assert b"branch01Tunnel2Key".hex() not in fingerprint


def test_masked_line_never_shows_a_key() -> None:
    assert masked_line("  pre-shared-key branch01Tunnel1Key") == "pre-shared-key <psk>"
    assert (
        masked_line("  pre-shared-key address 198.51.100.41 key branch04Tunnel1Key")
        == "pre-shared-key address 198.51.100.41 key <psk>"
    )
    assert masked_line(" tunnel destination 1.2.3.4") == "tunnel destination 1.2.3.4"


def test_rejected_line_is_found_from_the_echo_and_marker() -> None:
    lines = [" ip mtu 1436", " tunnel destination 198.51.100.11", " tunnel source Gi1"]
    replies = [
        " ip mtu 1436\r\n",
        " tunnel destination 198.51.100.11\r\n"
        "                          ^\r\n% Invalid input detected at '^' marker.\r\n\r\n",
        " tunnel source Gi1\r\n% Incomplete command.\r\n",
    ]
    assert rejected_line(lines, replies) == (
        " tunnel destination 198.51.100.11",
        "% Invalid input detected at '^' marker.",
    )
    assert rejected_line(lines[:1], replies[:1]) is None
    assert rejected_line(["x"], ["x\r\n% Warning: something\r\n"]) is None


def test_blocks_respect_line_and_size_limits() -> None:
    lines = [f"line {i}" for i in range(10)]
    assert [len(b) for b in blocks(lines, 4)] == [4, 4, 2]
    assert [len(b) for b in blocks(lines, 100, max_chars=20)] == [3, 3, 3, 1]
    assert [line for block in blocks(lines, 3) for line in block] == lines


# ----------------------------------------------------------------------------- the router


@pytest.fixture
def routers(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[Callable[..., SimRouter]]:
    monkeypatch.setenv(PASSWORD_ENV, PASSWORD)
    started: list[SimRouter] = []

    def start(
        initial_config: str = UNRELATED, software: str | None = None, **options: object
    ) -> SimRouter:
        router = start_router(
            "cisco_xe",
            hostname="branch-01",
            username="admin",
            password=PASSWORD,
            host_key_path=tmp_path / f"router-{len(started)}.key",
            initial_config=initial_config,
            software=software,
            **options,  # type: ignore[arg-type]
        )
        started.append(router)
        (tmp_path / "known_hosts").write_text("".join(r.known_hosts_line() + "\n" for r in started))
        return router

    yield start
    for router in started:
        router.stop()


def ios(router: SimRouter) -> IosState:
    assert isinstance(router.state, IosState)
    return router.state


def lab_device(router: SimRouter, device: Device) -> Device:
    credentials = Credentials(username="admin", password_env=PASSWORD_ENV, secret_env=PASSWORD_ENV)
    return replace(device, port=router.port, credentials=credentials, timeout_s=10)


def connect(device: Device, tmp_path: Path) -> Session:
    return open_session(device, "cisco_xe", known_hosts=tmp_path / "known_hosts")


def push(device: Device, vpn: VpnConnection, tmp_path: Path) -> tuple[str, ...]:
    """Plan and push through cgw.push; returns the commands that were sent."""
    with connect(device, tmp_path) as session:
        running, plan = compute_plan(DEPLOYER, session, device, vpn, render_config(device, vpn))
        result = push_plan(DEPLOYER, session, device, running, plan, backup_dir=tmp_path)
    assert result.outcome in ("applied", "in-sync")
    return plan.commands


def replan(device: Device, vpn: VpnConnection, tmp_path: Path) -> tuple[str, ...]:
    with connect(device, tmp_path) as session:
        return compute_plan(DEPLOYER, session, device, vpn, render_config(device, vpn))[1].commands


def unrelated_lines(running: str) -> list[str]:
    return [line for line in comparable_config(running) if line.strip() != "!"]


@pytest.mark.parametrize("software", SOFTWARE)
def test_first_push_applies_and_second_plan_is_empty(
    routers: Callable[..., SimRouter], tmp_path: Path, software: str
) -> None:
    router = routers(UNRELATED + ARCHIVE, software)
    device, vpn = branch_01()
    device = lab_device(router, device)
    before = router.running_config()
    sent = push(device, vpn, tmp_path)
    assert len(sent) > 60
    after = router.running_config()
    assert f"interface Tunnel1\n description {T1}\n" in after
    assert replan(device, vpn, tmp_path) == ()
    # Every line that was there before is still there, in the same order.
    kept = iter(unrelated_lines(after))
    assert all(line in kept for line in unrelated_lines(before))
    assert ios(router).revert_timer is None  # confirmed: nothing will roll it back later
    assert "Tunnel1" in ios(router).startup  # write memory


@pytest.mark.parametrize("software", SOFTWARE)
def test_a_changed_psk_destination_and_group_are_pushed_in_place(
    routers: Callable[..., SimRouter], tmp_path: Path, software: str
) -> None:
    router = routers(UNRELATED + ARCHIVE, software)
    device, vpn = branch_01()
    device = lab_device(router, device)
    push(device, vpn, tmp_path)
    new = changed_vpn(vpn)
    sent = push(device, new, tmp_path)
    assert "  pre-shared-key rotatedTunnel1Key" in sent
    assert " tunnel destination 198.51.100.111" in sent
    assert " group 21" in sent and " set pfs group21" in sent
    assert not any(
        line.strip().startswith(("no pre-shared-key", "no tunnel", "no set")) for line in sent
    )
    running = router.running_config()
    assert "  pre-shared-key rotatedTunnel1Key\n" in running
    assert "branch01Tunnel1Key" not in running
    assert replan(device, new, tmp_path) == ()
    assert "neighbor 10.11.0.254 remote-as 65099" in running


@pytest.mark.parametrize("software", SOFTWARE)
def test_a_rejected_line_rolls_back_and_is_named(
    routers: Callable[..., SimRouter], tmp_path: Path, software: str
) -> None:
    router = routers(UNRELATED + ARCHIVE, software)
    device, vpn = branch_01()
    device = lab_device(router, device)
    before = router.running_config()
    router.faults.reject_commands = {"tunnel destination 198.51.100.12"}
    with pytest.raises(DeviceError, match=r"rejected `tunnel destination 198\.51\.100\.12`"):
        push(device, vpn, tmp_path)
    assert router.running_config() == before
    assert ios(router).revert_timer is None


def test_a_rejected_key_line_is_named_without_the_key(
    routers: Callable[..., SimRouter], tmp_path: Path
) -> None:
    router = routers(UNRELATED + ARCHIVE)
    device, vpn = branch_01()
    device = lab_device(router, device)
    router.faults.reject_commands = {"pre-shared-key branch01Tunnel2Key"}
    with pytest.raises(DeviceError) as raised:
        push(device, vpn, tmp_path)
    assert "`pre-shared-key <psk" in str(raised.value)
    assert "branch01Tunnel2Key" not in str(raised.value)


def drop_at_every_line(
    router: SimRouter,
    device: Device,
    vpn: VpnConnection,
    tmp_path: Path,
    recover: Callable[[str], None],
) -> list[str]:
    """Push with the session cut at its 1st, 2nd, ... line until a push completes; recover.

    Returns, per cut, whether the router held exactly the "old" or the "new" configuration.
    """
    old = router.running_config()
    push(device, vpn, tmp_path)
    new = router.running_config()
    restore(router, old)
    outcomes: list[str] = []
    for cut in range(1, 500):
        opened_at = router.context.lines_received
        with connect(device, tmp_path) as session:
            running, plan = compute_plan(DEPLOYER, session, device, vpn, render_config(device, vpn))
            # Lines this session has sent so far; the router hangs up on the `cut`-th after them.
            router.faults.drop_after_lines = router.context.lines_received - opened_at + cut
            try:
                push_plan(DEPLOYER, session, device, running, plan, backup_dir=tmp_path)
            except DeviceError as error:
                assert "connection lost" in str(error) or "SSH" in str(error)
                finished = False
            else:
                finished = True
            finally:
                router.faults.clear()
        if not finished:
            recover(running)
        now = router.running_config()
        assert now in (old, new), f"cut at line {cut}: neither the old nor the new config"
        outcomes.append("old" if now == old else "new")
        restore(router, old)
        if finished:
            break
    assert outcomes[-1] == "new" and len(outcomes) > len(plan.commands)
    return outcomes


def restore(router: SimRouter, text: str) -> None:
    with router.context.lock:
        ios(router).replace_running(text)
        ios(router).confirm()
    assert router.running_config() == text


@pytest.mark.parametrize("software", SOFTWARE)
def test_a_drop_at_any_line_leaves_old_or_new_config_via_the_revert_timer(
    routers: Callable[..., SimRouter], tmp_path: Path, software: str
) -> None:
    router = routers(UNRELATED + ARCHIVE, software)
    device, vpn = branch_01()
    device = lab_device(router, device)
    push(device, vpn, tmp_path)

    def revert_timer_expires(backup: str) -> None:
        router.clock.advance(DEPLOYER.revert_minutes * 60 + 1)

    outcomes = drop_at_every_line(router, device, changed_vpn(vpn), tmp_path, revert_timer_expires)
    assert outcomes[0] == "old" and outcomes.count("new") >= 2  # cut after `configure confirm`


@pytest.mark.parametrize("software", SOFTWARE)
def test_a_drop_at_any_line_leaves_old_or_new_config_after_recover(
    routers: Callable[..., SimRouter], tmp_path: Path, software: str
) -> None:
    router = routers(UNRELATED + ARCHIVE, software)
    device, vpn = branch_01()
    device = lab_device(router, device)
    push(device, vpn, tmp_path)

    def recover(backup: str) -> None:
        with connect(device, tmp_path) as session:
            DEPLOYER.recover(session, device, backup)

    outcomes = drop_at_every_line(router, device, changed_vpn(vpn), tmp_path, recover)
    assert set(outcomes[:-1]) == {"old"}  # recovery always restores the backup


# ----------------------------------------------------------------------------- safety net


def test_no_archive_is_a_prerequisite_error_before_anything_is_applied(
    routers: Callable[..., SimRouter], tmp_path: Path
) -> None:
    router = routers(UNRELATED)
    device, vpn = branch_01()
    device = lab_device(router, device)
    before = router.running_config()
    with pytest.raises(DeviceError, match=r"without an archive.*nothing was changed.* path "):
        push(device, vpn, tmp_path)
    assert router.running_config() == before
    assert "Tunnel1" not in ios(router).startup


def not_up(vpn: VpnConnection) -> DeviceStatus:
    """What verify says when it could read nothing: UNKNOWN, not UP."""
    return tunnel_statuses(vpn, ParsedStatus(), device_name="branch-01", platform="cisco_xe")


def test_rollback_on_down_after_write_memory_saves_the_restored_config(
    routers: Callable[..., SimRouter], tmp_path: Path
) -> None:
    router = routers(UNRELATED + ARCHIVE)
    device, vpn = branch_01()
    device = lab_device(router, device)
    before = comparable_config(router.running_config())
    with connect(device, tmp_path) as session:
        running, plan = compute_plan(DEPLOYER, session, device, vpn, render_config(device, vpn))
        result = push_plan(
            DEPLOYER, session, device, running, plan,
            verify=lambda: not_up(vpn), rollback_on_down=True, backup_dir=tmp_path,
        )  # fmt: skip
    assert result.outcome == "rolled-back"
    assert comparable_config(router.running_config()) == before
    assert comparable_config(ios(router).startup) == before  # a reload keeps the rollback


def test_an_expired_revert_timer_at_confirm_is_an_error_not_applied_and_not_saved(
    routers: Callable[..., SimRouter], tmp_path: Path
) -> None:
    router = routers(UNRELATED + ARCHIVE)
    device, vpn = branch_01()
    device = lab_device(router, device)
    before = comparable_config(router.running_config())
    startup = ios(router).startup

    def slow_verify() -> DeviceStatus:
        router.clock.advance(DEPLOYER.revert_minutes * 60 + 1)  # the router reverts meanwhile
        return not_up(vpn)

    with connect(device, tmp_path) as session:
        running, plan = compute_plan(DEPLOYER, session, device, vpn, render_config(device, vpn))
        with pytest.raises(DeviceError, match="revert timer expired"):
            push_plan(DEPLOYER, session, device, running, plan, verify=slow_verify)
    assert comparable_config(router.running_config()) == before
    assert ios(router).startup == startup  # no write memory


def arm_foreign_revert_timer(router: SimRouter, device: Device, tmp_path: Path) -> None:
    """Another admin's change, then a second one under a 10-minute revert timer."""
    with connect(device, tmp_path) as session:
        session.connection.send_config_set(["interface Loopback8", " description confirmed"])
        session.connection.send_config_set(
            ["interface Loopback7", " description someone else's change"],
            config_mode_command="configure terminal revert timer 10",
        )
    assert ios(router).revert_timer is not None


def test_recover_never_fires_another_admins_pending_revert_timer(
    routers: Callable[..., SimRouter], tmp_path: Path
) -> None:
    router = routers(UNRELATED + ARCHIVE)
    device = lab_device(router, branch_01()[0])
    backup = router.running_config()
    arm_foreign_revert_timer(router, device, tmp_path)
    during = router.running_config()
    with connect(device, tmp_path) as session, pytest.raises(DeviceError, match="not cgw's"):
        DEPLOYER.recover(session, device, DeviceConfig.cli(device.name, device.platform, backup))
    assert router.running_config() == during and ios(router).revert_timer is not None


def test_a_failed_configure_replace_is_recognised() -> None:
    ok = "configure replace flash:x force\nTotal number of passes: 1\nRollback Done\n\nr1#"
    assert rollback_failure(ok) is None
    for output in (
        "configure replace flash:x force\n%Error opening flash:x (File not found)\nr1#",
        "configure replace flash:x force\nRollback aborted after 5 passes\nr1#",
        "configure replace flash:x force\n% Invalid input detected at '^' marker.\nr1#",
        "configure replace flash:x force\nThe rollback configlet from the last pass is listed"
        " below:\n********\n!List of Rollback Commands:\nend\n********\nr1#",
    ):
        assert rollback_failure(output) is not None, output


def test_slow_commands_wait_longer_but_never_past_the_revert_window() -> None:
    from types import SimpleNamespace

    device, _ = branch_01()
    session = SimpleNamespace(device=replace(device, timeout_s=30), connection=SimpleNamespace(
        base_prompt="branch-01"))  # fmt: skip
    channel = IosChannel(session, max_wait_s=DEPLOYER.revert_minutes * 60)  # type: ignore[arg-type]
    assert channel.timeout_for("show crypto ikev2 sa") == 30
    assert channel.timeout_for("write memory") == 120
    assert channel.timeout_for("configure replace flash:cgw-1.cfg force") == 300
    assert channel.timeout_for("configure revert now") == 300
    short = IosChannel(session, max_wait_s=60)  # type: ignore[arg-type]
    assert short.timeout_for("configure replace flash:cgw-1.cfg force") == 60


# ----------------------------------------------------------------------------- end to end


@pytest.mark.parametrize("software", SOFTWARE)
def test_aws_default_tunnel_options_come_up_on_every_profile(
    routers: Callable[..., SimRouter], tmp_path: Path, lab_aws: LabAws, software: str
) -> None:
    from cgw.aws import AwsContext, fetch_vpn_connections
    from cgw.lab.aws_oracle import AwsOracle
    from cgw.platforms import get_platform

    vpn_id = lab_aws.vpn_ids["branch-02"]  # seeded with AWS's default tunnel options
    vpn = fetch_vpn_connections(AwsContext(region="us-east-1"), vpn_ids=[vpn_id])[0]
    assert 2 in vpn.tunnels[0].phase1.dh_groups  # AWS allows group 2 by default
    wan = DEFAULT_IOS_CONFIG.format(outside_ip="203.0.113.12", gateway="203.0.113.1")
    router = routers(wan + ARCHIVE, software, oracle=AwsOracle([vpn_id]))
    device, _ = golden_cases("cisco_xe")["branch-02"]
    device = lab_device(router, replace(device, release=PROFILES[software].release))
    platform = get_platform("cisco_xe")
    with connect(device, tmp_path) as session:
        assert platform.parse_release(session.send_command("show version")) == device.release  # type: ignore[attr-defined]
        running, plan = compute_plan(DEPLOYER, session, device, vpn, render_config(device, vpn))
        push_plan(DEPLOYER, session, device, running, plan, backup_dir=tmp_path)
        outputs = {c: session.send_command(c) for c in platform.verify_commands}  # type: ignore[attr-defined]
    status = device_status(platform, outputs, vpn, device_name=device.name)  # type: ignore[arg-type]
    assert status.overall == "UP", status
    assert status.warnings == ()


# ----------------------------------------------------------------------------- real configs
REAL_CONFIGS = sorted(
    (Path(__file__).parent / "data" / "cisco_ios" / "running_configs").glob("*.txt")
)


def real_device(text: str, device: Device) -> Device:
    """branch-01's device as this router would need it: its WAN port and its own BGP AS."""
    asn = re.search(r"^router bgp (\d+)$", text, re.M)
    wan = re.search(r"^interface (\S+)\n(?: .*\n)*? ip address \d", text, re.M)
    used = {int(n) for n in re.findall(r"^interface Tunnel(\d+)$", text, re.M)}
    free = [n for n in range(1, 100) if n not in used][:2]
    local = replace(
        device.local,
        wan_interface=wan.group(1) if wan else device.local.wan_interface,
        local_asn=int(asn.group(1)) if asn else device.local.local_asn,
        tunnel_numbers=(free[0], free[1]),
    )
    return replace(device, local=local)


def outside_scope(commands: tuple[str, ...], device: Device, vpn: VpnConnection) -> list[str]:
    """Plan lines that touch something cgw does not own for `vpn` on `device`."""
    scope = rules.Scope(
        prefix=f"aws-{vpn.id}",
        tunnels=device.local.tunnel_numbers,
        isakmp_policies=tuple(200 + n for n in device.local.tunnel_numbers),
        neighbours=tuple(str(t.aws_inside_ip) for t in vpn.tunnels),
        networks=tuple(bgp_network(p) for p in device.local.advertised_prefixes),
    )
    owned = [scope.fill(s.pattern) for s in rules.OWNED_SECTIONS]
    bgp_lines = [scope.fill(c) for c in rules.SHARED_SECTIONS[0].children]
    wrong, section = [], ""
    for command in commands:
        if not command.startswith(" "):
            section = command.removeprefix("no ")
            if not (any(p.search(section) for p in owned) or section.startswith("router bgp ")):
                wrong.append(command)
        elif section.startswith("router bgp "):
            line = command.strip().removeprefix("no ")
            if not (line.startswith("address-family ") or any(p.search(line) for p in bgp_lines)):
                wrong.append(command)
    return wrong


@pytest.mark.parametrize("path", REAL_CONFIGS, ids=lambda p: p.stem)
def test_a_real_router_config_gets_the_vpn_and_nothing_else_changes(path: Path) -> None:
    text = path.read_text(encoding="utf-8")
    device, vpn = branch_01()
    device = real_device(text, device)
    owned = owned_text(DEPLOYER, text, device, vpn)
    plan = plan_text(DEPLOYER, owned, render_config(device, vpn), device, vpn)
    assert plan.remove == ()
    assert f"interface Tunnel{device.local.tunnel_numbers[0]}" in plan.commands
    assert outside_scope(plan.commands, device, vpn) == []


def test_another_vpns_tunnel_interface_is_never_taken_over() -> None:
    # AWS-sample-built VPNs on Tunnel1..4 (batfish lab-validation, a real IOS-XE 16.4 router).
    path = REAL_CONFIGS[0].parent / "batfish_eos_iosxe_aws_demo__exitgw.txt"
    text = path.read_text(encoding="utf-8")
    device, vpn = branch_01()
    assert device.local.tunnel_numbers == (1, 2)
    with pytest.raises(DeviceError, match=r"`interface Tunnel1` exists and is not cgw's"):
        owned_text(
            DEPLOYER, text, replace(device, local=replace(device.local, local_asn=65100)), vpn
        )


def test_there_are_at_least_ten_sourced_real_configs() -> None:
    sources = (REAL_CONFIGS[0].parent / "SOURCES.md").read_text(encoding="utf-8")
    assert len(REAL_CONFIGS) >= 10
    assert all(path.name in sources for path in REAL_CONFIGS)


@pytest.mark.parametrize("path", REAL_CONFIGS, ids=lambda p: p.stem)
def test_a_real_router_config_pushed_on_the_simulator_then_planned_again_is_empty(
    routers: Callable[..., SimRouter], tmp_path: Path, path: Path
) -> None:
    text = path.read_text(encoding="utf-8")
    has_archive = re.search(r"^archive\n path ", text, re.M)
    router = routers(text.rstrip("\n") + "\n" + ("" if has_archive else ARCHIVE), "17.12")
    before = unrelated_lines(router.running_config())
    device, vpn = branch_01()
    device = lab_device(router, real_device(text, device))
    push(device, vpn, tmp_path)
    assert replan(device, vpn, tmp_path) == ()
    kept = iter(unrelated_lines(router.running_config()))
    assert all(line in kept for line in before)  # every line of the router's own, in order


# ----------------------------------------------------------------------------- --prune
OLD_ID = "vpn-0fedcba9876543210"  # the VPN this device used before (a valid 17-digit id)


def test_an_old_vpns_objects_stay_without_prune_and_go_with_it() -> None:
    device, vpn = branch_01()
    old = replace(vpn, id=OLD_ID)
    moved = replace(device, local=replace(device.local, tunnel_numbers=(11, 12)))
    running = as_device_prints(UNRELATED + rendered_text(moved, old) + rendered_text(device, vpn))
    assert plan_from_text(running, device, vpn) == ()  # without --prune: nothing of the old VPN
    pruned = plan_text(
        DEPLOYER,
        owned_text(DEPLOYER, running, device, vpn, prune=True),
        render_config(device, vpn),
        device,
        vpn,
    )
    removed = [c for c in pruned.commands if c.startswith("no ")]
    assert all(
        OLD_ID in c or c in ("no interface Tunnel11", "no interface Tunnel12") for c in removed
    )
    assert "no interface Tunnel11" in pruned.commands and "no interface Tunnel12" in pruned.commands
    assert f"no crypto ikev2 keyring aws-{OLD_ID}-t1" in pruned.commands
    assert f"no ip prefix-list aws-{OLD_ID}-networks seq 5 permit 10.11.0.0/16" in pruned.commands
    assert " no neighbor 169.254.101.1" not in pruned.commands  # the same peer: the current VPN's
    assert "no crypto ipsec df-bit clear" not in pruned.commands  # shared global line
    # Another VPN whose id merely starts like ours, a hand-made tunnel and BGP peer: untouched.
    for foreign in ("0a1b2c3d4e5f600119", "Tunnel99", "10.11.0.254", "10.99.0.0"):
        assert not [c for c in pruned.commands if foreign in c], foreign


def test_an_old_vpns_tunnel_on_our_number_asks_for_prune() -> None:
    device, vpn = branch_01()
    running = as_device_prints(rendered_text(device, replace(vpn, id=OLD_ID)))
    with pytest.raises(DeviceError, match="--prune"):
        owned_text(DEPLOYER, running, device, vpn)
    pruned = owned_text(DEPLOYER, running, device, vpn, prune=True)
    commands = plan_text(DEPLOYER, pruned, render_config(device, vpn), device, vpn).commands
    assert (
        "interface Tunnel1" in commands and f"no crypto ikev2 profile aws-{OLD_ID}-t1" in commands
    )


# ----------------------------------------------------------------------------- the simulator
def test_every_simulator_behaviour_names_releases_and_a_source_or_an_assumption() -> None:
    from cgw.lab.routers.ios_profiles import BEHAVIOURS

    assert len(BEHAVIOURS) >= 10
    for row in BEHAVIOURS:
        assert row.releases and row.behaviour
        assert row.source.startswith("assumption") or re.search(
            r"cisco\.com|github|ntc-templates|Field Notice|issue #9|AWS's|netmiko|transcript",
            row.source,
        ), row


def test_the_simulator_never_imports_cgw_platforms() -> None:
    import ast

    import cgw.lab.routers as routers_package

    folder = Path(routers_package.__file__).parent
    for name in ("ios.py", "iosconfig.py", "ios_profiles.py", "show_output.py"):
        tree = ast.parse((folder / name).read_text(encoding="utf-8"))
        imported = [
            node.module or "" for node in ast.walk(tree) if isinstance(node, ast.ImportFrom)
        ] + [a.name for node in ast.walk(tree) if isinstance(node, ast.Import) for a in node.names]
        assert not [m for m in imported if m.startswith("cgw.platforms")], name


@pytest.mark.parametrize(
    ("software", "refused"), [("15.9", False), ("17.9", False), ("17.12", True)]
)
def test_weak_dh_groups_are_refused_only_from_ios_xe_17_11(
    routers: Callable[..., SimRouter], tmp_path: Path, software: str, refused: bool
) -> None:
    router = routers(UNRELATED + ARCHIVE, software)
    device = lab_device(router, branch_01()[0])
    with connect(device, tmp_path) as session:
        output = session.connection.send_config_set(
            ["crypto ikev2 proposal weak-test", " encryption aes-cbc-256", " integrity sha256",
             " group 14 2"]
        )  # fmt: skip
        version = session.send_command("show version")
    assert ("compliance shield" in output) is refused
    assert ("group 14 2" in router.running_config()) is not refused
    assert PROFILES[software].release in version
