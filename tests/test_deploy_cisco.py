"""IOS diff and push: ownership, hier_config plans with cgw's rules, pushes to a simulated router.

The push tests drive the simulated IOS-XE router over real SSH (netmiko through cgw.session,
host key pinned in a known_hosts file) and judge the router's own running configuration.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from dataclasses import replace
from ipaddress import IPv4Network, ip_address
from pathlib import Path

import pytest
from render_cases import golden_cases

from cgw.errors import DeviceError
from cgw.lab.routers import SimRouter, start_router
from cgw.lab.routers.ios import IosState
from cgw.lab.routers.iosconfig import IosConfig
from cgw.model import Credentials, Device, VpnConnection
from cgw.platforms.cisco_ios import rules
from cgw.platforms.cisco_ios.deploy import (
    DEPLOYER,
    blocks,
    comparable_config,
    masked_line,
    rejected_line,
)
from cgw.push import compute_plan, push_plan
from cgw.render import render_config
from cgw.secrets import PreSharedKey
from cgw.session import Session, open_session

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
    owned = DEPLOYER.owned(running, device, vpn)
    return DEPLOYER.plan(owned, render_config(device, vpn), device, vpn).commands


# ----------------------------------------------------------------------------- ownership


def test_owned_keeps_only_this_vpns_objects_tunnels_neighbours_and_routes() -> None:
    device, vpn = branch_01()
    route = "ip route 10.100.0.0 255.255.0.0 Tunnel2\n"
    running = as_device_prints(UNRELATED + rendered_text(device, vpn) + route)
    owned = DEPLOYER.owned(running, device, vpn)
    assert "aws-vpn-0a1b2c3d4e5f600119" not in owned
    for foreign in ("interface GigabitEthernet", "Tunnel99", "10.11.0.254", "10.99.0.0"):
        assert foreign not in owned
    assert "bgp log-neighbor-changes" not in owned
    assert route in owned
    # Everything cgw renders is owned: the owned part of (unrelated + rendered) plans nothing.
    assert plan_from_text(running.replace(route, ""), device, vpn) == ()


def test_owned_router_bgp_holds_only_the_aws_neighbours_and_advertised_networks() -> None:
    device, vpn = branch_01()
    owned = DEPLOYER.owned(as_device_prints(UNRELATED + rendered_text(device, vpn)), device, vpn)
    bgp = owned[owned.index("router bgp") :]
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
    assert DEPLOYER.owned(UNRELATED, device, vpn) == ""


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
            (f"crypto ikev2 keyring {T1}", f" peer {T1}", "  pre-shared-key rotatedTunnel1Key"),
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
    )


def test_type7_keys_are_compared_in_clear_and_type6_keys_are_left_alone_with_a_note() -> None:
    device, vpn = branch_01()
    assert rules.decode_type7("02050D480809") == "cisco"
    text = rendered_text(device, vpn)
    type7 = text.replace("pre-shared-key branch01Tunnel1Key", "pre-shared-key 0 branch01Tunnel1Key")
    assert plan_from_text(type7, device, vpn) == ()
    type6 = text.replace(
        "pre-shared-key branch01Tunnel2Key", "pre-shared-key 6 FLgBaJHXdYY_AcHZZMgQ_RhTDJXHUBAAB"
    )
    owned = DEPLOYER.owned(type6, device, vpn)
    plan = DEPLOYER.plan(owned, render_config(device, vpn), device, vpn)
    assert plan.in_sync
    assert len(plan.notes) == 1 and "type 6" in plan.notes[0]
    assert "branch01Tunnel2Key" not in plan.notes[0]


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

    def start(initial_config: str = UNRELATED) -> SimRouter:
        router = start_router(
            "cisco_xe",
            hostname="branch-01",
            username="admin",
            password=PASSWORD,
            host_key_path=tmp_path / f"router-{len(started)}.key",
            initial_config=initial_config,
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


@pytest.mark.parametrize("archive", [True, False], ids=["revert-timer", "no-archive"])
def test_first_push_applies_and_second_plan_is_empty(
    routers: Callable[..., SimRouter], tmp_path: Path, archive: bool
) -> None:
    router = routers(UNRELATED + (ARCHIVE if archive else ""))
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


def test_a_changed_psk_destination_and_group_are_pushed_in_place(
    routers: Callable[..., SimRouter], tmp_path: Path
) -> None:
    router = routers(UNRELATED + ARCHIVE)
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


@pytest.mark.parametrize("archive", [True, False], ids=["revert-timer", "no-archive"])
def test_a_rejected_line_rolls_back_and_is_named(
    routers: Callable[..., SimRouter], tmp_path: Path, archive: bool
) -> None:
    router = routers(UNRELATED + (ARCHIVE if archive else ""))
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


def test_a_drop_at_any_line_leaves_old_or_new_config_via_the_revert_timer(
    routers: Callable[..., SimRouter], tmp_path: Path
) -> None:
    router = routers(UNRELATED + ARCHIVE)
    device, vpn = branch_01()
    device = lab_device(router, device)
    push(device, vpn, tmp_path)

    def revert_timer_expires(backup: str) -> None:
        router.clock.advance(DEPLOYER.revert_minutes * 60 + 1)

    outcomes = drop_at_every_line(router, device, changed_vpn(vpn), tmp_path, revert_timer_expires)
    assert outcomes[0] == "old" and outcomes.count("new") >= 2  # cut after `configure confirm`


def test_a_drop_at_any_line_leaves_old_or_new_config_after_recover(
    routers: Callable[..., SimRouter], tmp_path: Path
) -> None:
    router = routers(UNRELATED)
    device, vpn = branch_01()
    device = lab_device(router, device)
    push(device, vpn, tmp_path)

    def recover(backup: str) -> None:
        with connect(device, tmp_path) as session:
            DEPLOYER.recover(session, device, backup)

    outcomes = drop_at_every_line(router, device, changed_vpn(vpn), tmp_path, recover)
    assert set(outcomes[:-1]) == {"old"}  # recovery always restores the backup
