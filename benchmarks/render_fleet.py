"""Render a fleet of devices of mixed platforms; compare with a bare Jinja2 loop.

    python benchmarks/render_fleet.py [--devices 1000] [--repeat 3]

cgw's path is `render_config(device, vpn)`: per-tunnel views, the algorithm tables, the
templates. The baseline renders the same templates with the same (precomputed) contexts in a
plain loop over `jinja2.Template.render`, so the ratio is cgw's whole overhead on top of Jinja2.
"""

from __future__ import annotations

import argparse
import random
import time
from collections.abc import Callable
from ipaddress import IPv4Address, IPv4Network

import jinja2

from cgw.model import (
    BgpPeering,
    CustomerGateway,
    Device,
    Gateway,
    LocalSettings,
    Proposal,
    Tunnel,
    VpnConnection,
    VpnSelector,
)
from cgw.platforms import cisco_ios, juniper_junos, strongswan
from cgw.render import render_config, templates_root
from cgw.secrets import PreSharedKey

PLATFORMS = ("cisco_xe", "cisco_ios", "juniper_junos", "strongswan")
WAN = {"cisco_xe": "GigabitEthernet1", "cisco_ios": "GigabitEthernet0/0",
       "juniper_junos": "ge-0/0/0.0", "strongswan": "eth0"}
SHAPES = (
    (("ikev2",), ("AES256-GCM-16",), ("SHA2-256",), (20,)),
    (("ikev2",), ("AES256",), ("SHA2-256",), (14,)),
    (("ikev1",), ("AES128",), ("SHA1",), (2,)),
    (("ikev1", "ikev2"), ("AES128", "AES256", "AES128-GCM-16", "AES256-GCM-16"),
     ("SHA1", "SHA2-256", "SHA2-384", "SHA2-512"), (2, 14, 15, 16, 19, 20, 21, 24)),
)


def synthetic_fleet(count: int, seed: int = 7) -> list[tuple[Device, VpnConnection]]:
    """`count` devices over the four platforms, each with its own two-tunnel VPN."""
    rng = random.Random(seed)
    fleet = []
    for i in range(count):
        platform = PLATFORMS[i % len(PLATFORMS)]
        versions, enc, integ, groups = SHAPES[rng.randrange(len(SHAPES))]
        routing = "static" if i % 5 == 0 else "bgp"
        cgw_ip = IPv4Address("100.64.0.0") + i
        tunnels = []
        for n in (1, 2):
            inside = IPv4Network(f"169.254.{(i // 32) % 250 + 6}.{(i % 32) * 8 + (n - 1) * 4}/30")
            tunnels.append(Tunnel(
                number=n,
                aws_outside_ip=IPv4Address("100.100.0.0") + 2 * i + n,
                cgw_outside_ip=cgw_ip,
                inside_cidr=inside,
                aws_inside_ip=inside.network_address + 1,
                cgw_inside_ip=inside.network_address + 2,
                psk=PreSharedKey(f"Bench{i}x{n}" + "k" * 20),
                ike_versions=versions,
                phase1=Proposal(enc, integ, tuple(g for g in groups if g != 5), 28800, phase=1),
                phase2=Proposal(enc, integ, groups, 3600, phase=2),
                bgp=BgpPeering(64512, 65000 + i % 500) if routing == "bgp" else None,
            ))
        vpn = VpnConnection(
            id=f"vpn-{i:017x}",
            type="ipsec.1",
            gateway=Gateway("vgw", f"vgw-{i:017x}"),
            customer_gateway=CustomerGateway(f"cgw-{i:017x}", cgw_ip, 65000 + i % 500),
            routing=routing,  # type: ignore[arg-type]
            tunnels=(tunnels[0], tunnels[1]),
            amazon_side_asn=64512,
        )
        device = Device(
            name=f"branch-{i:04d}",
            host="127.0.0.1",
            platform=platform,
            vpn=VpnSelector(vpn_id=vpn.id),
            local=LocalSettings(
                wan_interface=WAN[platform],
                tunnel_numbers=(100 + i % 50, 200 + i % 50),
                advertised_prefixes=(IPv4Network(f"10.{i % 250}.0.0/16"),),
                static_routes=(IPv4Network("10.100.0.0/16"),),
            ),
        )
        fleet.append((device, vpn))
    return fleet


def bare_jinja_jobs(
    fleet: list[tuple[Device, VpnConnection]],
) -> list[tuple[jinja2.Template, dict[str, object]]]:
    """The (template, context) pairs cgw renders, with contexts computed up front."""
    environments: dict[str, jinja2.Environment] = {}

    def template(folder: str, name: str) -> jinja2.Template:
        if folder not in environments:
            environments[folder] = jinja2.Environment(
                loader=jinja2.FileSystemLoader(str(templates_root() / folder)),
                undefined=jinja2.StrictUndefined, trim_blocks=True, lstrip_blocks=True,
                keep_trailing_newline=True,
            )
        return environments[folder].get_template(name)

    contexts: dict[str, Callable[[Device, VpnConnection], dict[str, object]]] = {
        "cisco_ios": cisco_ios.render_context,
        "juniper_junos": juniper_junos.render_context,
        "strongswan": strongswan.render_context,
    }
    jobs = []
    for device, vpn in fleet:
        folder = "cisco_ios" if device.platform.startswith("cisco") else device.platform
        context = contexts[folder](device, vpn)
        if folder == "strongswan":
            names = [name for _, name, _ in strongswan.host_files(device, vpn)]
        else:
            names = ["running-config.j2"]
        jobs += [(template(folder, name), context) for name in names]
    return jobs


def best_of(repeat: int, run: Callable[[], object]) -> float:
    timings = []
    for _ in range(repeat):
        start = time.perf_counter()
        run()
        timings.append(time.perf_counter() - start)
    return min(timings)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--devices", type=int, default=1000)
    parser.add_argument("--repeat", type=int, default=3)
    args = parser.parse_args()
    fleet = synthetic_fleet(args.devices)
    jobs = bare_jinja_jobs(fleet)
    render_config(*fleet[0])  # warm the template cache, as the baseline's environments are

    cgw_s = best_of(args.repeat, lambda: [render_config(d, v) for d, v in fleet])
    bare_s = best_of(args.repeat, lambda: [t.render(**c) for t, c in jobs])
    print(f"devices: {len(fleet)} ({', '.join(PLATFORMS)}), best of {args.repeat}")
    print(f"cgw render_config : {cgw_s:.3f} s  {len(fleet) / cgw_s:,.0f} configs/s")
    print(f"bare jinja2 loop  : {bare_s:.3f} s  {len(fleet) / bare_s:,.0f} configs/s")
    print(f"ratio cgw / bare  : {cgw_s / bare_s:.2f}  (target <= 1.5)")


if __name__ == "__main__":
    main()
