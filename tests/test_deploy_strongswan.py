"""strongSwan diff and push over real SSH: the simulated Linux host, and one real OpenSSH sshd."""

from __future__ import annotations

import fnmatch
import os
import stat
import subprocess
from collections.abc import Iterator
from dataclasses import replace
from ipaddress import IPv4Network
from pathlib import Path

import pytest
from render_cases import golden_cases, with_local

from cgw.errors import DeviceError
from cgw.lab.routers import SimRouter, start_router
from cgw.model import Credentials, Device, DeviceConfig, RenderedConfig, RenderedFile, VpnConnection
from cgw.platforms.base import Plan
from cgw.platforms.strongswan import PLATFORM, host_files
from cgw.platforms.strongswan.deploy import (
    CGW_FILE_PATTERNS,
    DEPLOYER,
    StrongswanDeployer,
    activation_steps,
    frr_removals,
    frr_tree,
)
from cgw.push import PushResult, compute_plan, push_plan
from cgw.secrets import PreSharedKey
from cgw.session import open_session

PASSWORD = "lab-password"
PASSWORD_ENV = "CGW_TEST_LINUX_PASSWORD"
NEW_PSK = "changedTunnel1Key_99"
# The host's own FRR config: a neighbour cgw does not own, which must survive every push.
HAND_WRITTEN_FRR = """\
frr version 8.4.4
frr defaults traditional
hostname branch-03
service integrated-vtysh-config
!
router bgp 65011
 neighbor 10.9.9.9 remote-as 65100
 neighbor 10.9.9.9 description hand-written
!
line vty
!
"""
FOREIGN_FILES = {
    "/etc/swanctl/conf.d/site-b.conf": "connections { }\n",
    "/etc/swanctl/conf.d/aws-vpn-0fedcba987654321f.conf": "# another VPN's file\n",
}


# --- pure parts ------------------------------------------------------------------------------
def test_every_rendered_path_matches_a_listed_pattern() -> None:
    for device, vpn in golden_cases("strongswan").values():
        for path, _, _ in host_files(device, vpn):
            assert any(fnmatch.fnmatch(path, p) for p in CGW_FILE_PATTERNS), path


def test_first_push_runs_the_interface_script_before_loading_the_connections() -> None:
    """libipsec: the script puts charon's table behind main before an SA routes 0/0 into ipsec0.

    charon reads routing_table_prio only when it starts and cgw never restarts it, so a
    connection loaded first would take this very SSH session's replies into ipsec0.
    """
    device, vpn = golden_cases("strongswan")["branch-01"]
    device = with_local(device, strongswan_dataplane="libipsec")
    intended = PLATFORM.render(device, vpn)
    nothing = DeviceConfig(device.name, device.platform, ())
    plan = DEPLOYER.plan(DEPLOYER.owned(nothing, device, vpn), intended, device, vpn)
    target = {f.path: f.content for f in intended.files}
    commands = [step.command for step in activation_steps(plan.files, target)]
    script = next(f.path for f in intended.files if f.path.endswith("-interfaces.sh"))
    assert commands[:3] == ["swanctl --reload-settings", script, "swanctl --load-all"]
    assert list(plan.commands) == commands
    assert any("systemctl restart strongswan" in note for note in plan.notes)


def test_frr_removals_remove_a_gone_neighbour_whole_and_keep_the_shared_instance() -> None:
    old = (
        "router bgp 65011\n neighbor 169.254.1.1 remote-as 64512\n"
        " neighbor 169.254.1.1 timers 10 30\n neighbor 169.254.2.1 remote-as 64512\n !\n"
        " address-family ipv4 unicast\n  network 10.1.0.0/16\n"
        "  neighbor 169.254.1.1 route-map x-in in\n exit-address-family\nexit\n!\n"
        "ip prefix-list x-out seq 5 permit 10.1.0.0/16\nroute-map x-in permit 10\nexit\n"
    )
    new = (
        "router bgp 65011\n neighbor 169.254.2.1 remote-as 64512\n"
        " address-family ipv4 unicast\n exit-address-family\nroute-map x-in permit 10\n"
    )
    assert frr_removals(old, new) == (
        "router bgp 65011",
        " no neighbor 169.254.1.1",
        " address-family ipv4 unicast",
        "  no network 10.1.0.0/16",
        " exit-address-family",
        "exit",
        "no ip prefix-list x-out seq 5 permit 10.1.0.0/16",
    )
    assert frr_removals(new, new) == ()
    # Removing everything never removes `router bgp` itself: other neighbours may live there.
    assert "no router bgp 65011" not in frr_removals(old, "")


