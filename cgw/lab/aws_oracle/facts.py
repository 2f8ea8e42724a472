"""What the lab AWS holds for a VPN connection, read in process or through its EC2 API."""

from __future__ import annotations

import json
import xml.etree.ElementTree as ET
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from ipaddress import IPv4Address, IPv4Interface, IPv4Network, ip_address
from typing import Any

from cgw.lab.aws_oracle.algorithms import describe_algorithms

VPC_PREFIXES = ("10.100.0.0/16",)  # the lab seed's VPC (notes/seed.md)

# What AWS allows when a tunnel's option list is empty (AWS's own words).
AWS_IKE_VERSIONS = frozenset({1, 2})
AWS_ENCRYPTION = frozenset({"AES128", "AES256", "AES128-GCM-16", "AES256-GCM-16"})
AWS_INTEGRITY = frozenset({"SHA1", "SHA2-256", "SHA2-384", "SHA2-512"})
AWS_PHASE1_GROUPS = frozenset({2, 14, 15, 16, 17, 18, 19, 20, 21, 22, 23, 24})
AWS_PHASE2_GROUPS = frozenset({2, 5, 14, 15, 16, 17, 18, 19, 20, 21, 22, 23, 24})

Telemetry = tuple[str, int, str]  # status, accepted routes, message
NO_TELEMETRY: Telemetry = ("DOWN", 0, "")


@dataclass(frozen=True)
class Phase:
    """The algorithms AWS accepts for one phase of one tunnel, in AWS's words."""

    encryption: frozenset[str]
    integrity: frozenset[str]
    groups: frozenset[int]

    def describe(self) -> str:
        return describe_algorithms(self.encryption, self.integrity, self.groups)


@dataclass(frozen=True)
class AwsTunnel:
    """One AWS tunnel endpoint as the lab holds it, plus its current telemetry."""

    vpn_id: str
    outside_ip: str
    inside_cidr: IPv4Network
    psk: str = field(repr=False)
    ike_versions: frozenset[int]
    phase1: Phase
    phase2: Phase
    telemetry: Telemetry = NO_TELEMETRY
    initiates: bool = False  # StartupAction `start`; AWS's default `add` waits for the CGW

    @property
    def aws_inside(self) -> IPv4Address:
        return self.inside_cidr.network_address + 1

    @property
    def cgw_inside(self) -> IPv4Interface:
        return IPv4Interface(f"{self.inside_cidr.network_address + 2}/{self.inside_cidr.prefixlen}")


@dataclass(frozen=True)
class AwsVpn:
    """One lab VPN connection: customer gateway, Amazon-side ASN, routing and two tunnels."""

    vpn_id: str
    cgw_ip: str
    cgw_asn: int | None
    amazon_asn: int | None
    static: bool
    tunnels: tuple[AwsTunnel, ...]


def _option_values(option: Mapping[str, Any], key: str) -> list[Any]:
    return [v["Value"] if isinstance(v, Mapping) else v for v in option.get(key) or []]


def _phase(option: Mapping[str, Any], number: int) -> Phase:
    groups = AWS_PHASE1_GROUPS if number == 1 else AWS_PHASE2_GROUPS
    return Phase(
        frozenset(_option_values(option, f"Phase{number}EncryptionAlgorithms")) or AWS_ENCRYPTION,
        frozenset(_option_values(option, f"Phase{number}IntegrityAlgorithms")) or AWS_INTEGRITY,
        frozenset(int(g) for g in _option_values(option, f"Phase{number}DHGroupNumbers")) or groups,
    )


def aws_tunnel(
    vpn_id: str,
    option: Mapping[str, Any],
    psk: str,
    telemetry: Telemetry = NO_TELEMETRY,
) -> AwsTunnel:
    """An AwsTunnel from AWS's TunnelOption shape (empty lists mean: everything AWS allows)."""
    versions = {int(str(v).removeprefix("ikev")) for v in _option_values(option, "IkeVersions")}
    return AwsTunnel(
        vpn_id=vpn_id,
        outside_ip=str(ip_address(option["OutsideIpAddress"])),
        inside_cidr=IPv4Network(option["TunnelInsideCidr"]),
        psk=psk,
        ike_versions=frozenset(versions) or AWS_IKE_VERSIONS,
        phase1=_phase(option, 1),
        phase2=_phase(option, 2),
        telemetry=telemetry,
        initiates=option.get("StartupAction") == "start",
    )


