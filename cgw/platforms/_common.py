"""Pieces every platform's render uses: the per-tunnel view a template sees."""

from __future__ import annotations

from dataclasses import dataclass, field
from ipaddress import IPv4Network

from cgw.errors import RenderError
from cgw.model import Device, IpAddress, Tunnel, VpnConnection


@dataclass(frozen=True)
class TunnelView:
    """One tunnel as a template needs it: AWS's facts plus the device's local choices."""

    tunnel: Tunnel
    interface_number: int  # Tunnel<N>, st0.<N>, xfrm/vti index
    object_name: str  # e.g. aws-vpn-0abc1234-t1: every object cgw creates for this tunnel
    local_outside_ip: IpAddress  # the address IKE uses on this device (private one behind NAT)
    local_asn: int | None
    psk: str = field(repr=False)  # clear text for templates only; never in a repr

    @property
    def behind_nat(self) -> bool:
        return self.local_outside_ip != self.tunnel.cgw_outside_ip


def object_prefix(vpn: VpnConnection) -> str:
    """The name stem of everything cgw owns for a VPN connection: `aws-vpn-0abc1234`."""
    return f"aws-{vpn.id}"


def tunnel_views(device: Device, vpn: VpnConnection) -> tuple[TunnelView, TunnelView]:
    """Both tunnels of `vpn` combined with `device`'s local settings, in tunnel order."""
    local = device.local
    local_asn = local.local_asn if local.local_asn is not None else vpn.customer_gateway.asn
    if vpn.routing == "bgp" and local_asn is None:
        raise RenderError(f"{device.name}: BGP routing needs local.local_asn")
    views = tuple(
        TunnelView(
            tunnel=t,
            interface_number=local.tunnel_numbers[i],
            object_name=f"{object_prefix(vpn)}-t{t.number}",
            local_outside_ip=local.local_outside_ip or t.cgw_outside_ip,
            local_asn=local_asn,
            psk=t.psk.reveal(),
        )
        for i, t in enumerate(vpn.tunnels)
    )
    return views[0], views[1]


def vpc_routes(device: Device, vpn: VpnConnection) -> tuple[IPv4Network, ...]:
    """Prefixes (the VPC side) the device routes into both tunnels when routing is static.

    AWS's own `Routes` are the customer's prefixes (what AWS sends into the VPN), so the VPC
    prefixes come from the inventory; static routing without them is an error.
    """
    if vpn.routing == "static" and not device.local.static_routes:
        raise RenderError(f"{device.name}: static routing needs local.static_routes (VPC prefixes)")
    return device.local.static_routes