# --- the simulated host ----------------------------------------------------------------------
@pytest.fixture
def router(tmp_path: Path) -> Iterator[SimRouter]:
    sim = start_router(
        "linux",
        hostname="branch-03",
        username="root",
        password=PASSWORD,
        host_key_path=tmp_path / "host.key",
        initial_config=HAND_WRITTEN_FRR,
    )
    for path, text in FOREIGN_FILES.items():
        sim.state.files[path] = text.encode()
    yield sim
    sim.stop()


@pytest.fixture
def known_hosts(router: SimRouter, tmp_path: Path) -> Path:
    path = tmp_path / "known_hosts"
    path.write_text(router.known_hosts_line() + "\n")
    return path


@pytest.fixture
def case(router: SimRouter, monkeypatch: pytest.MonkeyPatch) -> tuple[Device, VpnConnection]:
    monkeypatch.setenv(PASSWORD_ENV, PASSWORD)
    device, vpn = golden_cases("strongswan")["branch-01"]
    device = replace(
        with_local(device, wan_interface="eth0"),
        port=router.port,
        credentials=Credentials(username="root", password_env=PASSWORD_ENV),
        timeout_s=10,
    )
    return device, vpn


def with_psk(vpn: VpnConnection, psk: str) -> VpnConnection:
    first, second = vpn.tunnels
    return replace(vpn, tunnels=(replace(first, psk=PreSharedKey(psk)), second))


def plan_for(
    device: Device, vpn: VpnConnection, known_hosts: Path, intended: RenderedConfig | None = None
) -> tuple[str, Plan]:
    with open_session(device, "linux", known_hosts=known_hosts) as session:
        return compute_plan(
            DEPLOYER, session, device, vpn, intended or PLATFORM.render(device, vpn)
        )


def push(
    device: Device,
    vpn: VpnConnection,
    known_hosts: Path,
    backups: Path,
    intended: RenderedConfig | None = None,
) -> PushResult:
    with open_session(device, "linux", known_hosts=known_hosts) as session:
        running, plan = compute_plan(
            DEPLOYER, session, device, vpn, intended or PLATFORM.render(device, vpn)
        )
        return push_plan(DEPLOYER, session, device, running, plan, backup_dir=backups)


def frr_shape(text: str) -> frozenset[tuple[str, ...]]:
    """FRR config as a set of line paths: order-free, as FRR itself prints it canonically."""

    def walk(
        nodes: list[tuple[str, list[object]]], parents: tuple[str, ...]
    ) -> Iterator[tuple[str, ...]]:
        for line, children in nodes:
            yield (*parents, line)
            yield from walk(children, (*parents, line))  # type: ignore[arg-type]

    return frozenset(walk(frr_tree(text), ()))  # type: ignore[arg-type]


def is_staged(path: str) -> bool:
    """cgw's hidden staging and helper files: left behind by a drop, harmless, cleaned later."""
    return path.rsplit("/", 1)[-1].startswith(".") and ".cgw-" in path


def host_state(router: SimRouter) -> tuple[object, ...]:
    """Everything a push may change: files (with modes), what charon loaded, bgpd's config."""
    state = router.state
    files = tuple(
        sorted(
            (path, data, state.modes.get(path))
            for path, data in state.files.items()
            if path != "/etc/frr/frr.conf" and not is_staged(path)
        )
    )
    saved = state.files.get("/etc/frr/frr.conf", b"").decode()
    return files, state.loaded_text, frr_shape(state.frr_running), frr_shape(saved)


