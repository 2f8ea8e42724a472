"""The lab's AWS tunnel endpoints, configured from the lab AWS's own records of a VPN connection.

Deliberately independent of cgw's fetch, models, templates and platforms: the AWS side is built
from `aws_server.lab_vpn(vpn_id)` (what the emulator allocated and stored) with its own small
tables, so a mistake in cgw's fetch or render shows up as a tunnel that does not come up
instead of cancelling itself out. strongSwan answers as the responder (libipsec dataplane),
FRR speaks BGP as the amazon-side ASN and advertises the VPC prefix.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from ipaddress import IPv4Address, IPv4Network
from typing import Any, Final

# AWS's documented defaults for a tunnel option list left empty (every value AWS allows).
DEFAULT_ENCRYPTION: Final = ("AES128", "AES256", "AES128-GCM-16", "AES256-GCM-16")
DEFAULT_INTEGRITY: Final = ("SHA1", "SHA2-256", "SHA2-384", "SHA2-512")
DEFAULT_PHASE1_GROUPS: Final = (2, 14, 15, 16, 17, 18, 19, 20, 21, 22, 23, 24)
DEFAULT_PHASE2_GROUPS: Final = (2, 5, 14, 15, 16, 17, 18, 19, 20, 21, 22, 23, 24)
DEFAULT_IKE_VERSIONS: Final = ("ikev1", "ikev2")
BGP_HOLD_TIME_S: Final = 30
BGP_KEEPALIVE_S: Final = 10
VPC_PREFIX: Final = IPv4Network("10.100.0.0/16")
VPC_ADDRESS: Final = IPv4Address("10.100.0.1")

# strongSwan's keywords, the lab's own table (not cgw's: see the module docstring).
CIPHERS: Final = {
    "AES128": "aes128",
    "AES256": "aes256",
    "AES128-GCM-16": "aes128gcm16",
    "AES256-GCM-16": "aes256gcm16",
}
AEAD: Final = frozenset({"AES128-GCM-16", "AES256-GCM-16"})
HASHES: Final = {"SHA1": "sha1", "SHA2-256": "sha256", "SHA2-384": "sha384", "SHA2-512": "sha512"}
GROUPS: Final = {
    2: "modp1024",
    5: "modp1536",
    14: "modp2048",
    15: "modp3072",
    16: "modp4096",
    17: "modp6144",
    18: "modp8192",
    19: "ecp256",
    20: "ecp384",
    21: "ecp521",
    22: "modp1024s160",
    23: "modp2048s224",
    24: "modp2048s256",
}


@dataclass(frozen=True)
class Suite:
    """One phase's allowed algorithms as AWS stores them, and its lifetime."""

    encryption: tuple[str, ...]
    integrity: tuple[str, ...]
    groups: tuple[int, ...]
    lifetime_s: int


@dataclass(frozen=True)
class AwsEndpoint:
    """One AWS tunnel endpoint as the lab AWS recorded it."""

    vpn_id: str
    number: int
    outside_ip: IPv4Address
    cgw_ip: IPv4Address
    inside_cidr: IPv4Network
    psk: str = field(repr=False)
    ike_versions: tuple[str, ...]
    phase1: Suite
    phase2: Suite
    amazon_asn: int
    cgw_asn: int
    initiates: bool  # StartupAction start: AWS brings the tunnel up itself
    dpd_action: str

    @property
    def aws_inside_ip(self) -> IPv4Address:
        return self.inside_cidr.network_address + 1

    @property
    def cgw_inside_ip(self) -> IPv4Address:
        return self.inside_cidr.network_address + 2

    @property
    def name(self) -> str:
        return f"aws-tunnel{self.number}"


def _values(options: Mapping[str, Any], key: str, default: Sequence[Any]) -> tuple[Any, ...]:
    return tuple(v["Value"] for v in options.get(key) or []) or tuple(default)


def _suite(options: Mapping[str, Any], phase: int, groups: Sequence[int], life: int) -> Suite:
    return Suite(
        encryption=_values(options, f"Phase{phase}EncryptionAlgorithms", DEFAULT_ENCRYPTION),
        integrity=_values(options, f"Phase{phase}IntegrityAlgorithms", DEFAULT_INTEGRITY),
        groups=tuple(int(g) for g in _values(options, f"Phase{phase}DHGroupNumbers", groups)),
        lifetime_s=int(options.get(f"Phase{phase}LifetimeSeconds", life)),
    )


