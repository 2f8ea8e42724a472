"""The lab's AWS-side tunnels: what real AWS allocates, validates and reports for each tunnel.

Pure data and rendering (TunnelOptions, VgwTelemetry, CustomerGatewayConfiguration XML); the moto
wiring lives in `aws_server.py`.
"""

from __future__ import annotations

import random
import re
import secrets
import string
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import datetime, timezone
from ipaddress import IPv4Network, IPv6Network, ip_address
from typing import Any
from xml.sax.saxutils import escape

from cgw.model import (
    DPD_ACTIONS,
    ENCRYPTION_ALGORITHMS,
    IKE_VERSIONS,
    INTEGRITY_ALGORITHMS,
    LINK_LOCAL_V4,
    PHASE1_DH_GROUPS,
    PHASE2_DH_GROUPS,
    RESERVED_INSIDE_CIDRS,
    STARTUP_ACTIONS,
)

# Where the lab allocates AWS outside addresses, per OutsideIpAddressType (documentation ranges).
OUTSIDE_POOLS: Mapping[str, IPv4Network | IPv6Network] = {
    "PublicIpv4": IPv4Network("198.51.100.0/24"),
    "PrivateIpv4": IPv4Network("100.64.255.0/24"),
    "Ipv6": IPv6Network("2001:db8:a5::/64"),
}
# Where a large lab (`cgw lab routers --count N`) goes on once the pool above is used up
# (benchmarking range; these addresses only ever appear in configurations).
OUTSIDE_OVERFLOW: Mapping[str, tuple[IPv4Network, ...]] = {
    "PublicIpv4": (IPv4Network("198.18.128.0/17"),),
}

_PSK_ALPHABET = string.ascii_letters + string.digits + "_."
_PSK_PATTERN = re.compile(r"[A-Za-z0-9_.]{8,64}")

# Request words (VpnTunnelOptionsSpecification) → response words (TunnelOption).
_RENAMED = {
    "DPDTimeoutSeconds": "DpdTimeoutSeconds",
    "DPDTimeoutAction": "DpdTimeoutAction",
    "IKEVersions": "IkeVersions",
}
_LISTS: Mapping[str, tuple[Any, ...]] = {
    "Phase1EncryptionAlgorithms": ENCRYPTION_ALGORITHMS,
    "Phase2EncryptionAlgorithms": ENCRYPTION_ALGORITHMS,
    "Phase1IntegrityAlgorithms": INTEGRITY_ALGORITHMS,
    "Phase2IntegrityAlgorithms": INTEGRITY_ALGORITHMS,
    "Phase1DHGroupNumbers": PHASE1_DH_GROUPS,
    "Phase2DHGroupNumbers": PHASE2_DH_GROUPS,
    "IkeVersions": IKE_VERSIONS,
}
_RANGES: Mapping[str, tuple[int, int]] = {
    "Phase1LifetimeSeconds": (900, 28800),
    "Phase2LifetimeSeconds": (900, 3600),
    "RekeyMarginTimeSeconds": (60, 1800),
    "RekeyFuzzPercentage": (0, 100),
    "ReplayWindowSize": (64, 2048),
    "DpdTimeoutSeconds": (30, 3600),
}
_CHOICES: Mapping[str, tuple[str, ...]] = {
    "DpdTimeoutAction": DPD_ACTIONS,
    "StartupAction": STARTUP_ACTIONS,
}

# AWS's API words → the CustomerGatewayConfiguration XML's words.
XML_ENCRYPTION = {
    "AES128": "aes-128-cbc",
    "AES256": "aes-256-cbc",
    "AES128-GCM-16": "aes-128-gcm-16",
    "AES256-GCM-16": "aes-256-gcm-16",
}
XML_IKE_INTEGRITY = {
    "SHA1": "sha1",
    "SHA2-256": "sha2-256",
    "SHA2-384": "sha2-384",
    "SHA2-512": "sha2-512",
}
XML_ESP_INTEGRITY = {
    "SHA1": "hmac-sha1-96",
    "SHA2-256": "hmac-sha2-256-128",
    "SHA2-384": "hmac-sha2-384-192",
    "SHA2-512": "hmac-sha2-512-256",
}