def test_first_push_places_and_loads_the_files_and_a_second_plan_is_empty(
    router: SimRouter, known_hosts: Path, case: tuple[Device, VpnConnection], tmp_path: Path
) -> None:
    device, vpn = case
    intended = PLATFORM.render(device, vpn)
    _, first = plan_for(device, vpn, known_hosts)
    assert sorted(c.path for c in first.files) == sorted(f.path for f in intended.files)
    assert all(c.old is None for c in first.files)

    result = push(device, vpn, known_hosts, tmp_path / "backups")

    assert result.outcome == "applied"
    for rendered in intended.files:
        assert router.state.files[rendered.path].decode() == rendered.content
        assert router.state.modes[rendered.path] == rendered.mode
    assert "aws-vpn-0a1b2c3d4e5f60011-t1" in router.state.connections
    assert " neighbor 169.254.101.1 remote-as 64512" in router.state.frr_running
    assert " neighbor 10.9.9.9 remote-as 65100" in router.state.frr_running
    saved = router.state.files["/etc/frr/frr.conf"].decode()
    assert "neighbor 169.254.101.1 remote-as 64512" in saved  # write memory: survives a reboot
    script = next(f.path for f in intended.files if f.path.endswith("-interfaces.sh"))
    assert any(event.endswith(f"ran {script}") for event in router.context.events)
    assert not [p for p in router.state.files if ".cgw-" in p], "staged files left behind"
    for path, text in FOREIGN_FILES.items():
        assert router.state.files[path].decode() == text

    _, second = plan_for(device, vpn, known_hosts)
    assert second.in_sync
    assert second.unified_diff() == ""


def test_changed_psk_changes_only_the_swanctl_file(
    router: SimRouter, known_hosts: Path, case: tuple[Device, VpnConnection], tmp_path: Path
) -> None:
    device, vpn = case
    push(device, vpn, known_hosts, tmp_path / "backups")
    changed = with_psk(vpn, NEW_PSK)

    _, plan = plan_for(device, changed, known_hosts)

    assert [c.path for c in plan.files] == ["/etc/swanctl/conf.d/aws-vpn-0a1b2c3d4e5f60011.conf"]
    diff = plan.unified_diff()
    assert [line for line in diff.splitlines() if line.startswith(("-  ", "+  "))] == [
        '-        secret = "branch01Tunnel1Key"',
        f'+        secret = "{NEW_PSK}"',
    ]
    assert not any(c.startswith("vtysh") for c in plan.commands)
    result = push(device, changed, known_hosts, tmp_path / "backups")
    assert result.outcome == "applied"
    assert f'secret = "{NEW_PSK}"' in router.state.loaded_text
    assert plan_for(device, changed, known_hosts)[1].in_sync


def test_fewer_advertised_prefixes_remove_their_frr_lines_and_nothing_else(
    router: SimRouter, known_hosts: Path, case: tuple[Device, VpnConnection], tmp_path: Path
) -> None:
    device, vpn = case
    two = with_local(
        device, advertised_prefixes=(IPv4Network("10.11.0.0/16"), IPv4Network("10.99.0.0/16"))
    )
    push(two, vpn, known_hosts, tmp_path / "backups")
    assert "  network 10.99.0.0/16" in router.state.frr_running

    _, plan = plan_for(device, vpn, known_hosts)
    assert [c.path for c in plan.files] == ["/etc/frr/cgw-aws-vpn-0a1b2c3d4e5f60011.conf"]
    assert any("no network 10.99.0.0/16" in note for note in plan.notes)
    push(device, vpn, known_hosts, tmp_path / "backups")

    assert "10.99.0.0/16" not in router.state.frr_running
    assert "  network 10.11.0.0/16" in router.state.frr_running
    assert " neighbor 10.9.9.9 description hand-written" in router.state.frr_running
    assert "10.99.0.0/16" not in router.state.files["/etc/frr/frr.conf"].decode()
    assert plan_for(device, vpn, known_hosts)[1].in_sync


