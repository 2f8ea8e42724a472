"""Cisco IOS and IOS-XE: route-based VTI tunnels to AWS, rendered as `show running-config` prints.

The text is in the device's canonical form (one-space indentation under a parent, `!` closing
a block, masks rather than prefix lengths, defaults not printed) so a later diff against the
running configuration shows only real differences.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from ipaddress import IPv4Network

from cgw.errors import RenderError
from cgw.model import (
    Device,
    ParsedStatus,
    VpnConnection,
)
from cgw.platforms._common import CliPlatform, TunnelView, object_prefix, tunnel_views, vpc_routes
from cgw.platforms.base import Deployer
from cgw.platforms.cisco_ios import algorithms, status

# Which IKE version a tunnel runs when AWS allows several, best first.
IKE_VERSION_PREFERENCE = ("ikev2", "ikev1")
# AWS's guidance for the tunnel interface and the IKE liveness check.
TUNNEL_MTU = 1436
TCP_MSS = 1379
DPD_RETRY_S = 3
# Tunnel 2's static routes float behind tunnel 1's: one path at a time, no asymmetry.
STATIC_ROUTE_DISTANCES = (None, 10)
TEMPLATE_DIR = "cisco_ios"
TEMPLATE = "running-config.j2"


@dataclass(frozen=True)
class CiscoTunnel:
    """One tunnel with every Cisco object it needs, ready for the template."""

    view: TunnelView
    ike_version: str
    ikev2_proposals: tuple[algorithms.Ikev2Proposal, ...]
    isakmp_policy: algorithms.IsakmpPolicy | None
    transform_sets: tuple[algorithms.TransformSet, ...]
    pfs_group: str
    replay_window: int
    dpd_interval_s: int
    static_distance: int | None


def ike_version(view: TunnelView) -> str:
    """The IKE version this tunnel runs: the best one AWS allows for it."""
    return next(v for v in IKE_VERSION_PREFERENCE if v in view.tunnel.ike_versions)


def cisco_tunnel(view: TunnelView, index: int) -> CiscoTunnel:
    """Map one tunnel's AWS parameters onto Cisco objects (see algorithms.py for the choices)."""
    tunnel = view.tunnel
    version = ike_version(view)
    return CiscoTunnel(
        view=view,
        ike_version=version,
        ikev2_proposals=(
            algorithms.ikev2_proposals(tunnel, view.object_name) if version == "ikev2" else ()
        ),
        isakmp_policy=(
            algorithms.isakmp_policy(tunnel, view.interface_number) if version == "ikev1" else None
        ),
        transform_sets=algorithms.transform_sets(tunnel, view.object_name),
        pfs_group=algorithms.pfs_group(tunnel),
        replay_window=algorithms.replay_window_size(tunnel.replay_window),
        dpd_interval_s=tunnel.dpd.interval_s,
        static_distance=STATIC_ROUTE_DISTANCES[index],
    )


def distinct_proposals(
    proposals: tuple[algorithms.Ikev2Proposal, ...],
) -> tuple[algorithms.Ikev2Proposal, ...]:
    """Proposals with the same algorithms as an earlier one left out (the shared policy's list)."""
    seen: set[tuple[tuple[str, ...], ...]] = set()
    distinct = []
    for proposal in proposals:
        key = (proposal.encryption, proposal.integrity, proposal.prf, proposal.groups)
        if key not in seen:
            seen.add(key)
            distinct.append(proposal)
    return tuple(distinct)


def bgp_network(prefix: IPv4Network) -> str:
    """A `network` statement's argument; IOS omits the mask of a classful network."""
    first_octet = int(prefix.network_address) >> 24
    classful_length = 8 if first_octet < 128 else 16 if first_octet < 192 else 24
    if prefix.prefixlen == classful_length or prefix.prefixlen == 0:
        return str(prefix.network_address)
    return f"{prefix.network_address} mask {prefix.netmask}"


def render_context(device: Device, vpn: VpnConnection) -> dict[str, object]:
    """Everything the Cisco template needs, computed from the models."""
    tunnels = tuple(cisco_tunnel(v, i) for i, v in enumerate(tunnel_views(device, vpn)))
    if any(t.view.local_outside_ip.version != 4 for t in tunnels):
        raise RenderError(f"{device.name}: Cisco VTI rendering supports IPv4 outside addresses")
    ikev2_proposals = tuple(p for t in tunnels for p in t.ikev2_proposals)
    return {
        "device": device,
        "vpn": vpn,
        "tunnels": tunnels,
        "wan_interface": device.local.wan_interface,
        "ikev2_policy_name": object_prefix(vpn),
        "ikev2_proposals": ikev2_proposals,
        "ikev2_policy_proposals": distinct_proposals(ikev2_proposals),
        "local_address": tunnels[0].view.local_outside_ip,
        "ikev1_tunnels": tuple(t for t in tunnels if t.ike_version == "ikev1"),
        "ikev2_tunnels": tuple(t for t in tunnels if t.ike_version == "ikev2"),
        "tunnel_mtu": TUNNEL_MTU,
        "tcp_mss": TCP_MSS,
        "dpd_retry_s": DPD_RETRY_S,
        "local_asn": tunnels[0].view.local_asn,
        "bgp_networks": tuple(bgp_network(p) for p in device.local.advertised_prefixes),
        "static_routes": vpc_routes(device, vpn) if vpn.routing == "static" else (),
    }


class CiscoIosPlatform(CliPlatform):
    """Cisco IOS / IOS-XE: one object per netmiko device type, sharing the templates."""

    interface_name = "Tunnel{}"
    verify_commands = status.VERIFY_COMMANDS
    parsers = status.PARSERS

    @property
    def deployer(self) -> Deployer:
        from cgw.platforms.cisco_ios.deploy import DEPLOYER

        return DEPLOYER

    def render_context(self, device: Device, vpn: VpnConnection) -> dict[str, object]:
        return render_context(device, vpn)

    def parse_status(self, outputs: Mapping[str, str]) -> ParsedStatus:
        """IKE/IPsec SAs, BGP neighbours and interfaces from IOS show output."""
        return status.parse_outputs(outputs, platform=self.name)


PLATFORM = CiscoIosPlatform(
    name="cisco_ios",
    netmiko_device_type="cisco_ios",
    default_wan_interface="GigabitEthernet0/0",
    template_dir=TEMPLATE_DIR,
)