class TunnelOptionError(ValueError):
    """A tunnel option AWS would refuse (InvalidParameterValue)."""


def _now() -> datetime:
    return datetime.now(timezone.utc).replace(microsecond=0)


@dataclass
class LabTunnel:
    """One AWS-side tunnel endpoint and the options it was created or modified with."""

    outside_ip: str
    inside_cidr: IPv4Network
    psk: str
    options: dict[str, Any] = field(default_factory=dict)
    status: str = "DOWN"
    status_message: str = ""
    accepted_routes: int = 0
    last_status_change: datetime = field(default_factory=_now)

    def tunnel_option(self, show_psk: bool = True) -> dict[str, Any]:
        """This tunnel as AWS's TunnelOption shape (empty lists where nothing was chosen)."""
        option: dict[str, Any] = {
            "OutsideIpAddress": self.outside_ip,
            "TunnelInsideCidr": str(self.inside_cidr),
        }
        if show_psk:
            option["PreSharedKey"] = self.psk
        option.update(self.options)
        option.setdefault("LogOptions", {"CloudWatchLogOptions": {"LogEnabled": False}})
        option.setdefault("EnableTunnelLifecycleControl", False)
        return option

    def telemetry(self) -> dict[str, Any]:
        """This tunnel as AWS's VgwTelemetry shape."""
        return {
            "OutsideIpAddress": self.outside_ip,
            "Status": self.status,
            "StatusMessage": self.status_message,
            "AcceptedRouteCount": self.accepted_routes,
            "LastStatusChange": self.last_status_change,
        }

    def set_status(self, status: str, accepted_routes: int = 0, message: str | None = None) -> None:
        """Record what the AWS endpoint sees (UP/DOWN), as the simulated routers report it."""
        if status not in ("UP", "DOWN"):
            raise TunnelOptionError("status must be UP or DOWN")
        if status != self.status:
            self.last_status_change = _now()
        self.status = status
        self.accepted_routes = accepted_routes if status == "UP" else 0
        if message is not None:
            self.status_message = message
        elif status == "UP" and accepted_routes:
            self.status_message = f"{accepted_routes} BGP ROUTES"
        else:
            self.status_message = ""

    def first(self, key: str, default: Any) -> Any:
        values = self.options.get(key) or []
        return values[0]["Value"] if values else default


def generate_psk(rng: random.Random | None = None) -> str:
    """A key like AWS generates: 32 characters of [A-Za-z0-9_.], never starting with 0."""
    chooser = rng.choice if rng is not None else secrets.choice
    first = chooser(_PSK_ALPHABET.replace("0", ""))
    return first + "".join(chooser(_PSK_ALPHABET) for _ in range(31))


def check_psk(value: object) -> str:
    if not isinstance(value, str) or not _PSK_PATTERN.fullmatch(value) or value.startswith("0"):
        raise TunnelOptionError("Value for parameter PreSharedKey is invalid.")
    return value


def check_inside_cidr(value: object) -> IPv4Network:
    try:
        cidr = IPv4Network(str(value))
    except ValueError:
        raise TunnelOptionError(f"The tunnel inside CIDR {value} is invalid.") from None
    if cidr.prefixlen != 30 or not cidr.subnet_of(LINK_LOCAL_V4):
        raise TunnelOptionError(f"The tunnel inside CIDR {value} must be a /30 in 169.254.0.0/16.")
    if cidr in RESERVED_INSIDE_CIDRS:
        raise TunnelOptionError(f"The tunnel inside CIDR {value} is reserved.")
    return cidr


def random_inside_cidr(
    used: Iterable[IPv4Network], rng: random.Random | None = None
) -> IPv4Network:
    """A free /30 from 169.254.0.0/16, avoiding AWS's reserved blocks and those in use."""
    taken = set(used) | set(RESERVED_INSIDE_CIDRS)
    rng = rng or random.SystemRandom()
    while True:
        candidate = IPv4Network((int(LINK_LOCAL_V4.network_address) + rng.randrange(16384) * 4, 30))
        if candidate not in taken:
            return candidate