def test_static_routing_removes_the_frr_fragment_and_its_neighbours(
    router: SimRouter, known_hosts: Path, case: tuple[Device, VpnConnection], tmp_path: Path
) -> None:
    device, vpn = case
    push(device, vpn, known_hosts, tmp_path / "backups")
    static = replace(vpn, routing="static")
    device = with_local(device, static_routes=(IPv4Network("10.100.0.0/16"),))

    _, plan = plan_for(device, static, known_hosts)
    frr = [c for c in plan.files if c.path.startswith("/etc/frr/")]
    assert len(frr) == 1 and frr[0].new is None
    push(device, static, known_hosts, tmp_path / "backups")

    assert "/etc/frr/cgw-aws-vpn-0a1b2c3d4e5f60011.conf" not in router.state.files
    assert "169.254.101.1" not in router.state.frr_running
    assert "aws-vpn-0a1b2c3d4e5f60011" not in router.state.frr_running
    assert " neighbor 10.9.9.9 remote-as 65100" in router.state.frr_running
    assert plan_for(device, static, known_hosts)[1].in_sync


def test_refused_swanctl_file_restores_the_previous_files_and_names_the_step(
    router: SimRouter, known_hosts: Path, case: tuple[Device, VpnConnection], tmp_path: Path
) -> None:
    device, vpn = case
    push(device, vpn, known_hosts, tmp_path / "backups")
    before = host_state(router)
    changed = with_psk(vpn, NEW_PSK)
    rendered = PLATFORM.render(device, changed)
    broken = RenderedConfig(
        rendered.device,
        rendered.platform,
        rendered.vpn_id,
        tuple(
            replace(f, content=f.content + "connections {\n")
            if f.path.startswith("/etc/swanctl/")
            else f
            for f in rendered.files
        ),
    )

    with pytest.raises(DeviceError) as raised:
        push(device, changed, known_hosts, tmp_path / "backups", intended=broken)

    message = str(raised.value)
    assert "swanctl --load-all" in message and "restored" in message
    assert NEW_PSK not in message and "branch01Tunnel" not in message
    assert host_state(router) == before


def test_connection_dropped_after_any_line_leaves_old_or_new_after_recovery(
    router: SimRouter, known_hosts: Path, case: tuple[Device, VpnConnection], tmp_path: Path
) -> None:
    device, vpn = case
    old_device = with_local(
        device, advertised_prefixes=(IPv4Network("10.11.0.0/16"), IPv4Network("10.99.0.0/16"))
    )
    new_vpn = with_psk(vpn, NEW_PSK)
    push(old_device, vpn, known_hosts, tmp_path / "backups")
    old = host_state(router)
    with open_session(device, "linux", known_hosts=known_hosts) as session:
        backup = DEPLOYER.read_running(session)
    before = router.context.lines_received
    push(device, new_vpn, known_hosts, tmp_path / "backups")
    new = host_state(router)
    lines = router.context.lines_received - before
    assert old != new and lines > 20

    outcomes = set()
    for k in range(1, lines + 3):  # past the last line: the push completes
        if host_state(router) != old:
            push(old_device, vpn, known_hosts, tmp_path / "backups")
        assert host_state(router) == old
        router.faults.drop_after_lines = k
        try:
            push(device, new_vpn, known_hosts, tmp_path / "backups")
            dropped = False
        except DeviceError:
            dropped = True
        router.faults.clear()
        if dropped:
            with open_session(device, "linux", known_hosts=known_hosts) as session:
                DEPLOYER.recover(session, device, backup)
        state = host_state(router)
        assert state in (old, new), f"mixed state after a drop at line {k}"
        outcomes.add("old" if state == old else "new")
    assert outcomes == {"old", "new"}


