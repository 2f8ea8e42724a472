"""strongSwan on Linux: swanctl.conf for IKE/IPsec, a script for tunnel interfaces, FRR for BGP.

Route-based like AWS's own samples: each tunnel negotiates 0.0.0.0/0 selectors and is bound to
its own tunnel interface (an XFRM interface by default, or a VTI with marks); routes into the
tunnels come from the interface script (static) or FRR (BGP). libipsec's userspace `ipsec0` is
one interface for every SA, so there each tunnel's selectors leave out the other tunnel's
inside /30 (see `remote_selectors`).
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from ipaddress import IPv4Address, IPv4Network
from types import MappingProxyType
from typing import Final

from cgw.errors import RenderError
from cgw.model import Device, ParsedStatus, RenderedConfig, RenderedFile, VpnConnection
from cgw.platforms._common import TunnelView, object_prefix, options_of, tunnel_views, vpc_routes
from cgw.platforms.base import Deployer
from cgw.platforms.strongswan import algorithms, status
from cgw.platforms.strongswan.options import StrongswanOptions
from cgw.render import render_template

# AWS's recommended tunnel MTU and TCP MSS for route-based customer gateways.
TUNNEL_MTU: Final = 1436
TCP_MSS: Final = 1379
# A static route's metric is this times the tunnel number: tunnel 1 is preferred, 2 is standby.
STATIC_ROUTE_METRIC_STEP: Final = 100
# charon's own routing table and the priority of its rule: after main (32766), so the main
# table's routes (management, IKE itself) win over libipsec's 0.0.0.0/0 into ipsec0.
ROUTING_TABLE: Final = 220
ROUTING_TABLE_PRIORITY: Final = 40000
ANY: Final = IPv4Network("0.0.0.0/0")
LAST_ADDRESS: Final = int(IPv4Address("255.255.255.255"))


@dataclass(frozen=True)
class Dataplane:
    """How ESP traffic meets the routing table: one kind of Linux tunnel interface."""

    name: str
    interface_pattern: str  # formatted with the tunnel's interface number
    binds_if_id: bool  # XFRM interface: SAs and policies carry if_id_in/if_id_out
    binds_mark: bool  # VTI: SAs and policies carry mark_in/mark_out = the VTI key
    forces_encap: bool  # libipsec can only do ESP in UDP
    # One interface for all SAs (libipsec): the SA is chosen by policy alone, so a tunnel's
    # selectors must leave out the other tunnels' inside /30s (each BGP session its own SA).
    shared_interface: bool
    # The interface is charon's (libipsec's ipsec0): it and its addresses vanish when charon
    # stops, so charon runs the interface script as the children's `updown` to put them back.
    charon_owns_interface: bool
    # libipsec never reports a packet that hits a trap policy (no acquire): after charon gives
    # up on a tunnel (an IKE authentication failure), the interface script retries it instead.
    traps_acquire: bool

    def interface(self, number: int) -> str:
        return self.interface_pattern.format(number=number)


DATAPLANES: Final = MappingProxyType(
    {
        "xfrm": Dataplane(
            "xfrm",
            "xfrm{number}",
            binds_if_id=True,
            binds_mark=False,
            forces_encap=False,
            shared_interface=False,
            charon_owns_interface=False,
            traps_acquire=True,
        ),
        "vti": Dataplane(
            "vti",
            "vti{number}",
            binds_if_id=False,
            binds_mark=True,
            forces_encap=False,
            shared_interface=False,
            charon_owns_interface=False,
            traps_acquire=True,
        ),
        # kernel-libipsec creates one TUN device `ipsec0` per charon and shares it between SAs.
        "libipsec": Dataplane(
            "libipsec",
            "ipsec0",
            binds_if_id=False,
            binds_mark=False,
            forces_encap=True,
            shared_interface=True,
            charon_owns_interface=True,
            traps_acquire=False,
        ),
    }
)


@dataclass(frozen=True)
class SwanTunnel:
    """One AWS tunnel in swanctl.conf's terms: every value the templates print."""

    view: TunnelView = field(repr=False)  # holds the clear-text PSK: keep it out of reprs
    interface: str
    version: int
    proposals: str
    esp_proposals: str
    ike_rekey_s: int
    ike_over_s: int
    rand_s: int
    child_life_s: int
    child_rekey_s: int
    dpd_timeout_s: int | None
    dpd_action: str
    start_action: str
    close_action: str
    encap: bool
    if_id: int | None
    mark: int | None
    route_metric: int
    local_ts: str
    remote_ts: str
    updown: str | None  # the script charon runs when a CHILD_SA comes up or goes down

    @property
    def name(self) -> str:
        return self.view.object_name