def allocate_outside_ip(pool_name: str, used: Iterable[str]) -> str:
    """The next free AWS outside address of the pool for an OutsideIpAddressType."""
    pool = OUTSIDE_POOLS.get(pool_name)
    if pool is None:
        raise TunnelOptionError(f"OutsideIpAddressType {pool_name} is not supported.")
    taken = {ip_address(u) for u in used}
    for index, host in enumerate(pool.hosts()):
        if index >= 9 and host not in taken:  # leave .1-.9 to the lab's routers/gateways
            return str(host)
    for overflow in OUTSIDE_OVERFLOW.get(pool_name, ()):
        for host in overflow.hosts():
            if host not in taken:
                return str(host)
    raise TunnelOptionError(f"The lab's outside address pool {pool} is exhausted.")


def normalise_options(spec: Mapping[str, Any]) -> dict[str, Any]:
    """Validate a VpnTunnelOptionsSpecification and return it in TunnelOption words.

    PreSharedKey and TunnelInsideCidr are left out: the tunnel holds them itself.
    """
    options: dict[str, Any] = {}
    for request_key, value in spec.items():
        key = _RENAMED.get(request_key, request_key)
        if key in ("PreSharedKey", "TunnelInsideCidr", "TunnelInsideIpv6Cidr", "LogOptions"):
            continue
        if key in _LISTS:
            options[key] = _check_list(key, value)
        elif key in _RANGES:
            options[key] = _check_range(key, value)
        elif key in _CHOICES:
            if value not in _CHOICES[key]:
                raise TunnelOptionError(f"Value ({value}) for parameter {request_key} is invalid.")
            options[key] = value
        elif key == "EnableTunnelLifecycleControl":
            options[key] = bool(value)
    _check_lifetimes(options)
    return options


def _check_list(key: str, value: Any) -> list[dict[str, Any]]:
    items = [v["Value"] if isinstance(v, Mapping) else v for v in value or []]
    allowed = _LISTS[key]
    checked = []
    for item in items:
        typed = int(item) if isinstance(allowed[0], int) else str(item)
        if typed not in allowed:
            raise TunnelOptionError(f"Value ({item}) for parameter {key} is invalid.")
        checked.append({"Value": typed})
    return checked


def _check_range(key: str, value: Any) -> int:
    low, high = _RANGES[key]
    number = int(value)
    if not low <= number <= high:
        raise TunnelOptionError(f"Value ({value}) for parameter {key} must be in {low}..{high}.")
    return number


def _check_lifetimes(options: Mapping[str, Any]) -> None:
    phase1 = options.get("Phase1LifetimeSeconds", 28800)
    phase2 = options.get("Phase2LifetimeSeconds", 3600)
    if phase2 > phase1:
        raise TunnelOptionError("Phase2LifetimeSeconds must be less than Phase1LifetimeSeconds.")
    margin = options.get("RekeyMarginTimeSeconds", 270)
    if margin > phase2 // 2:
        raise TunnelOptionError("RekeyMarginTimeSeconds must be at most half the phase 2 lifetime.")


@dataclass(frozen=True)
class XmlContext:
    """What the CustomerGatewayConfiguration XML needs besides the tunnels."""

    vpn_id: str
    customer_gateway_id: str
    gateway_element: str  # vpn_gateway_id or transit_gateway_id
    gateway_id: str
    customer_gateway_ip: str
    cgw_asn: int
    amazon_asn: int
    bgp: bool
    show_psk: bool = True


def render_customer_gateway_configuration(context: XmlContext, tunnels: Sequence[LabTunnel]) -> str:
    """The XML AWS hands out for a VPN connection, consistent with its TunnelOptions."""
    lines = [
        '<?xml version="1.0" encoding="UTF-8"?>',
        f'<vpn_connection id="{escape(context.vpn_id)}">',
        f"  <customer_gateway_id>{escape(context.customer_gateway_id)}</customer_gateway_id>",
        f"  <{context.gateway_element}>{escape(context.gateway_id)}</{context.gateway_element}>",
        "  <vpn_connection_type>ipsec.1</vpn_connection_type>",
    ]
    if not context.bgp:
        lines.append("  <vpn_connection_attributes>NoBGPVPNConnection</vpn_connection_attributes>")
    for tunnel in tunnels:
        lines += _xml_tunnel(context, tunnel)
    lines.append("</vpn_connection>")
    return "\n".join(lines) + "\n"


