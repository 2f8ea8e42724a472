"""Push branch-01's whole config to a simulated IOS-XE router answering each line 20 ms late.

    python benchmarks/push_latency.py [--latency-ms 20] [--repeat 3]

cgw's path is the transaction (prepare + apply + confirm): a backup file on the router, a revert
timer, the plan written in blocks with errors found in the echo, `configure confirm` and
`write memory`. The baseline sends the same lines with netmiko's `send_config_set(lines)` and
its defaults (one line at a time, waiting for each echo and prompt). The router is reset to its
bare configuration before every run. Target: ratio <= 0.5.
"""

from __future__ import annotations

import argparse
import logging
import os
import statistics
import tempfile
import time
from ipaddress import IPv4Network, ip_address
from pathlib import Path

from netmiko import ConnectHandler

from cgw.lab.routers import Faults, SimRouter, start_router
from cgw.lab.routers.ios import IosState
from cgw.model import (
    BgpPeering,
    Credentials,
    CustomerGateway,
    Device,
    Dpd,
    Gateway,
    LocalSettings,
    Proposal,
    Tunnel,
    VpnConnection,
    VpnSelector,
)
from cgw.platforms.cisco_ios.deploy import DEPLOYER
from cgw.secrets import PreSharedKey
from cgw.session import open_session
from cgw.workflow import render_config

USERNAME = "admin"
PASSWORD = "bench-password"
PASSWORD_ENV = "CGW_BENCH_IOS_PASSWORD"
BARE_CONFIG = """\
interface GigabitEthernet1
 ip address 203.0.113.11 255.255.255.0
 negotiation auto
archive
 path bootflash:cgw-archive
 maximum 5
ip route 0.0.0.0 0.0.0.0 203.0.113.1
"""


def branch_01_vpn() -> VpnConnection:
    """The lab's branch-01 VPN: IKEv2, tunnel 1 GCM/group 20, tunnel 2 CBC/group 14, BGP."""
    bgp = BgpPeering(aws_asn=64512, cgw_asn=65011)

    def tunnel(number: int, aws_ip: str, inside: str, key: str, gcm: bool) -> Tunnel:
        cidr = IPv4Network(inside)
        cipher, group = ("AES256-GCM-16", 20) if gcm else ("AES256", 14)
        return Tunnel(
            number=number,
            aws_outside_ip=ip_address(aws_ip),
            cgw_outside_ip=ip_address("203.0.113.11"),
            inside_cidr=cidr,
            aws_inside_ip=cidr.network_address + 1,
            cgw_inside_ip=cidr.network_address + 2,
            psk=PreSharedKey(key),
            ike_versions=("ikev2",),
            phase1=Proposal((cipher,), ("SHA2-256",), (group,), 28800, phase=1),
            phase2=Proposal((cipher,), ("SHA2-256",), (group,), 3600, phase=2),
            bgp=bgp,
            dpd=Dpd() if gcm else Dpd(action="restart"),
        )

    return VpnConnection(
        id="vpn-0a1b2c3d4e5f60011",
        type="ipsec.1",
        gateway=Gateway(kind="vgw", id="vgw-0a1b2c3d4e5f60001"),
        customer_gateway=CustomerGateway(
            id="cgw-0a1b2c3d4e5f60011", ip=ip_address("203.0.113.11"), asn=65011
        ),
        routing="bgp",
        tunnels=(
            tunnel(1, "198.51.100.11", "169.254.101.0/30", "branch01Tunnel1Key", gcm=True),
            tunnel(2, "198.51.100.12", "169.254.101.4/30", "branch01Tunnel2Key", gcm=False),
        ),
        amazon_side_asn=64512,
    )


def branch_01_device(port: int) -> Device:
    return Device(
        name="branch-01",
        host="127.0.0.1",
        platform="cisco_xe",
        vpn=VpnSelector(customer_gateway_ip=ip_address("203.0.113.11")),
        local=LocalSettings(
            wan_interface="GigabitEthernet1", advertised_prefixes=(IPv4Network("10.11.0.0/16"),)
        ),
        port=port,
        credentials=Credentials(
            username=USERNAME, password_env=PASSWORD_ENV, secret_env=PASSWORD_ENV
        ),
    )