def ike_version(ike_versions: tuple[str, ...]) -> int:
    """swanctl's `version`: 2 whenever AWS allows IKEv2, else 1.

    Not `0` (any) when AWS allows both: charon would initiate IKEv2 anyway, and IKEv1 needs one
    proposal per algorithm combination (hundreds with AWS's default lists) where IKEv2 needs one.
    """
    return 2 if "ikev2" in ike_versions else 1


def remote_selectors(own: IPv4Network, others: Sequence[IPv4Network]) -> str:
    """0.0.0.0/0 less the other tunnels' inside /30s, as swanctl address ranges.

    A list such as `0.0.0.0/0, <own /30>` would not do: charon drops a selector contained in
    another of the same list, so both tunnels would negotiate plain 0.0.0.0/0 again. Disjoint
    ranges survive narrowing by a 0.0.0.0/0 responder unchanged, and leave each inside /30
    reachable through its own tunnel's CHILD_SA only.
    """
    if not others:
        return str(ANY)
    if any(own.overlaps(other) for other in others):
        raise RenderError(f"inside CIDR {own} overlaps another tunnel's")
    ranges: list[tuple[int, int]] = []
    start = 0
    for network in sorted(set(others)):
        first, last = int(network.network_address), int(network.broadcast_address)
        if first > start:
            ranges.append((start, first - 1))
        start = max(start, last + 1)
    if start <= LAST_ADDRESS:
        ranges.append((start, LAST_ADDRESS))
    return ", ".join(f"{IPv4Address(first)}-{IPv4Address(last)}" for first, last in ranges)


def swan_tunnel(
    view: TunnelView,
    dataplane: Dataplane,
    others: Sequence[IPv4Network] = (),
    updown: str | None = None,
) -> SwanTunnel:
    """Combine one tunnel's AWS parameters with the device's dataplane choice.

    `others` are the other tunnels' inside CIDRs, `updown` the interface script's path.
    """
    tunnel = view.tunnel
    number = view.interface_number
    if (dataplane.binds_if_id or dataplane.binds_mark) and number == 0:
        raise RenderError(
            f"{view.object_name}: tunnel number 0 can't be an XFRM if_id or VTI key; "
            "use local.tunnel_numbers from 1"
        )
    version = ike_version(tunnel.ike_versions)
    margin = tunnel.rekey_margin_s
    return SwanTunnel(
        view=view,
        interface=dataplane.interface(number),
        version=version,
        proposals=algorithms.ike_proposals(tunnel.phase1, version),
        esp_proposals=algorithms.esp_proposals(tunnel.phase2, version),
        # AWS's lifetime is the hard limit; rekey starts a margin earlier, minus up to
        # fuzz% of the margin, as AWS itself schedules its rekeys.
        ike_rekey_s=tunnel.phase1.lifetime_s - margin,
        ike_over_s=margin,
        rand_s=margin * tunnel.rekey_fuzz_pct // 100,
        child_life_s=tunnel.phase2.lifetime_s,
        child_rekey_s=tunnel.phase2.lifetime_s - margin,
        # IKEv2 detects a dead peer by retransmits; dpd_timeout only exists for IKEv1.
        dpd_timeout_s=tunnel.dpd.timeout_s if version == 1 else None,
        dpd_action=algorithms.DPD_ACTIONS[tunnel.dpd.action],
        start_action=algorithms.START_ACTIONS[tunnel.startup_action],
        close_action=algorithms.CLOSE_ACTIONS[tunnel.startup_action],
        encap=view.behind_nat or dataplane.forces_encap,
        if_id=number if dataplane.binds_if_id else None,
        mark=number if dataplane.binds_mark else None,
        route_metric=STATIC_ROUTE_METRIC_STEP * tunnel.number,
        local_ts=str(ANY),
        remote_ts=remote_selectors(
            tunnel.inside_cidr, others if dataplane.shared_interface else ()
        ),
        updown=updown if dataplane.charon_owns_interface else None,
    )