def endpoint_from_record(
    vpn_id: str, number: int, tunnel: Any, cgw_ip: str, cgw_asn: int, amazon_asn: int
) -> AwsEndpoint:
    """One `LabTunnel` of the emulator as an AwsEndpoint."""
    options: Mapping[str, Any] = tunnel.options
    return AwsEndpoint(
        vpn_id=vpn_id,
        number=number,
        outside_ip=IPv4Address(tunnel.outside_ip),
        cgw_ip=IPv4Address(cgw_ip),
        inside_cidr=IPv4Network(tunnel.inside_cidr),
        psk=tunnel.psk,
        ike_versions=_values(options, "IkeVersions", DEFAULT_IKE_VERSIONS),
        phase1=_suite(options, 1, DEFAULT_PHASE1_GROUPS, 28800),
        phase2=_suite(options, 2, DEFAULT_PHASE2_GROUPS, 3600),
        amazon_asn=amazon_asn,
        cgw_asn=cgw_asn,
        initiates=options.get("StartupAction") == "start",
        dpd_action=str(options.get("DpdTimeoutAction", "clear")),
    )


def lab_endpoints(vpn_id: str) -> tuple[AwsEndpoint, AwsEndpoint]:
    """Both AWS endpoints of a VPN connection, read from the lab AWS running in this process."""
    from cgw.lab.aws_server import lab_vpn

    vpn = lab_vpn(vpn_id)
    customer_gateway = vpn.ec2_backend.get_customer_gateway(vpn.customer_gateway_id)
    amazon_asn = vpn._amazon_side_asn()  # the emulator's record: TGW/VGW AmazonSideAsn
    first, second = (
        endpoint_from_record(
            vpn_id,
            number,
            tunnel,
            customer_gateway.ip_address,
            int(customer_gateway.bgp_asn),
            amazon_asn,
        )
        for number, tunnel in enumerate(vpn.lab_tunnels, start=1)
    )
    return first, second


# --------------------------------------------------------------------------- strongSwan


def _proposals(suite: Suite, *, ike: bool) -> str:
    """AWS's allowed lists as strongSwan proposals: one for AEAD ciphers, one for the others."""
    groups = [GROUPS[g] for g in suite.groups]
    proposals = []
    aead = [CIPHERS[c] for c in suite.encryption if c in AEAD]
    classic = [CIPHERS[c] for c in suite.encryption if c not in AEAD]
    if aead:
        prfs = [f"prf{HASHES[h]}" for h in suite.integrity] if ike else []
        proposals.append("-".join([*aead, *prfs, *groups]))
    if classic:
        proposals.append("-".join([*classic, *(HASHES[h] for h in suite.integrity), *groups]))
    return ",".join(proposals)


def ike_version(versions: Sequence[str]) -> int:
    """swanctl's `version`: 0 (either) when AWS allows both."""
    if "ikev1" in versions and "ikev2" in versions:
        return 0
    return 2 if "ikev2" in versions else 1


def swanctl_conf(endpoint: AwsEndpoint) -> str:
    """The responder's swanctl.conf for one AWS tunnel (0/0 selectors, ESP in UDP)."""
    name = endpoint.name
    start = "start" if endpoint.initiates else "none"
    return f"""\
connections {{
    {name} {{
        version = {ike_version(endpoint.ike_versions)}
        local_addrs = {endpoint.outside_ip}
        remote_addrs = {endpoint.cgw_ip}
        proposals = {_proposals(endpoint.phase1, ike=True)}
        rekey_time = {endpoint.phase1.lifetime_s}s
        encap = yes
        mobike = no
        dpd_delay = 10s
        local {{
            auth = psk
            id = {endpoint.outside_ip}
        }}
        remote {{
            auth = psk
            id = {endpoint.cgw_ip}
        }}
        children {{
            {name} {{
                local_ts = 0.0.0.0/0
                remote_ts = 0.0.0.0/0
                esp_proposals = {_proposals(endpoint.phase2, ike=False)}
                life_time = {endpoint.phase2.lifetime_s}s
                rekey_time = 0s
                dpd_action = {endpoint.dpd_action}
                start_action = {start}
            }}
        }}
    }}
}}
secrets {{
    ike-{name} {{
        id-aws = {endpoint.outside_ip}
        id-cgw = {endpoint.cgw_ip}
        secret = "{endpoint.psk}"
    }}
}}
"""


def frr_conf(endpoint: AwsEndpoint) -> str:
    """The AWS-side BGP speaker: amazon-side ASN, hold 30 / keepalive 10, the VPC prefix."""
    peer = endpoint.cgw_inside_ip
    return f"""\
frr defaults traditional
hostname {endpoint.name}
!
router bgp {endpoint.amazon_asn}
 bgp router-id {endpoint.outside_ip}
 no bgp ebgp-requires-policy
 neighbor {peer} remote-as {endpoint.cgw_asn}
 neighbor {peer} timers {BGP_KEEPALIVE_S} {BGP_HOLD_TIME_S}
 neighbor {peer} timers connect 5
 !
 address-family ipv4 unicast
  network {VPC_PREFIX}
 exit-address-family
exit
!
"""