def reset(router: SimRouter, bare: str) -> None:
    """Back to the bare configuration, no revert timer pending, no faults but the latency."""
    state = router.state
    assert isinstance(state, IosState)
    with router.context.lock:
        state.replace_running(bare)
        state.confirm()


def time_cgw(router: SimRouter, device: Device, vpn: VpnConnection, known_hosts: Path) -> float:
    """Seconds for cgw's prepare + apply + confirm of the full plan."""
    with open_session(device, "cisco_xe", known_hosts=known_hosts) as session:
        running = DEPLOYER.read_running(session)
        owned = DEPLOYER.owned(running, device, vpn)
        plan = DEPLOYER.plan(owned, render_config(device, vpn), device, vpn)
        transaction = DEPLOYER.transaction(session, plan, running)
        started = time.perf_counter()
        transaction.prepare()
        transaction.apply()
        transaction.confirm()
        return time.perf_counter() - started


def time_netmiko(router: SimRouter, lines: list[str]) -> float:
    """Seconds for netmiko's `send_config_set(lines)` with its defaults."""
    connection = ConnectHandler(
        device_type="cisco_xe",
        host="127.0.0.1",
        port=router.port,
        username=USERNAME,
        password=PASSWORD,
        secret=PASSWORD,
        allow_agent=False,
        use_keys=False,
    )
    try:
        connection.enable()
        started = time.perf_counter()
        connection.send_config_set(lines)
        return time.perf_counter() - started
    finally:
        connection.disconnect()


def main(argv: list[str] | None = None) -> int:
    # The simulated router's paramiko server logs every client hang-up; not benchmark output.
    logging.getLogger("paramiko").setLevel(logging.CRITICAL)
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--latency-ms", type=float, default=20.0)
    parser.add_argument("--repeat", type=int, default=3)
    args = parser.parse_args(argv)
    os.environ[PASSWORD_ENV] = PASSWORD
    with tempfile.TemporaryDirectory(prefix="cgw-bench-") as scratch:
        directory = Path(scratch)
        router = start_router(
            "cisco_xe",
            hostname="branch-01",
            username=USERNAME,
            password=PASSWORD,
            host_key_path=directory / "host.key",
            initial_config=BARE_CONFIG,
            faults=Faults(latency=args.latency_ms / 1000),
        )
        try:
            known_hosts = directory / "known_hosts"
            known_hosts.write_text(router.known_hosts_line() + "\n")
            device, vpn = branch_01_device(router.port), branch_01_vpn()
            bare = router.running_config()
            lines = _plan_lines(router, device, vpn, known_hosts)
            cgw_runs, netmiko_runs = [], []
            for _ in range(args.repeat):
                reset(router, bare)
                cgw_runs.append(time_cgw(router, device, vpn, known_hosts))
                pushed = router.running_config()
                reset(router, bare)
                netmiko_runs.append(time_netmiko(router, lines))
                if _body(router.running_config()) != _body(pushed):
                    raise SystemExit("netmiko and cgw left different configurations")
        finally:
            router.stop()
    cgw_s, netmiko_s = statistics.median(cgw_runs), statistics.median(netmiko_runs)
    print(f"lines pushed:                      {len(lines)}")
    print(f"latency per command:               {args.latency_ms:g} ms")
    print(f"cgw transaction (median of {args.repeat}):    {cgw_s:.3f} s")
    print(f"netmiko send_config_set (median):  {netmiko_s:.3f} s")
    print(f"ratio cgw / netmiko:               {cgw_s / netmiko_s:.2f}  (target <= 0.5)")
    return 0


def _plan_lines(
    router: SimRouter, device: Device, vpn: VpnConnection, known_hosts: Path
) -> list[str]:
    """The plan for the bare router: the same lines both pushes send."""
    latency = router.faults.latency
    router.faults.latency = 0.0
    try:
        with open_session(device, "cisco_xe", known_hosts=known_hosts) as session:
            running = DEPLOYER.read_running(session)
    finally:
        router.faults.latency = latency
    owned = DEPLOYER.owned(running, device, vpn)
    return list(DEPLOYER.plan(owned, render_config(device, vpn), device, vpn).commands)


def _body(running: str) -> list[str]:
    return [line for line in running.splitlines() if not line.startswith("Current configuration")]


if __name__ == "__main__":
    raise SystemExit(main())