def _xml_facts(xml: str) -> tuple[str, int | None, int | None]:
    """(customer gateway IP, its ASN, Amazon-side ASN) from CustomerGatewayConfiguration."""
    root = ET.fromstring(xml)
    tunnel = root.find("ipsec_tunnel")
    if tunnel is None:
        raise ValueError("CustomerGatewayConfiguration has no ipsec_tunnel")
    cgw_ip = tunnel.findtext("customer_gateway/tunnel_outside_address/ip_address") or ""
    cgw_asn = tunnel.findtext("customer_gateway/bgp/asn")
    amazon_asn = tunnel.findtext("vpn_gateway/bgp/asn")
    return (
        cgw_ip.strip(),
        int(cgw_asn) if cgw_asn else None,
        int(amazon_asn) if amazon_asn else None,
    )


def _aws_vpn(vpn_id: str, xml: str, static: bool, tunnels: tuple[AwsTunnel, ...]) -> AwsVpn:
    cgw_ip, cgw_asn, amazon_asn = _xml_facts(xml)
    return AwsVpn(vpn_id, cgw_ip, cgw_asn, amazon_asn, static, tunnels)


def lab_vpn_facts(vpn_id: str) -> AwsVpn:
    """What the in-process lab AWS holds for one VPN connection."""
    from cgw.lab.aws_server import lab_vpn

    vpn = lab_vpn(vpn_id)
    tunnels = tuple(
        aws_tunnel(
            vpn_id,
            t.tunnel_option(show_psk=True),
            t.psk,
            (t.status, t.accepted_routes, t.status_message),
        )
        for t in vpn.lab_tunnels
    )
    return _aws_vpn(
        vpn_id, vpn.customer_gateway_configuration, bool(vpn.static_routes_only), tunnels
    )


def remote_vpn_facts(endpoint: str, vpn_ids: Sequence[str]) -> list[AwsVpn]:
    """What a lab AWS in another process holds, read through its EC2 (and Secrets Manager) API."""
    from cgw.lab.seed import lab_ec2_client

    ec2 = lab_ec2_client(endpoint)
    raw_vpns = ec2.describe_vpn_connections(VpnConnectionIds=list(vpn_ids))["VpnConnections"]
    return [_remote_vpn(endpoint, raw) for raw in raw_vpns]


def _remote_vpn(endpoint: str, raw: Mapping[str, Any]) -> AwsVpn:
    """One VpnConnection of DescribeVpnConnections as an AwsVpn."""
    options: Mapping[str, Any] = raw.get("Options") or {}
    stored = _stored_psks(endpoint, raw.get("PreSharedKeyArn"))
    telemetry = {
        str(t["OutsideIpAddress"]): (
            str(t.get("Status", "DOWN")),
            int(t.get("AcceptedRouteCount", 0)),
            str(t.get("StatusMessage", "")),
        )
        for t in raw.get("VgwTelemetry") or []
    }
    tunnels = tuple(
        aws_tunnel(
            raw["VpnConnectionId"],
            option,
            option.get("PreSharedKey") or stored.get(option["OutsideIpAddress"], ""),
            telemetry.get(option["OutsideIpAddress"], NO_TELEMETRY),
        )
        for option in options.get("TunnelOptions") or []
    )
    static = bool(options.get("StaticRoutesOnly"))
    return _aws_vpn(raw["VpnConnectionId"], raw["CustomerGatewayConfiguration"], static, tunnels)


def _stored_psks(endpoint: str, arn: str | None) -> dict[str, str]:
    if not arn:
        return {}
    import boto3

    client = boto3.session.Session().client(
        "secretsmanager",
        endpoint_url=endpoint,
        region_name="us-east-1",
        aws_access_key_id="testing",
        aws_secret_access_key="testing",
    )
    document = json.loads(client.get_secret_value(SecretId=arn)["SecretString"])
    return {str(k): str(v) for k, v in document.items()}
