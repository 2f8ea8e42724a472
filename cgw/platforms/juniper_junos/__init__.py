"""Juniper SRX (Junos): route-based st0 tunnels to AWS, in `show configuration | display set` form.

Every object cgw creates is named after the tunnel (`aws-vpn-0abc1234-t1`) or the VPN
(`aws-vpn-0abc1234`: BGP group, export policy), so the diff can stay within what cgw owns.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass

from cgw.model import (
    Device,
    ParsedStatus,
    VpnConnection,
)
from cgw.platforms._common import (
    CliPlatform,
    TunnelView,
    object_prefix,
    options_of,
    tunnel_views,
    vpc_routes,
)
from cgw.platforms.base import Deployer
from cgw.platforms.juniper_junos import algorithms, status
from cgw.platforms.juniper_junos.options import JunosOptions
from cgw.platforms.juniper_junos.release import JunosRelease, parse_release, release_of
from cgw.platforms.juniper_junos.syntax import logical_interface

# Which IKE version a tunnel runs when AWS allows several, best first.
IKE_VERSION_PREFERENCE = ("ikev2", "ikev1")
# AWS's guidance for the tunnel interface and dead peer detection.
TUNNEL_MTU = 1436
TCP_MSS = 1379
DPD_THRESHOLD = 3
NAT_KEEPALIVE_S = 10
# Tunnel 2's static routes float behind tunnel 1's (qualified next hop, higher preference).
STATIC_ROUTE_PREFERENCES = (None, 10)
# The SRX always initiates (`establish-tunnels immediately`): with AWS's default startup action
# `add` AWS waits for the customer gateway, and with `start` an SRX that also initiates is
# harmless. Junos's default, on-traffic, would leave a static-routing VPN down until traffic
# flows (strongSwan's platform starts its children for the same reason).
TEMPLATE_DIR = "juniper_junos"
TEMPLATE = "running-config.j2"


@dataclass(frozen=True)
class JunosTunnel:
    """One tunnel with every Junos object it needs, ready for the template."""

    view: TunnelView
    ike_version: str
    gateway_version: str
    ike_proposals: tuple[algorithms.JunosProposal, ...]
    ipsec_proposals: tuple[algorithms.JunosProposal, ...]
    pfs_group: str
    st0_unit: int
    static_preference: int | None

    @property
    def st0(self) -> str:
        return f"st0.{self.st0_unit}"


def junos_tunnel(view: TunnelView, index: int, release: JunosRelease | None) -> JunosTunnel:
    """Map one tunnel's AWS parameters onto Junos objects (see algorithms.py for the choices)."""
    tunnel = view.tunnel
    version = next(v for v in IKE_VERSION_PREFERENCE if v in tunnel.ike_versions)
    return JunosTunnel(
        view=view,
        ike_version=version,
        gateway_version=algorithms.IKE_VERSIONS[version],
        ike_proposals=algorithms.ike_proposals(tunnel, version, view.object_name, release),
        ipsec_proposals=algorithms.ipsec_proposals(tunnel, view.object_name),
        pfs_group=algorithms.pfs_group(tunnel, release),
        st0_unit=view.interface_number,
        static_preference=STATIC_ROUTE_PREFERENCES[index],
    )


def render_context(device: Device, vpn: VpnConnection) -> dict[str, object]:
    """Everything the Junos template needs, for the release the device runs (None: current)."""
    release = release_of(device.release)
    views = tunnel_views(device, vpn)
    tunnels = tuple(junos_tunnel(v, i, release) for i, v in enumerate(views))
    static_routes = vpc_routes(device, vpn) if vpn.routing == "static" else ()
    prefix = object_prefix(vpn)
    return {
        "device": device,
        "vpn": vpn,
        "tunnels": tunnels,
        "wan_interface": logical_interface(device.local.wan_interface),
        "trust_zone": options_of(device, JunosOptions).trust_zone,
        "untrust_zone": options_of(device, JunosOptions).untrust_zone,
        "bgp_group": prefix,
        "export_policy": f"{prefix}-export",
        "advertised_prefixes": device.local.advertised_prefixes,
        "static_routes": static_routes,
        "tunnel_mtu": TUNNEL_MTU,
        "tcp_mss": TCP_MSS,
        "dpd_threshold": DPD_THRESHOLD,
        "nat_keepalive_s": NAT_KEEPALIVE_S,
    }


class JunosPlatform(CliPlatform):
    """Juniper SRX: IKE/IPsec, st0 units, zones, BGP or static routes, as `set` commands."""

    interface_name = "st0.{}"
    verify_commands = status.VERIFY_COMMANDS
    parsers = status.PARSERS
    options = JunosOptions
    # What diff/push run to learn the release when the inventory does not state it.
    version_command: str | None = "show version"

    def parse_release(self, output: str) -> str | None:
        """The release in `show version` output (`21.4R3-S3.4`, `12.3X48-D10.3`), or None."""
        return parse_release(output)

    @property
    def deployer(self) -> Deployer:
        from cgw.platforms.juniper_junos.deploy import DEPLOYER

        return DEPLOYER

    def render_context(self, device: Device, vpn: VpnConnection) -> dict[str, object]:
        return render_context(device, vpn)

    def parse_status(self, outputs: Mapping[str, str]) -> ParsedStatus:
        """IKE/IPsec SAs, BGP neighbours and st0 units from Junos show output."""
        return status.parse_outputs(outputs)


PLATFORM = JunosPlatform(
    name="juniper_junos",
    netmiko_device_type="juniper_junos",
    default_wan_interface="ge-0/0/0.0",
    template_dir=TEMPLATE_DIR,
)