# --- a real OpenSSH sshd and a real shell ---------------------------------------------------
FAKE_SWANCTL = """\
#!/bin/sh
# Test double: refuses a conf.d file holding BROKEN, logs every call.
echo "swanctl $*" >> {log}
if grep -qs BROKEN {root}/etc/swanctl/conf.d/*.conf; then
    echo "loading connection 'x' failed: syntax error"
    exit 1
fi
echo "successfully loaded 2 connections, 0 unloaded"
"""
FAKE_VTYSH = '#!/bin/sh\necho "vtysh $*" >> {log}\n'


def test_upload_and_atomic_rename_over_a_real_shell(tmp_path: Path) -> None:
    sshd_lab = pytest.importorskip("sshd_lab")
    if os.geteuid() != 0:
        pytest.skip("the real-sshd push test logs in as root")
    root = tmp_path / "host"
    bin_dir = tmp_path / "bin"
    bin_dir.mkdir()
    log = tmp_path / "calls.log"
    for name, text in (("swanctl", FAKE_SWANCTL), ("vtysh", FAKE_VTYSH)):
        (bin_dir / name).write_text(text.format(log=log, root=root))
        (bin_dir / name).chmod(0o755)
    (root / "etc/swanctl/conf.d").mkdir(parents=True)
    deployer = StrongswanDeployer(root=str(root))

    device, vpn = golden_cases("strongswan")["branch-01"]
    rendered = PLATFORM.render(device, vpn)
    ran = tmp_path / "interfaces-ran"
    long_line = "# " + "x" * 1500 + "\n"  # far past the pty's ~500-character line limit
    intended = RenderedConfig(
        rendered.device,
        rendered.platform,
        rendered.vpn_id,
        tuple(
            RenderedFile(f.path, f"#!/bin/sh\ntouch {ran}\n", f.mode)
            if f.path.endswith("-interfaces.sh")  # never run the real script on this machine
            else replace(f, content=long_line + f.content)
            for f in rendered.files
        ),
    )
    with sshd_lab.running_sshd(tmp_path / "sshd") as lab:
        known_hosts = tmp_path / "known_hosts"
        scanned = subprocess.run(
            ["ssh-keyscan", "-t", "ed25519", "-p", str(lab.port), "127.0.0.1"],
            check=True,
            capture_output=True,
            text=True,
        )
        known_hosts.write_text(scanned.stdout)
        device = replace(
            device,
            port=lab.port,
            credentials=Credentials(username=lab.user, key_file=str(lab.client_key)),
            timeout_s=10,
        )
        with open_session(device, "linux", known_hosts=known_hosts) as session:
            session.send_command(f"export PATH={bin_dir}:$PATH")
            running, plan = compute_plan(deployer, session, device, vpn, intended)
            assert len(plan.files) == 4
            result = push_plan(deployer, session, device, running, plan, backup_dir=tmp_path)
            assert result.outcome == "applied"
            for f in intended.files:
                placed = root / f.path.lstrip("/")
                assert placed.read_text() == f.content
                assert stat.S_IMODE(placed.stat().st_mode) == f.mode
            assert ran.exists()
            assert not list(root.rglob("*.cgw-*")), "staged files left behind"
            assert compute_plan(deployer, session, device, vpn, intended)[1].in_sync

            # swanctl refuses the next file: the previous one is back in place, byte for byte.
            broken = RenderedConfig(
                intended.device,
                intended.platform,
                intended.vpn_id,
                tuple(
                    replace(f, content=f.content + "# BROKEN\n")
                    if f.path.startswith("/etc/swanctl/")
                    else f
                    for f in intended.files
                ),
            )
            running, plan = compute_plan(deployer, session, device, vpn, broken)
            with pytest.raises(DeviceError, match="swanctl --load-all"):
                push_plan(deployer, session, device, running, plan, backup_dir=tmp_path)
            assert compute_plan(deployer, session, device, vpn, intended)[1].in_sync
    calls = log.read_text()
    assert "swanctl --load-all" in calls
    assert f"vtysh -f {root}/etc/frr/cgw-aws-vpn-0a1b2c3d4e5f60011.conf" in calls