def _xml_endpoint(role: str, outside: str, inside: str, asn: int, bgp: bool) -> list[str]:
    lines = [
        f"    <{role}>",
        "      <tunnel_outside_address>",
        f"        <ip_address>{outside}</ip_address>",
        "      </tunnel_outside_address>",
        "      <tunnel_inside_address>",
        f"        <ip_address>{inside}</ip_address>",
        "        <network_mask>255.255.255.252</network_mask>",
        "        <network_cidr>30</network_cidr>",
        "      </tunnel_inside_address>",
    ]
    if bgp:
        lines += [
            "      <bgp>",
            f"        <asn>{asn}</asn>",
            "        <hold_time>30</hold_time>",
            "      </bgp>",
        ]
    return [*lines, f"    </{role}>"]


def _xml_tunnel(context: XmlContext, tunnel: LabTunnel) -> list[str]:
    hosts = list(tunnel.inside_cidr.hosts())
    psk = (
        [f"      <pre_shared_key>{escape(tunnel.psk)}</pre_shared_key>"] if context.show_psk else []
    )
    dpd_timeout = int(tunnel.options.get("DpdTimeoutSeconds", 30))
    return [
        "  <ipsec_tunnel>",
        *_xml_endpoint(
            "customer_gateway",
            context.customer_gateway_ip,
            str(hosts[1]),
            context.cgw_asn,
            context.bgp,
        ),
        *_xml_endpoint(
            "vpn_gateway", tunnel.outside_ip, str(hosts[0]), context.amazon_asn, context.bgp
        ),
        "    <ike>",
        "      <authentication_protocol>"
        f"{XML_IKE_INTEGRITY[tunnel.first('Phase1IntegrityAlgorithms', 'SHA1')]}"
        "</authentication_protocol>",
        "      <encryption_protocol>"
        f"{XML_ENCRYPTION[tunnel.first('Phase1EncryptionAlgorithms', 'AES128')]}"
        "</encryption_protocol>",
        f"      <lifetime>{tunnel.options.get('Phase1LifetimeSeconds', 28800)}</lifetime>",
        "      <perfect_forward_secrecy>"
        f"group{tunnel.first('Phase1DHGroupNumbers', 2)}</perfect_forward_secrecy>",
        "      <mode>main</mode>",  # AWS's XML says main mode whatever IkeVersions allow
        *psk,
        "    </ike>",
        "    <ipsec>",
        "      <protocol>esp</protocol>",
        "      <authentication_protocol>"
        f"{XML_ESP_INTEGRITY[tunnel.first('Phase2IntegrityAlgorithms', 'SHA1')]}"
        "</authentication_protocol>",
        "      <encryption_protocol>"
        f"{XML_ENCRYPTION[tunnel.first('Phase2EncryptionAlgorithms', 'AES128')]}"
        "</encryption_protocol>",
        f"      <lifetime>{tunnel.options.get('Phase2LifetimeSeconds', 3600)}</lifetime>",
        "      <perfect_forward_secrecy>"
        f"group{tunnel.first('Phase2DHGroupNumbers', 2)}</perfect_forward_secrecy>",
        "      <mode>tunnel</mode>",
        "      <clear_df_bit>true</clear_df_bit>",
        "      <fragmentation_before_encryption>true</fragmentation_before_encryption>",
        "      <tcp_mss_adjustment>1379</tcp_mss_adjustment>",
        "      <dead_peer_detection>",
        "        <interval>10</interval>",
        f"        <retries>{max(3, dpd_timeout // 10)}</retries>",
        "      </dead_peer_detection>",
        "    </ipsec>",
        "  </ipsec_tunnel>",
    ]