def render_context(device: Device, vpn: VpnConnection) -> dict[str, object]:
    """Everything the strongSwan templates need, computed from the models."""
    dataplane = DATAPLANES[options_of(device, StrongswanOptions).strongswan_dataplane]
    views = tunnel_views(device, vpn)
    script = interface_script_path(vpn)
    tunnels = tuple(
        swan_tunnel(
            view,
            dataplane,
            [other.tunnel.inside_cidr for other in views if other is not view],
            script,
        )
        for view in views
    )
    return {
        "vpn": vpn,
        "device": device,
        "prefix": object_prefix(vpn),
        "tunnels": tunnels,
        "dataplane": dataplane,
        "routing_table": ROUTING_TABLE,
        "routing_table_priority": ROUTING_TABLE_PRIORITY,
        # With BGP, FRR learns the VPC prefixes; static routes would override it.
        "vpc_routes": vpc_routes(device, vpn) if vpn.routing == "static" else (),
        "tunnel_mtu": TUNNEL_MTU,
        "tcp_mss": TCP_MSS,
    }


def interface_script_path(vpn: VpnConnection) -> str:
    """The VPN's interface script on the host (also the children's `updown` with libipsec)."""
    return f"/etc/cgw/{object_prefix(vpn)}-interfaces.sh"


def host_files(device: Device, vpn: VpnConnection) -> list[tuple[str, str, int]]:
    """(path on the host, template, mode) of every file this VPN needs on the host."""
    prefix = object_prefix(vpn)
    files = [
        (f"/etc/swanctl/conf.d/{prefix}.conf", "swanctl.conf.j2", 0o600),
        (f"/etc/strongswan.d/{prefix}.conf", "strongswan.conf.j2", 0o600),
        # Secrets-free, but a root-only script all the same.
        (interface_script_path(vpn), "interfaces.sh.j2", 0o700),
    ]
    if vpn.routing == "bgp" and options_of(device, StrongswanOptions).strongswan_bgp == "frr":
        files.append((f"/etc/frr/cgw-{prefix}.conf", "frr.conf.j2", 0o600))
    return files


class StrongswanPlatform:
    """strongSwan (swanctl/vici) on a Linux host reached over SSH."""

    name = "strongswan"
    netmiko_device_type = "linux"
    template_dir = "strongswan"
    default_wan_interface = "eth0"
    options = StrongswanOptions
    version_command = None  # the swanctl syntax cgw renders is the same on every 5.9+ host

    def parse_release(self, output: str) -> str | None:
        return None

    @property
    def deployer(self) -> Deployer:
        from cgw.platforms.strongswan.deploy import DEPLOYER

        return DEPLOYER

    verify_commands = status.VERIFY_COMMANDS
    parsers = status.PARSERS

    def parse_status(self, outputs: Mapping[str, str]) -> ParsedStatus:
        """IKE/CHILD SAs from swanctl and BGP neighbours from FRR."""
        return status.parse_outputs(outputs)

    def tunnel_interface_names(self, device: Device) -> None:
        """swanctl/FRR output names no interface; the SAs and BGP decide."""
        return None

    def render(self, device: Device, vpn: VpnConnection) -> RenderedConfig:
        """swanctl.conf, charon settings, the interface script and (BGP over FRR) an FRR file."""
        context = render_context(device, vpn)
        files = tuple(
            RenderedFile(path, render_template(self.template_dir, template, **context), mode)
            for path, template, mode in host_files(device, vpn)
        )
        return RenderedConfig(device=device.name, platform=self.name, vpn_id=vpn.id, files=files)


PLATFORM: Final = StrongswanPlatform()
