"""Palo Alto Networks PAN-OS (9.1, 10.x, 11.x): route-based tunnel.N interfaces to AWS, `set` form.

The rendered text is what `show config running` prints after `set cli config-output-format
set`: one `set` line per leaf, a multi-valued leaf as `[ a b ]`. Every object cgw creates is
named after the tunnel (`aws-vpn-0abc1234-t1`: IKE and IPsec crypto profiles, IKE gateway,
IPsec tunnel, BGP peer, static routes) or the VPN (`aws-vpn-0abc1234`: zone, security rules,
BGP peer group, export rule), so the diff stays within what cgw owns.
"""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from ipaddress import IPv4Network

from cgw.errors import RenderError
from cgw.model import Device, ParsedStatus, VpnConnection
from cgw.platforms._common import (
    CliPlatform,
    TunnelView,
    object_prefix,
    options_of,
    tunnel_views,
    vpc_routes,
)
from cgw.platforms.base import Deployer
from cgw.platforms.paloalto_panos import algorithms, status
from cgw.platforms.paloalto_panos.options import MAX_NAME, PanosOptions, router_root

# Which IKE version a tunnel runs when AWS allows several, best first.
IKE_VERSION_PREFERENCE = ("ikev2", "ikev1")
# AWS's guidance for the tunnel interface, TCP MSS and dead peer detection.
TUNNEL_MTU = 1436
TCP_MSS = 1379
DPD_RETRY = 3
# Tunnel 2's static routes float behind tunnel 1's.
STATIC_ROUTE_METRICS = (10, 20)
# What offline render targets when the release is unknown; Advanced Routing exists from 10.2.
CURRENT_RELEASE = (11, 1)
ADVANCED_ROUTING_SINCE = (10, 2)
TEMPLATE_DIR = "paloalto_panos"
VERSION_COMMAND = "show system info"
_RELEASE = re.compile(r"^\s*sw-version:\s*(\d+\.\d+\.\d+(?:-h\d+)?)\s*$", re.MULTILINE)


def release_tuple(release: str | None) -> tuple[int, int]:
    """(major, minor) of a PAN-OS release such as `10.2.4-h3`; current releases when unknown."""
    if release is None:
        return CURRENT_RELEASE
    m = re.match(r"(\d+)\.(\d+)", release)
    if m is None:
        raise RenderError(f"PAN-OS release {release!r} is not like 10.2.4")
    return int(m.group(1)), int(m.group(2))


def members(values: Sequence[str]) -> str:
    """A multi-valued leaf as PAN-OS prints it: `a`, or `[ a b ]` for more than one."""
    return values[0] if len(values) == 1 else f"[ {' '.join(values)} ]"


@dataclass(frozen=True)
class PanosTunnel:
    """One tunnel with every PAN-OS object it needs, ready for the template."""

    view: TunnelView
    ike_version: str
    ike_profile: algorithms.IkeProfile
    ipsec_profile: algorithms.IpsecProfile
    static_metric: int

    @property
    def name(self) -> str:
        return self.view.object_name

    @property
    def interface(self) -> str:
        return f"tunnel.{self.view.interface_number}"

    @property
    def inside_address(self) -> str:
        tunnel = self.view.tunnel
        return f"{tunnel.cgw_inside_ip}/{tunnel.inside_cidr.prefixlen}"


def panos_tunnel(view: TunnelView, index: int, release: tuple[int, int]) -> PanosTunnel:
    """Map one tunnel's AWS parameters onto PAN-OS objects (see algorithms.py)."""
    tunnel = view.tunnel
    version = next(v for v in IKE_VERSION_PREFERENCE if v in tunnel.ike_versions)
    if view.interface_number < 1 or view.interface_number > 9999:
        raise RenderError(f"tunnel.{view.interface_number}: PAN-OS tunnel units are 1..9999")
    return PanosTunnel(
        view=view,
        ike_version=version,
        ike_profile=algorithms.ike_profile(tunnel, version, view.object_name, release),
        ipsec_profile=algorithms.ipsec_profile(tunnel, view.object_name, release),
        static_metric=STATIC_ROUTE_METRICS[index],
    )


def vpn_zone(device: Device, vpn: VpnConnection) -> str:
    """The zone the tunnel interfaces join: the configured one, or one named after the VPN."""
    return options_of(device, PanosOptions).vpn_zone or object_prefix(vpn)


def render_context(device: Device, vpn: VpnConnection) -> dict[str, object]:
    """Everything the PAN-OS template needs, computed from the models."""
    options = options_of(device, PanosOptions)
    release = release_tuple(device.release)
    if options.routing_engine == "advanced" and release < ADVANCED_ROUTING_SINCE:
        raise RenderError(
            f"{device.name}: Advanced Routing (logical routers) needs PAN-OS 10.2 or later,"
            f" the device runs {device.release}"
        )
    views = tunnel_views(device, vpn)
    tunnels = tuple(panos_tunnel(v, i, release) for i, v in enumerate(views))
    prefix = object_prefix(vpn)
    longest = max(len(f"{t.name}-{len(vpc_routes_or_none(device, vpn))}") for t in tunnels)
    if longest > MAX_NAME:
        raise RenderError(f"{device.name}: object names would exceed {MAX_NAME} characters")
    return {
        "device": device,
        "vpn": vpn,
        "tunnels": tunnels,
        "members": members,
        "wan_interface": device.local.wan_interface,
        "wan_address": options.wan_address,
        "management_profile": options.management_profile,
        "trust_zone": options.trust_zone,
        "vpn_zone": vpn_zone(device, vpn),
        "advanced": options.routing_engine == "advanced",
        "router": router_root(options),
        "prefix": prefix,
        "advertised_prefixes": device.local.advertised_prefixes,
        "static_routes": vpc_routes_or_none(device, vpn),
        "router_id": tunnels[0].view.local_outside_ip,
        "tunnel_mtu": TUNNEL_MTU,
        "mss_adjustment": TUNNEL_MTU - TCP_MSS,
        "dpd_retry": DPD_RETRY,
    }


def vpc_routes_or_none(device: Device, vpn: VpnConnection) -> tuple[IPv4Network, ...]:
    return vpc_routes(device, vpn) if vpn.routing == "static" else ()


def parse_release(output: str) -> str | None:
    """`sw-version: 10.2.4-h3` in `show system info`."""
    m = _RELEASE.search(output)
    return m.group(1) if m else None


class PanosPlatform(CliPlatform):
    """PAN-OS: crypto profiles, IKE gateways, IPsec tunnels, tunnel.N, zone, rules, routing."""

    interface_name = "tunnel.{}"
    verify_commands = status.VERIFY_COMMANDS
    parsers = status.PARSERS
    options = PanosOptions
    version_command = VERSION_COMMAND

    @property
    def deployer(self) -> Deployer:
        from cgw.platforms.paloalto_panos.deploy import DEPLOYER

        return DEPLOYER

    def render_context(self, device: Device, vpn: VpnConnection) -> dict[str, object]:
        return render_context(device, vpn)

    def parse_status(self, outputs: Mapping[str, str]) -> ParsedStatus:
        """IKE/IPsec SAs, VPN flows and BGP peers from PAN-OS show output."""
        return status.parse_outputs(outputs)

    def parse_release(self, output: str) -> str | None:
        return parse_release(output)


PLATFORM = PanosPlatform(
    name="paloalto_panos",
    netmiko_device_type="paloalto_panos",
    default_wan_interface="ethernet1/1",
    template_dir=TEMPLATE_DIR,
)
