"""The lab's honest tunnel oracle: a tunnel comes up only if the router's config matches lab AWS.

`AwsOracle(vpn_ids)` judges a simulated router's running configuration (IOS running-config, Junos
`display set` lines, or the Linux host's loaded swanctl files followed by FRR's running config)
against what the lab AWS holds for each tunnel of those VPN connections: outside address, PSK,
IKE versions, proposals, inside /30 and BGP ASNs. It reports each tunnel's state back to the lab
AWS's VgwTelemetry, so `cgw verify` sees AWS agree with the router.

The parsers here are written independently of cgw's renderer, templates, model and platforms, so
that a rendering bug shows up as a down tunnel instead of cancelling itself out.
"""

from __future__ import annotations

import base64
import binascii
import json
import re
import threading
import xml.etree.ElementTree as ET
from collections.abc import Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from ipaddress import IPv4Address, IPv4Interface, IPv4Network, ip_address, ip_network
from typing import Any

from cgw.lab.routers.oracle import BgpVerdict, OracleVerdict, RouterKind, TunnelVerdict

VPC_PREFIXES = ("10.100.0.0/16",)  # the lab seed's VPC (notes/seed.md)

# What AWS allows when a tunnel's option list is empty (AWS's own words).
AWS_IKE_VERSIONS = frozenset({1, 2})
AWS_ENCRYPTION = frozenset({"AES128", "AES256", "AES128-GCM-16", "AES256-GCM-16"})
AWS_INTEGRITY = frozenset({"SHA1", "SHA2-256", "SHA2-384", "SHA2-512"})
AWS_PHASE1_GROUPS = frozenset({2, 14, 15, 16, 17, 18, 19, 20, 21, 22, 23, 24})
AWS_PHASE2_GROUPS = frozenset({2, 5, 14, 15, 16, 17, 18, 19, 20, 21, 22, 23, 24})
GCM = frozenset({"AES128-GCM-16", "AES256-GCM-16"})

# Addresses a router may hold when AWS sees it through NAT as the customer gateway IP.
_NAT_RANGES = tuple(
    IPv4Network(n) for n in ("10.0.0.0/8", "172.16.0.0/12", "192.168.0.0/16", "100.64.0.0/10")
)


# =========================================================================== verdicts


@dataclass(frozen=True)
class AwsTunnelVerdict(TunnelVerdict):
    """A TunnelVerdict that also says why a tunnel is down (empty when it is up)."""

    reason: str = ""


@dataclass(frozen=True)
class AwsBgpVerdict(BgpVerdict):
    """A BgpVerdict that also says why the session is down or receives nothing."""

    reason: str = ""
    advertised: tuple[str, ...] = ()


def reason_of(verdict: TunnelVerdict | BgpVerdict) -> str:
    """The oracle's explanation for a verdict entry ('' when none is attached)."""
    return str(getattr(verdict, "reason", ""))


# =========================================================================== AWS's side


@dataclass(frozen=True)
class Phase:
    """The algorithms AWS accepts for one phase of one tunnel, in AWS's words."""

    encryption: frozenset[str]
    integrity: frozenset[str]
    groups: frozenset[int]

    def describe(self) -> str:
        return _describe(self.encryption, self.integrity, self.groups)


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
    telemetry: tuple[str, int, str] = ("DOWN", 0, "")  # status, accepted routes, message

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
    telemetry: tuple[str, int, str] = ("DOWN", 0, ""),
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


def lab_vpn_facts(vpn_id: str) -> AwsVpn:
    """What the in-process lab AWS holds for one VPN connection."""
    from cgw.lab.aws_server import lab_vpn

    vpn = lab_vpn(vpn_id)
    cgw_ip, cgw_asn, amazon_asn = _xml_facts(vpn.customer_gateway_configuration)
    tunnels = tuple(
        aws_tunnel(
            vpn_id,
            t.tunnel_option(show_psk=True),
            t.psk,
            (t.status, t.accepted_routes, t.status_message),
        )
        for t in vpn.lab_tunnels
    )
    return AwsVpn(vpn_id, cgw_ip, cgw_asn, amazon_asn, bool(vpn.static_routes_only), tunnels)


def remote_vpn_facts(endpoint: str, vpn_ids: Sequence[str]) -> list[AwsVpn]:
    """What a lab AWS in another process holds, read through its EC2 (and Secrets Manager) API."""
    from cgw.lab.seed import lab_ec2_client

    ec2 = lab_ec2_client(endpoint)
    raw_vpns = ec2.describe_vpn_connections(VpnConnectionIds=list(vpn_ids))["VpnConnections"]
    vpns = []
    for raw in raw_vpns:
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
                telemetry.get(option["OutsideIpAddress"], ("DOWN", 0, "")),
            )
            for option in options.get("TunnelOptions") or []
        )
        cgw_ip, cgw_asn, amazon_asn = _xml_facts(raw["CustomerGatewayConfiguration"])
        static = bool(options.get("StaticRoutesOnly"))
        vpns.append(AwsVpn(raw["VpnConnectionId"], cgw_ip, cgw_asn, amazon_asn, static, tunnels))
    return vpns


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


# =========================================================================== the router's side


@dataclass(frozen=True)
class Proposal:
    """One router proposal in AWS's words; integrity None = not constrained (AEAD PRF unknown).

    Words the oracle cannot map stay as `?word`, so they never match AWS.
    """

    encryption: frozenset[str]
    integrity: frozenset[str] | None
    groups: frozenset[int]

    def describe(self) -> str:
        return _describe(self.encryption, self.integrity or frozenset(), self.groups)


@dataclass
class RouterPeer:
    """One IPsec peer as the router would negotiate it with the address it points at."""

    address: str
    label: str
    ike_versions: frozenset[int] = frozenset()
    psk: str | None = field(default=None, repr=False)
    psk_problem: str = ""
    ike_proposals: dict[int, tuple[Proposal, ...]] = field(default_factory=dict)
    local_identity: str | None = None
    local_address: str | None = None
    esp_proposals: tuple[Proposal, ...] = ()
    interface: str | None = None
    inside: IPv4Interface | None = None
    interface_known: bool = True  # False: the config shows no tunnel interfaces (Linux)
    ike_problems: list[str] = field(default_factory=list)
    ipsec_problems: list[str] = field(default_factory=list)
    bgp_problems: list[str] = field(default_factory=list)
    routes: set[IPv4Network] = field(default_factory=set)


@dataclass
class Neighbor:
    """One BGP neighbour the router configures."""

    address: str
    remote_as: str
    local_as: int | None
    problems: list[str] = field(default_factory=list)
    receives: bool = True
    receive_problem: str = ""
    advertised: tuple[str, ...] = ()


@dataclass
class RouterConfig:
    """The parts of a router's configuration the oracle judges."""

    peers: list[RouterPeer] = field(default_factory=list)
    neighbors: dict[str, Neighbor] = field(default_factory=dict)


# =========================================================================== judging


@dataclass(frozen=True)
class TunnelJudgement:
    """The oracle's view of one AWS tunnel."""

    tunnel: AwsTunnel
    verdict: AwsTunnelVerdict
    bgp: AwsBgpVerdict | None  # None: static VPN (AWS runs no BGP)
    static_routes_ok: bool | None = None  # static VPNs with visible interfaces only

    def telemetry(self, static: bool) -> tuple[str, int, str]:
        """(status, accepted routes, message) as AWS would report this tunnel."""
        if not self.verdict.ipsec_up:
            return ("DOWN", 0, "IPSEC IS DOWN")
        if static:
            return ("UP", 0, "")
        if self.bgp is None or not self.bgp.established:
            return ("DOWN", 0, "IPSEC IS UP")
        count = len(self.bgp.advertised)
        return ("UP", count, f"{count} BGP ROUTES")


def _nat_address(address: str) -> bool:
    return any(IPv4Address(address) in net for net in _NAT_RANGES) if _is_v4(address) else False


def _is_v4(text: str) -> bool:
    try:
        IPv4Address(text)
    except ValueError:
        return False
    return True


def _phase1_compatible(proposal: Proposal, aws: Phase, version: int) -> bool:
    """AWS's phase 1 check: GCM only in IKEv2; for GCM the integrity words are the PRF."""
    allowed = aws.encryption - GCM if version == 1 else aws.encryption
    if not proposal.encryption & allowed or not proposal.groups & aws.groups:
        return False
    return proposal.integrity is None or bool(proposal.integrity & aws.integrity)


def _phase2_compatible(proposal: Proposal, aws: Phase) -> bool:
    """AWS's phase 2 check on ciphers and integrity (PFS groups are checked apart)."""
    encryption = proposal.encryption & aws.encryption
    if not encryption:
        return False
    if encryption & GCM or proposal.integrity is None:
        return True
    return bool(proposal.integrity & aws.integrity)


def _ike_problem(peer: RouterPeer, vpn: AwsVpn, tunnel: AwsTunnel) -> str:
    """Why phase 1 with this peer fails ('' when it comes up)."""
    if peer.ike_problems:
        return peer.ike_problems[0]
    versions = peer.ike_versions & tunnel.ike_versions
    if not versions:
        return (
            f"IKE version mismatch: {peer.label} speaks {_versions(peer.ike_versions)}, "
            f"AWS allows {_versions(tunnel.ike_versions)}"
        )
    if peer.psk_problem:
        return peer.psk_problem
    if peer.psk is None:
        return f"no pre-shared key for {tunnel.outside_ip} on {peer.label}"
    if peer.psk != tunnel.psk:
        return f"PSK mismatch for {tunnel.outside_ip} ({peer.label})"
    version = 2 if 2 in versions else 1
    proposals = peer.ike_proposals.get(version, ())
    if not any(_phase1_compatible(p, tunnel.phase1, version) for p in proposals):
        offered = "; ".join(p.describe() for p in proposals) or "nothing"
        return (
            f"no phase 1 proposal in common: {peer.label} offers {offered}; "
            f"AWS allows {tunnel.phase1.describe()}"
        )
    return _identity_problem(peer, vpn)


def _identity_problem(peer: RouterPeer, vpn: AwsVpn) -> str:
    if peer.local_identity != vpn.cgw_ip:
        return (
            f"local IKE identity {peer.local_identity or 'unknown'} is not the customer gateway "
            f"IP {vpn.cgw_ip}"
        )
    source = peer.local_address
    if source and source != vpn.cgw_ip and not _nat_address(source):
        return f"IKE is sent from {source}, not from the customer gateway IP {vpn.cgw_ip}"
    return ""


def _ipsec_problem(peer: RouterPeer, tunnel: AwsTunnel) -> str:
    """Why phase 2 fails once phase 1 is up ('' when it comes up)."""
    if peer.ipsec_problems:
        return peer.ipsec_problems[0]
    usable = [p for p in peer.esp_proposals if _phase2_compatible(p, tunnel.phase2)]
    if not usable:
        offered = "; ".join(p.describe() for p in peer.esp_proposals) or "nothing"
        return (
            f"no phase 2 proposal in common: {peer.label} offers {offered}; "
            f"AWS allows {_describe(tunnel.phase2.encryption, tunnel.phase2.integrity, None)}"
        )
    if not any(p.groups & tunnel.phase2.groups for p in usable):
        groups = sorted({g for p in usable for g in p.groups})
        return (
            f"PFS group mismatch: {peer.label} uses "
            f"{', '.join(f'group {g}' for g in groups) or 'no PFS'}; AWS allows "
            f"{_groups(tunnel.phase2.groups)}"
        )
    return _interface_problem(peer, tunnel)


def _interface_problem(peer: RouterPeer, tunnel: AwsTunnel) -> str:
    if not peer.interface_known:
        return ""
    if peer.interface is None:
        return f"no tunnel interface bound to {peer.label}"
    wanted = tunnel.cgw_inside
    if peer.inside is None:
        return f"{peer.interface} has no address; AWS expects {wanted}"
    if peer.inside != wanted:
        return f"{peer.interface} has {peer.inside}, not the customer inside address {wanted}"
    return ""


def _judge_peer(peer: RouterPeer, vpn: AwsVpn, tunnel: AwsTunnel) -> AwsTunnelVerdict:
    problem = _ike_problem(peer, vpn, tunnel)
    if problem:
        return AwsTunnelVerdict(False, False, problem)
    problem = _ipsec_problem(peer, tunnel)
    return AwsTunnelVerdict(True, not problem, problem)


def _judge_tunnel(
    config: RouterConfig, vpn: AwsVpn, tunnel: AwsTunnel, vpc: Sequence[str]
) -> TunnelJudgement:
    peers = [p for p in config.peers if p.address == tunnel.outside_ip]
    if not peers:
        verdict = AwsTunnelVerdict(
            reason=f"no IPsec peer at the AWS outside IP {tunnel.outside_ip}"
        )
        return TunnelJudgement(tunnel, verdict, None if vpn.static else _no_bgp(tunnel))
    judged = [(_judge_peer(p, vpn, tunnel), p) for p in peers]
    verdict, peer = max(judged, key=lambda j: (j[0].ipsec_up, j[0].ike_up))
    if vpn.static:
        routes_ok = None
        if peer.interface_known and verdict.ipsec_up:
            routes_ok = any(IPv4Network(v) in peer.routes for v in vpc)
            if not routes_ok:
                note = f"IPsec up, but no static route to {', '.join(vpc)} via {peer.interface}"
                verdict = AwsTunnelVerdict(True, True, note)
        return TunnelJudgement(tunnel, verdict, None, routes_ok)
    return TunnelJudgement(tunnel, verdict, _judge_bgp(config, vpn, tunnel, verdict, peer, vpc))


def _no_bgp(tunnel: AwsTunnel) -> AwsBgpVerdict:
    return AwsBgpVerdict(reason=f"tunnel to {tunnel.outside_ip} is down")


def _judge_bgp(
    config: RouterConfig,
    vpn: AwsVpn,
    tunnel: AwsTunnel,
    verdict: AwsTunnelVerdict,
    peer: RouterPeer,
    vpc: Sequence[str],
) -> AwsBgpVerdict:
    address = str(tunnel.aws_inside)
    neighbor = config.neighbors.get(address)
    problem = _bgp_problem(neighbor, vpn, address, verdict, peer)
    if problem or neighbor is None:
        return AwsBgpVerdict(reason=problem)
    received = tuple(vpc) if neighbor.receives else ()
    return AwsBgpVerdict(True, received, neighbor.receive_problem, neighbor.advertised)


def _bgp_problem(
    neighbor: Neighbor | None,
    vpn: AwsVpn,
    address: str,
    verdict: AwsTunnelVerdict,
    peer: RouterPeer,
) -> str:
    if neighbor is None:
        return f"no BGP neighbour at the AWS inside address {address}"
    if not verdict.ipsec_up:
        return f"IPsec to {peer.address} is down: {verdict.reason}"
    if neighbor.remote_as != str(vpn.amazon_asn):
        return (
            f"neighbour {address} remote-as {neighbor.remote_as} is not the Amazon side ASN "
            f"{vpn.amazon_asn}"
        )
    if neighbor.local_as != vpn.cgw_asn:
        return (
            f"local ASN {neighbor.local_as or 'unset'} is not the customer gateway ASN "
            f"{vpn.cgw_asn}"
        )
    if neighbor.problems:
        return neighbor.problems[0]
    if peer.bgp_problems:
        return peer.bgp_problems[0]
    return ""


def judge(config: RouterConfig, vpn: AwsVpn, vpc: Sequence[str]) -> list[TunnelJudgement]:
    """Every tunnel of `vpn` judged against the router's parsed configuration."""
    return [_judge_tunnel(config, vpn, t, vpc) for t in vpn.tunnels]


# =========================================================================== the oracle


class AwsOracle:
    """A TunnelOracle backed by the lab AWS; also keeps AWS's tunnel telemetry in step.

    Give it the VPN connections one router terminates. `endpoint` None: the lab AWS runs in this
    process (`run_lab_aws`); otherwise its URL (facts via the EC2 API, status via /_cgw_lab/).
    """

    def __init__(
        self,
        vpn_ids: Iterable[str],
        endpoint: str | None = None,
        *,
        vpc_prefixes: Iterable[str] = VPC_PREFIXES,
        report: bool = True,
    ) -> None:
        self.vpn_ids = tuple(dict.fromkeys(vpn_ids))
        self.endpoint = endpoint
        self.vpc_prefixes = tuple(str(ip_network(p)) for p in vpc_prefixes)
        self.report = report
        self._lock = threading.Lock()
        self.last: list[TunnelJudgement] = []

    def facts(self) -> list[AwsVpn]:
        """What the lab AWS holds now for this oracle's VPN connections."""
        if self.endpoint is None:
            return [lab_vpn_facts(v) for v in self.vpn_ids]
        return remote_vpn_facts(self.endpoint, self.vpn_ids)

    def judge(self, kind: RouterKind, running_config: str) -> list[TunnelJudgement]:
        """Every tunnel of every VPN, judged (and reported to AWS when its state changed)."""
        config = parse_running_config(kind, running_config)
        judgements = []
        with self._lock:
            for vpn in self.facts():
                judged = judge(config, vpn, self.vpc_prefixes)
                if self.report:
                    self._report(vpn, judged)
                judgements += judged
            self.last = judgements
        return judgements

    def evaluate(self, kind: RouterKind, running_config: str) -> OracleVerdict:
        """TunnelOracle: peers keyed by AWS outside IP, neighbours by AWS inside IP."""
        tunnels: dict[str, TunnelVerdict] = {}
        bgp: dict[str, BgpVerdict] = {}
        for judgement in self.judge(kind, running_config):
            tunnels[judgement.tunnel.outside_ip] = judgement.verdict
            if judgement.bgp is not None:
                bgp[str(judgement.tunnel.aws_inside)] = judgement.bgp
        return OracleVerdict(tunnels=tunnels, bgp=bgp)

    def _report(self, vpn: AwsVpn, judged: Iterable[TunnelJudgement]) -> None:
        for judgement in judged:
            wanted = judgement.telemetry(vpn.static)
            if wanted == judgement.tunnel.telemetry:
                continue
            status, routes, message = wanted
            self._set_status(vpn.vpn_id, judgement.tunnel.outside_ip, status, routes, message)

    def _set_status(
        self, vpn_id: str, outside_ip: str, status: str, routes: int, message: str
    ) -> None:
        if self.endpoint is None:
            from cgw.lab.aws_server import set_tunnel_status

            set_tunnel_status(vpn_id, outside_ip, status, routes, message)
            return
        from cgw.lab.aws_server import post_lab_hook

        post_lab_hook(
            self.endpoint,
            "tunnel-status",
            vpn_id=vpn_id,
            outside_ip=outside_ip,
            status=status,
            accepted_routes=routes,
            message=message,
        )


def parse_running_config(kind: RouterKind, text: str) -> RouterConfig:
    """The router's configuration in the oracle's terms, from its own canonical text."""
    if kind == "cisco_xe":
        return parse_ios(text)
    if kind == "juniper_junos":
        return parse_junos(text)
    if kind == "linux":
        return parse_linux(text)
    raise ValueError(f"unknown router kind {kind!r}")


# =========================================================================== shared words


_DH_STRONGSWAN = {
    "modp768": 1,
    "modp1024": 2,
    "modp1536": 5,
    "modp2048": 14,
    "modp3072": 15,
    "modp4096": 16,
    "modp6144": 17,
    "modp8192": 18,
    "ecp256": 19,
    "ecp384": 20,
    "ecp521": 21,
    "modp1024s160": 22,
    "modp2048s224": 23,
    "modp2048s256": 24,
}
_SHA = {"sha1": "SHA1", "sha256": "SHA2-256", "sha384": "SHA2-384", "sha512": "SHA2-512"}


def _unknown(word: str) -> str:
    return f"?{word}"


def _describe(
    encryption: Iterable[str], integrity: Iterable[str], groups: Iterable[int] | None
) -> str:
    parts = ["/".join(sorted(encryption)) or "no cipher", "/".join(sorted(integrity))]
    if groups is not None:
        parts.append(_groups(groups))
    return " ".join(p for p in parts if p)


def _groups(groups: Iterable[int]) -> str:
    return "group " + "/".join(str(g) for g in sorted(groups)) if groups else "no DH group"


def _versions(versions: Iterable[int]) -> str:
    return "/".join(f"IKEv{v}" for v in sorted(versions)) or "no IKE version"


def _group_number(word: str) -> int | None:
    match = re.fullmatch(r"group(\d+)", word)
    return int(match.group(1)) if match else None


# =========================================================================== Cisco IOS-XE


@dataclass
class _Node:
    line: str
    children: list[_Node] = field(default_factory=list)

    def words(self) -> list[str]:
        return self.line.split()

    def child_lines(self, prefix: str) -> list[str]:
        return [c.line for c in self.children if c.line.startswith(prefix)]

    def value(self, prefix: str) -> str | None:
        lines = self.child_lines(prefix)
        return lines[-1][len(prefix) :].strip() if lines else None


def _ios_tree(text: str) -> _Node:
    root = _Node("")
    stack: list[tuple[int, _Node]] = [(-1, root)]
    for raw in text.splitlines():
        stripped = raw.strip()
        if not stripped or stripped.startswith("!") or stripped == "end":
            continue
        if stripped.startswith(("Building configuration", "Current configuration")):
            continue
        indent = len(raw) - len(raw.lstrip(" "))
        while stack[-1][0] >= indent:
            stack.pop()
        node = _Node(stripped)
        stack[-1][1].children.append(node)
        stack.append((indent, node))
    return root


class _Ios:
    """Index of an IOS running-config's top-level sections by their first words."""

    def __init__(self, text: str) -> None:
        self.root = _ios_tree(text)

    def sections(self, prefix: str) -> dict[str, _Node]:
        """Sections `prefix NAME ...` by NAME."""
        found = {}
        for node in self.root.children:
            if node.line.startswith(prefix + " "):
                found[node.line[len(prefix) + 1 :].split()[0]] = node
        return found

    def interface_address(self, name: str) -> IPv4Interface | None:
        node = self.sections("interface").get(name)
        if node is None:
            return None
        value = node.value("ip address ")
        if value is None or len(value.split()) < 2:
            return None
        address, mask = value.split()[:2]
        try:
            return IPv4Interface(f"{address}/{mask}")
        except ValueError:
            return None

    def address_of(self, source: str | None) -> str | None:
        """An IP address, or the address of the interface named."""
        if not source:
            return None
        if _is_v4(source):
            return source
        found = self.interface_address(source)
        return str(found.ip) if found else None


_IOS_IKEV2_ENCRYPTION = {
    "aes-cbc-128": "AES128",
    "aes-cbc-256": "AES256",
    "aes-gcm-128": "AES128-GCM-16",
    "aes-gcm-256": "AES256-GCM-16",
}
_IOS_ESP_ENCRYPTION = {"esp-aes": "AES128", "esp-gcm": "AES128-GCM-16"}
_IOS_ESP_KEY_SIZES = {"esp-aes": {"128": "AES128", "256": "AES256"}}
_IOS_ESP_INTEGRITY = {
    "esp-sha-hmac": "SHA1",
    "esp-sha256-hmac": "SHA2-256",
    "esp-sha384-hmac": "SHA2-384",
    "esp-sha512-hmac": "SHA2-512",
}
# IOS-XE's built-in IKEv2 proposal, used when no IKEv2 policy applies.
_IOS_DEFAULT_IKEV2 = Proposal(
    frozenset({"AES256"}), frozenset({"SHA2-512", "SHA2-384"}), frozenset({19, 14, 21, 5})
)
_IOS_DEFAULT_TRANSFORM = Proposal(frozenset({"AES128"}), frozenset({"SHA1"}), frozenset())
_TYPE7_XLAT = "dsfd;kfoA,.iyewrkldJKDHSUBsgvca69834ncxv9873254k;fg87"


def ios_type7_decode(cipher: str) -> str:
    """Reveal an IOS type-7 (reversible) password."""
    seed = int(cipher[:2])
    pairs = [cipher[i : i + 2] for i in range(2, len(cipher), 2)]
    return "".join(
        chr(int(pair, 16) ^ ord(_TYPE7_XLAT[(seed + i) % len(_TYPE7_XLAT)]))
        for i, pair in enumerate(pairs)
    )


def _ios_key(words: list[str]) -> tuple[str | None, str]:
    """(key, problem) from the words after `pre-shared-key` / `key`."""
    if len(words) >= 2 and words[0] in ("0", "6", "7"):
        if words[0] == "6":
            return None, "the pre-shared key is type-6 encrypted; the lab cannot read it"
        if words[0] == "7":
            try:
                return ios_type7_decode(words[1]), ""
            except ValueError:
                return None, "the type-7 pre-shared key is malformed"
        return words[1], ""
    return (words[0], "") if words else (None, "")


def _ios_ikev2_proposal(node: _Node) -> Proposal:
    encryption = {
        _IOS_IKEV2_ENCRYPTION.get(w, _unknown(w))
        for line in node.child_lines("encryption ")
        for w in line.split()[1:]
    }
    integrity_words = [w for ln in node.child_lines("integrity ") for w in ln.split()[1:]]
    prf_words = [w for ln in node.child_lines("prf ") for w in ln.split()[1:]]
    gcm = bool(encryption & GCM)
    words = (prf_words or None) if gcm else integrity_words
    integrity = None if words is None else frozenset(_SHA.get(w, _unknown(w)) for w in words)
    groups = {int(w) for ln in node.child_lines("group ") for w in ln.split()[1:] if w.isdigit()}
    return Proposal(frozenset(encryption), integrity, frozenset(groups))


def _ios_isakmp_proposal(node: _Node) -> Proposal:
    encr = (node.value("encr ") or "des").split()
    if encr[0] == "aes":
        size = encr[1] if len(encr) > 1 else "128"
        encryption = {"128": "AES128", "256": "AES256"}.get(size, _unknown(f"aes-{size}"))
    else:
        encryption = _unknown(encr[0])
    hash_word = node.value("hash ") or "sha"
    integrity = {"sha": "SHA1", **_SHA}.get(hash_word, _unknown(hash_word))
    group = int(node.value("group ") or "1")
    return Proposal(frozenset({encryption}), frozenset({integrity}), frozenset({group}))


def _ios_transform(line: str) -> Proposal:
    words = line.split()[3:]
    encryption: set[str] = set()
    integrity: set[str] = set()
    for index, word in enumerate(words):
        following = words[index + 1] if index + 1 < len(words) else ""
        if word in _IOS_ESP_ENCRYPTION:
            encryption.add(_ios_esp_cipher(word, following))
        elif word in _IOS_ESP_INTEGRITY:
            integrity.add(_IOS_ESP_INTEGRITY[word])
        elif word.startswith("esp-"):
            encryption.add(_unknown(word))
    return Proposal(frozenset(encryption), frozenset(integrity), frozenset())


def _ios_esp_cipher(word: str, size: str) -> str:
    if word == "esp-gcm":
        return {"": "AES128-GCM-16", "128": "AES128-GCM-16", "256": "AES256-GCM-16"}.get(
            size if size.isdigit() else "", _unknown(f"esp-gcm-{size}")
        )
    if not size.isdigit():
        return "AES128"
    return _IOS_ESP_KEY_SIZES[word].get(size, _unknown(f"{word}-{size}"))


def _covers(address: str, spec: list[str]) -> bool:
    """Whether `address MASK` / `address` / `any` words cover `address`."""
    if not spec:
        return False
    if spec[0] == "any":
        return True
    try:
        network = IPv4Network(f"{spec[0]}/{spec[1] if len(spec) > 1 else '32'}", strict=False)
        return IPv4Address(address) in network
    except ValueError:
        return False


def parse_ios(text: str) -> RouterConfig:
    """IOS-XE `show running-config` → RouterConfig."""
    ios = _Ios(text)
    config = RouterConfig()
    for name, node in ios.sections("interface").items():
        if name.lower().startswith("tunnel"):
            peer = _ios_tunnel_peer(ios, name, node)
            if peer is not None:
                config.peers.append(peer)
    _ios_static_routes(ios, config.peers)
    config.neighbors = _ios_bgp(ios)
    return config


def _ios_tunnel_peer(ios: _Ios, name: str, node: _Node) -> RouterPeer | None:
    destination = node.value("tunnel destination ")
    if destination is None:
        return None
    peer = RouterPeer(address=destination, label=name, interface=name)
    peer.inside = ios.interface_address(name)
    peer.local_address = ios.address_of(node.value("tunnel source "))
    if node.child_lines("shutdown"):
        peer.ike_problems.append(f"{name} is shut down")
    if node.value("tunnel mode ") != "ipsec ipv4":
        peer.ike_problems.append(f"{name} is not in tunnel mode ipsec ipv4 (AWS speaks no GRE)")
    profile_name = node.value("tunnel protection ipsec profile ")
    profile = ios.sections("crypto ipsec profile").get(profile_name or "")
    if profile is None:
        peer.ike_problems.append(f"{name} has no tunnel protection ipsec profile")
        return peer
    _ios_phase2(ios, peer, profile)
    ikev2_profile = profile.value("set ikev2-profile ")
    if ikev2_profile is not None:
        _ios_ikev2(ios, peer, ikev2_profile)
    else:
        _ios_ikev1(ios, peer, profile.value("set isakmp-profile "))
    return peer


def _ios_phase2(ios: _Ios, peer: RouterPeer, profile: _Node) -> None:
    names = [w for line in profile.child_lines("set transform-set ") for w in line.split()[2:]]
    sets = ios.sections("crypto ipsec transform-set")
    proposals = []
    for transform in names:
        node = sets.get(transform)
        if node is None:
            continue
        if node.value("mode ") not in (None, "tunnel"):
            continue
        proposals.append(_ios_transform(node.line))
    if not names:
        proposals.append(_IOS_DEFAULT_TRANSFORM)
    pfs = _group_number(profile.value("set pfs ") or "")
    groups = frozenset({pfs}) if pfs is not None else frozenset()
    peer.esp_proposals = tuple(Proposal(p.encryption, p.integrity, groups) for p in proposals)


def _ios_ikev2(ios: _Ios, peer: RouterPeer, profile_name: str) -> None:
    peer.ike_versions = frozenset({2})
    profile = ios.sections("crypto ikev2 profile").get(profile_name)
    if profile is None:
        peer.ike_problems.append(f"IKEv2 profile {profile_name} does not exist")
        return
    remote = [line.split()[4:] for line in profile.child_lines("match identity remote address ")]
    remote += [["any"] for _ in profile.child_lines("match identity remote any")]
    if not any(_covers(peer.address, spec) for spec in remote):
        peer.ike_problems.append(f"IKEv2 profile {profile_name} does not match {peer.address}")
    for side in ("local", "remote"):
        if profile.value(f"authentication {side} ") != "pre-share":
            peer.ike_problems.append(f"IKEv2 profile {profile_name}: {side} auth is not pre-share")
    identity = (profile.value("identity local address ") or "").split()
    peer.local_identity = identity[0] if identity else peer.local_address
    if profile.value("identity local ") and not identity:
        peer.local_identity = None
    _ios_ikev2_key(ios, peer, profile.value("keyring local "))
    peer.ike_proposals = {2: _ios_ikev2_proposals(ios, peer.local_address)}


def _ios_ikev2_key(ios: _Ios, peer: RouterPeer, keyring_name: str | None) -> None:
    keyring = ios.sections("crypto ikev2 keyring").get(keyring_name or "")
    if keyring is None:
        peer.psk_problem = f"no IKEv2 keyring for {peer.address}"
        return
    for block in keyring.children:
        addresses = [line.split()[1:] for line in block.child_lines("address ")]
        if not any(_covers(peer.address, spec) for spec in addresses):
            continue
        keys = {"local": None, "remote": None} | _ios_ikev2_block_keys(block, peer)
        if keys["local"] != keys["remote"]:
            peer.psk_problem = f"PSK mismatch for {peer.address} (local and remote keys differ)"
        peer.psk = keys["local"]
        return
    peer.psk_problem = f"IKEv2 keyring {keyring_name} has no peer for {peer.address}"


def _ios_ikev2_block_keys(block: _Node, peer: RouterPeer) -> dict[str, str | None]:
    keys: dict[str, str | None] = {}
    for line in block.child_lines("pre-shared-key "):
        words = line.split()[1:]
        sides: tuple[str, ...] = ("local", "remote")
        if words and words[0] in sides:
            sides, words = (words[0],), words[1:]
        key, problem = _ios_key(words)
        if problem:
            peer.psk_problem = problem
        for side in sides:
            keys[side] = key
    return keys


def _ios_ikev2_proposals(ios: _Ios, local: str | None) -> tuple[Proposal, ...]:
    proposals = ios.sections("crypto ikev2 proposal")
    names: list[str] = []
    for policy in ios.sections("crypto ikev2 policy").values():
        matches = [ln.split()[3] for ln in policy.child_lines("match address local ")]
        if matches and local not in matches:
            continue
        names += [ln.split()[1] for ln in policy.child_lines("proposal ")]
    if not names and not ios.sections("crypto ikev2 policy"):
        return (_IOS_DEFAULT_IKEV2,)
    return tuple(_ios_ikev2_proposal(proposals[n]) for n in names if n in proposals)


def _ios_ikev1(ios: _Ios, peer: RouterPeer, profile_name: str | None) -> None:
    peer.ike_versions = frozenset({1})
    keyrings = ios.sections("crypto keyring")
    local = peer.local_address
    names = list(keyrings)
    if profile_name is not None:
        profile = ios.sections("crypto isakmp profile").get(profile_name)
        if profile is None:
            peer.ike_problems.append(f"ISAKMP profile {profile_name} does not exist")
            return
        specs = [ln.split()[3:] for ln in profile.child_lines("match identity address ")]
        if not any(_covers(peer.address, spec) for spec in specs):
            peer.ike_problems.append(f"ISAKMP profile {profile_name} does not match {peer.address}")
        names = [ln.split()[1] for ln in profile.child_lines("keyring ")] or names
        local = ios.address_of(profile.value("local-address ")) or local
    _ios_ikev1_key(ios, peer, [keyrings[n] for n in names if n in keyrings])
    for keyring in (keyrings[n] for n in names if n in keyrings):
        local = ios.address_of(keyring.value("local-address ")) or local
    peer.local_address = local
    identity = [n.line for n in ios.root.children if n.line.startswith("crypto isakmp identity ")]
    peer.local_identity = None if identity and "address" not in identity[-1] else local
    policies = [
        _ios_isakmp_proposal(node)
        for node in ios.sections("crypto isakmp policy").values()
        if node.value("authentication ") == "pre-share"
    ]
    peer.ike_proposals = {1: tuple(policies)}


def _ios_ikev1_key(ios: _Ios, peer: RouterPeer, keyrings: list[_Node]) -> None:
    for keyring in keyrings:
        for line in keyring.child_lines("pre-shared-key address "):
            words = line.split()
            key_at = words.index("key") if "key" in words else len(words)
            if _covers(peer.address, words[2:key_at] or [""]):
                peer.psk, peer.psk_problem = _ios_key(words[key_at + 1 :])
                return
    for node in ios.root.children:
        words = node.words()
        if words[:3] == ["crypto", "isakmp", "key"] and "address" in words:
            spec = words[words.index("address") + 1 :]
            if _covers(peer.address, spec):
                peer.psk, peer.psk_problem = _ios_key(words[3 : words.index("address")])
                return
    peer.psk_problem = f"no ISAKMP key for {peer.address}"


def _ios_static_routes(ios: _Ios, peers: list[RouterPeer]) -> None:
    for node in ios.root.children:
        words = node.words()
        if words[:2] != ["ip", "route"] or len(words) < 5:
            continue
        try:
            prefix = IPv4Network(f"{words[2]}/{words[3]}")
        except ValueError:
            continue
        for peer in peers:
            via_interface = words[4] == peer.interface
            via_inside = (
                peer.inside is not None
                and _is_v4(words[4])
                and (IPv4Address(words[4]) in peer.inside.network)
            )
            if via_interface or via_inside:
                peer.routes.add(prefix)


def _ios_bgp(ios: _Ios) -> dict[str, Neighbor]:
    router = next((n for n in ios.root.children if n.line.startswith("router bgp ")), None)
    if router is None:
        return {}
    asn = int(router.words()[2])
    lines = [c.line for c in router.children]
    families = [c for c in router.children if c.line.startswith("address-family ipv4")]
    for family in families:
        lines += [c.line for c in family.children]
    default_off = "no bgp default ipv4-unicast" in lines
    networks = tuple(_ios_network(line) for line in lines if line.startswith("network "))
    neighbors: dict[str, Neighbor] = {}
    for line in lines:
        words = line.split()
        if words[0] == "neighbor" and len(words) >= 4 and words[2] == "remote-as":
            neighbors[words[1]] = Neighbor(words[1], words[3], asn, advertised=networks)
    for address, neighbor in neighbors.items():
        _ios_neighbor_details(neighbor, [ln for ln in lines if ln.split()[1:2] == [address]])
        if default_off and f"neighbor {address} activate" not in lines:
            neighbor.problems.append(f"neighbour {address} is not activated for IPv4 unicast")
    return neighbors


def _ios_neighbor_details(neighbor: Neighbor, lines: list[str]) -> None:
    for line in lines:
        words = line.split()
        if words[2:3] == ["local-as"] and len(words) > 3:
            neighbor.local_as = int(words[3])
        elif words[2:3] == ["shutdown"]:
            neighbor.problems.append(f"neighbour {neighbor.address} is shut down")


def _ios_network(line: str) -> str:
    words = line.split()
    if len(words) >= 4 and words[2] == "mask":
        return str(IPv4Network(f"{words[1]}/{words[3]}", strict=False))
    return str(ip_network(words[1], strict=False))


# =========================================================================== Juniper Junos


_JUNOS_FAMILY = ["QzF3n6/9CAtpu0O", "B1IREhcSyrleKvMW8LXx", "7N-dVbwsY2g4oaJZGUDj", "iHkq.mPf5T"]
_JUNOS_EXTRA = {c: 3 - i for i, family in enumerate(_JUNOS_FAMILY) for c in family}
_JUNOS_ALPHA = "".join(_JUNOS_FAMILY)
_JUNOS_NUM = {c: i for i, c in enumerate(_JUNOS_ALPHA)}
_JUNOS_ENCODING = [
    [1, 4, 32],
    [1, 16, 32],
    [1, 8, 32],
    [1, 64],
    [1, 32],
    [1, 4, 16, 128],
    [1, 32, 64],
]


def junos9_decode(secret: str) -> str:
    """Reveal a Junos `$9$` secret (reversible obfuscation, not encryption)."""
    chars = list(secret.removeprefix("$9$"))
    salt = chars.pop(0)
    del chars[: _JUNOS_EXTRA[salt]]
    previous, plain = salt, list[str]()
    while chars:
        decode = _JUNOS_ENCODING[len(plain) % len(_JUNOS_ENCODING)]
        nibble, chars = chars[: len(decode)], chars[len(decode) :]
        total = 0
        for char, weight in zip(nibble, decode, strict=True):
            gap = (_JUNOS_NUM[char] - _JUNOS_NUM[previous]) % len(_JUNOS_ALPHA) - 1
            total += gap * weight
            previous = char
        plain.append(chr(total % 256))
    return "".join(plain)


def junos9_encode(plain: str, salt: str = "Q", padding: str = "") -> str:
    """Obfuscate like Junos `$9$` (deterministic given salt and padding; for tests and demos)."""
    padding = (padding + "nnnn")[: _JUNOS_EXTRA[salt]]
    crypt, previous = "$9$" + salt + padding, salt
    for index, char in enumerate(plain):
        encode = _JUNOS_ENCODING[index % len(_JUNOS_ENCODING)]
        value, gaps = ord(char), list[int]()
        for weight in reversed(encode):
            gaps.insert(0, value // weight)
            value %= weight
        for gap in gaps:
            previous = _JUNOS_ALPHA[(gap + _JUNOS_NUM[previous] + 1) % len(_JUNOS_ALPHA)]
            crypt += previous
    return crypt


def _junos_words(line: str) -> list[str]:
    return [
        m.group(1) if m.group(1) is not None else m.group(2) for m in _JUNOS_TOKEN.finditer(line)
    ]


_JUNOS_TOKEN = re.compile(r'"((?:[^"\\]|\\.)*)"|(\S+)')


class _Junos:
    """`show configuration | display set` lines, queried by path prefix."""

    def __init__(self, text: str) -> None:
        self.lines = [
            tuple(words[1:])
            for words in (_junos_words(line) for line in text.splitlines())
            if words[:1] == ["set"]
        ]

    def values(self, *prefix: str) -> list[str]:
        """The word after `prefix` on every line starting with it, in order, de-duplicated."""
        size = len(prefix)
        found = [ln[size] for ln in self.lines if ln[:size] == prefix and len(ln) > size]
        return list(dict.fromkeys(found))

    def value(self, *prefix: str) -> str | None:
        found = self.values(*prefix)
        return found[-1] if found else None

    def has(self, *prefix: str) -> bool:
        return any(ln[: len(prefix)] == prefix for ln in self.lines)

    def interface_address(self, name: str) -> IPv4Interface | None:
        device, _, unit = name.partition(".")
        address = self.value("interfaces", device, "unit", unit or "0", "family", "inet", "address")
        return IPv4Interface(address) if address else None

    def host_inbound(self, interface: str) -> tuple[bool, set[str]]:
        """(interface is in a zone, the services and protocols it accepts)."""
        allowed: set[str] = set()
        in_zone = False
        for zone in self.values("security", "zones", "security-zone"):
            base = ("security", "zones", "security-zone", zone)
            if not self.has(*base, "interfaces", interface):
                continue
            in_zone = True
            for scope in (base, (*base, "interfaces", interface)):
                for kind in ("system-services", "protocols"):
                    allowed.update(self.values(*scope, "host-inbound-traffic", kind))
        return in_zone, allowed


_JUNOS_ENCRYPTION = {
    "aes-128-cbc": "AES128",
    "aes-256-cbc": "AES256",
    "aes-128-gcm": "AES128-GCM-16",
    "aes-256-gcm": "AES256-GCM-16",
}
_JUNOS_IKE_INTEGRITY = {"sha1": "SHA1", "sha-256": "SHA2-256", "sha-384": "SHA2-384"}
_JUNOS_IKE_INTEGRITY["sha-512"] = "SHA2-512"
_JUNOS_ESP_INTEGRITY = {
    "hmac-sha1-96": "SHA1",
    "hmac-sha-256-128": "SHA2-256",
    "hmac-sha-384-192": "SHA2-384",
    "hmac-sha-512-256": "SHA2-512",
}


def _junos_proposal(
    junos: _Junos, base: tuple[str, ...], integrity_words: Mapping[str, str]
) -> Proposal:
    cipher = junos.value(*base, "encryption-algorithm") or "none"
    encryption = _JUNOS_ENCRYPTION.get(cipher, _unknown(cipher))
    auth = junos.value(*base, "authentication-algorithm")
    if auth is None:
        integrity = None if encryption in GCM else frozenset[str]()
    else:
        integrity = frozenset({integrity_words.get(auth, _unknown(auth))})
    group = _group_number(junos.value(*base, "dh-group") or "")
    return Proposal(
        frozenset({encryption}), integrity, frozenset({group}) if group else frozenset()
    )


def parse_junos(text: str) -> RouterConfig:
    """Junos `show configuration | display set` → RouterConfig."""
    junos = _Junos(text)
    config = RouterConfig()
    vpns = {
        junos.value("security", "ipsec", "vpn", v, "ike", "gateway"): v
        for v in junos.values("security", "ipsec", "vpn")
    }
    for gateway in junos.values("security", "ike", "gateway"):
        peer = _junos_gateway(junos, gateway)
        if peer is None:
            continue
        vpn = vpns.get(gateway)
        if vpn is None:
            peer.ipsec_problems.append(f"no IPsec VPN uses IKE gateway {gateway}")
        else:
            _junos_vpn(junos, peer, vpn)
        config.peers.append(peer)
    config.neighbors = _junos_bgp(junos)
    return config


def _junos_gateway(junos: _Junos, gateway: str) -> RouterPeer | None:
    base = ("security", "ike", "gateway", gateway)
    address = junos.value(*base, "address")
    if address is None:
        return None
    peer = RouterPeer(address=address, label=f"gateway {gateway}")
    version = junos.value(*base, "version") or "v1-only"
    peer.ike_versions = frozenset({2} if version == "v2-only" else {1})
    external = junos.value(*base, "external-interface")
    external_address = junos.interface_address(external) if external else None
    peer.local_address = junos.value(*base, "local-address") or (
        str(external_address.ip) if external_address else None
    )
    identity = junos.values(*base, "local-identity")
    if identity:
        peer.local_identity = junos.value(*base, "local-identity", "inet")
    else:
        peer.local_identity = peer.local_address
    _junos_ike_zone(junos, peer, external)
    _junos_ike_policy(junos, peer, junos.value(*base, "ike-policy"))
    return peer


def _junos_ike_zone(junos: _Junos, peer: RouterPeer, external: str | None) -> None:
    if external is None:
        peer.ike_problems.append(f"{peer.label} has no external-interface")
        return
    in_zone, allowed = junos.host_inbound(external)
    if not in_zone:
        peer.ike_problems.append(f"{external} is in no security zone")
    elif not allowed & {"ike", "all"}:
        peer.ike_problems.append(
            f"{external} does not accept IKE (host-inbound-traffic system-services ike)"
        )


def _junos_ike_policy(junos: _Junos, peer: RouterPeer, policy: str | None) -> None:
    base = ("security", "ike", "policy", policy or "")
    if policy is None or not junos.has(*base):
        peer.ike_problems.append(f"{peer.label} has no IKE policy")
        return
    if junos.value(*base, "mode") == "aggressive":
        peer.ike_problems.append(f"IKE policy {policy} uses aggressive mode; AWS needs main mode")
    proposals = []
    for name in junos.values(*base, "proposals"):
        prop = ("security", "ike", "proposal", name)
        if junos.value(*prop, "authentication-method") != "pre-shared-keys":
            continue
        proposals.append(_junos_proposal(junos, prop, _JUNOS_IKE_INTEGRITY))
    peer.ike_proposals = {v: tuple(proposals) for v in peer.ike_versions}
    ascii_key = junos.value(*base, "pre-shared-key", "ascii-text")
    hex_key = junos.value(*base, "pre-shared-key", "hexadecimal")
    if ascii_key is not None:
        peer.psk = junos9_decode(ascii_key) if ascii_key.startswith("$9$") else ascii_key
    elif hex_key is not None:
        peer.psk = _hex_key(junos9_decode(hex_key) if hex_key.startswith("$9$") else hex_key)


def _hex_key(text: str) -> str | None:
    try:
        return bytes.fromhex(text.removeprefix("0x")).decode()
    except (ValueError, UnicodeDecodeError):
        return None


def _junos_vpn(junos: _Junos, peer: RouterPeer, vpn: str) -> None:
    base = ("security", "ipsec", "vpn", vpn)
    policy = junos.value(*base, "ike", "ipsec-policy")
    pbase = ("security", "ipsec", "policy", policy or "")
    group = _group_number(junos.value(*pbase, "perfect-forward-secrecy", "keys") or "")
    groups = frozenset({group}) if group else frozenset()
    proposals = []
    for name in junos.values(*pbase, "proposals"):
        prop = ("security", "ipsec", "proposal", name)
        if junos.value(*prop, "protocol") not in (None, "esp"):
            continue
        found = _junos_proposal(junos, prop, _JUNOS_ESP_INTEGRITY)
        proposals.append(Proposal(found.encryption, found.integrity, groups))
    peer.esp_proposals = tuple(proposals)
    bind = junos.value(*base, "bind-interface")
    peer.interface = bind
    if bind is None:
        return
    peer.inside = junos.interface_address(bind)
    peer.label = f"{peer.label} ({bind})"
    in_zone, allowed = junos.host_inbound(bind)
    if not in_zone:
        peer.bgp_problems.append(f"{bind} is in no security zone")
    elif not allowed & {"bgp", "all"}:
        peer.bgp_problems.append(f"{bind} does not accept BGP (host-inbound-traffic protocols bgp)")
    _junos_static_routes(junos, peer, bind)


def _junos_static_routes(junos: _Junos, peer: RouterPeer, bind: str) -> None:
    for route in junos.values("routing-options", "static", "route"):
        base = ("routing-options", "static", "route", route)
        hops = junos.values(*base, "next-hop") + junos.values(*base, "qualified-next-hop")
        inside = peer.inside.network if peer.inside else None
        if bind in hops or any(_is_v4(h) and inside and IPv4Address(h) in inside for h in hops):
            peer.routes.add(IPv4Network(route))


def _junos_bgp(junos: _Junos) -> dict[str, Neighbor]:
    neighbors = {}
    system_as = junos.value("routing-options", "autonomous-system")
    for group in junos.values("protocols", "bgp", "group"):
        gbase = ("protocols", "bgp", "group", group)
        for address in junos.values(*gbase, "neighbor"):
            nbase = (*gbase, "neighbor", address)
            peer_as = junos.value(*nbase, "peer-as") or junos.value(*gbase, "peer-as") or "unset"
            local_as = junos.value(*nbase, "local-as") or junos.value(*gbase, "local-as")
            local = local_as or system_as
            exports = junos.values(*nbase, "export") or junos.values(*gbase, "export")
            advertised = tuple(p for e in exports for p in _junos_exported(junos, e))
            neighbors[address] = Neighbor(
                address, peer_as, int(local) if local else None, advertised=advertised
            )
    return neighbors


def _junos_exported(junos: _Junos, policy: str) -> list[str]:
    base = ("policy-options", "policy-statement", policy)
    prefixes = []
    for term in junos.values(*base, "term"):
        tbase = (*base, "term", term)
        if "accept" in junos.values(*tbase, "then"):
            prefixes += junos.values(*tbase, "from", "route-filter")
    return prefixes


# =========================================================================== Linux strongSwan + FRR


def _split_linux(text: str) -> tuple[str, str]:
    """(swanctl files as charon loaded them, FRR running config)."""
    match = re.search(r"^frr (version|defaults)\b", text, flags=re.M)
    if match is None:
        match = re.search(r"^router bgp \d+", text, flags=re.M)
    if match is None:
        return text, ""
    return text[: match.start()], text[match.start() :]


def _swanctl_sections(text: str) -> dict[str, Any]:
    """swanctl.conf syntax → nested dicts; sections met twice are merged (several files)."""
    root: dict[str, Any] = {}
    stack = [root]
    for raw in text.splitlines():
        line = raw.split("#", 1)[0]
        for statement in _swanctl_statements(line):
            _swanctl_apply(stack, statement)
    return root


def _swanctl_statements(line: str) -> list[str]:
    spaced = line.replace("{", "{\n").replace("}", "\n}\n")
    return [s.strip() for s in spaced.splitlines() if s.strip()]


def _swanctl_apply(stack: list[dict[str, Any]], statement: str) -> None:
    if statement.endswith("{"):
        name = statement[:-1].strip()
        section = stack[-1].get(name)
        if not isinstance(section, dict):
            section = {}
            stack[-1][name] = section
        stack.append(section)
    elif statement == "}":
        if len(stack) > 1:
            stack.pop()
    elif "=" in statement:
        key, value = statement.split("=", 1)
        stack[-1][key.strip()] = value.strip().strip('"')


_SWAN_CIPHERS = {
    "aes128": "AES128",
    "aes256": "AES256",
    "aes128gcm16": "AES128-GCM-16",
    "aes128gcm128": "AES128-GCM-16",
    "aes256gcm16": "AES256-GCM-16",
    "aes256gcm128": "AES256-GCM-16",
}
_SWAN_INTEGRITY = {**_SHA, "sha2_256": "SHA2-256", "sha2_384": "SHA2-384", "sha2_512": "SHA2-512"}
_SWAN_DEFAULT_IKE = "aes128-aes256-sha256-sha384-sha512-ecp256-ecp384-ecp521-modp3072-modp4096"
_SWAN_DEFAULT_IKE_AEAD = "aes128gcm16-aes256gcm16-prfsha256-prfsha384-prfsha512-ecp256-ecp384"
_SWAN_DEFAULT_ESP = "aes128gcm16-aes256gcm16,aes128-aes256-sha256-sha384-sha512"


def swan_proposals(text: str, *, esp: bool) -> tuple[Proposal, ...]:
    """strongSwan `proposals`/`esp_proposals` → Proposals (`default` as strongSwan 5.9 means)."""
    parts: list[Proposal] = []
    for item in (p.strip() for p in text.split(",") if p.strip()):
        if item == "default":
            defaults = _SWAN_DEFAULT_ESP if esp else f"{_SWAN_DEFAULT_IKE_AEAD},{_SWAN_DEFAULT_IKE}"
            parts += swan_proposals(defaults, esp=esp)
        else:
            parts.append(_swan_proposal(item, esp))
    return tuple(parts)


def _swan_proposal(item: str, esp: bool) -> Proposal:
    encryption, integrity, prf, groups = set(), set(), set(), set()
    for word in item.split("-"):
        if word in _SWAN_CIPHERS:
            encryption.add(_SWAN_CIPHERS[word])
        elif word in _SWAN_INTEGRITY:
            integrity.add(_SWAN_INTEGRITY[word])
        elif word.startswith("prf") and word[3:] in _SWAN_INTEGRITY:
            prf.add(_SWAN_INTEGRITY[word[3:]])
        elif word in _DH_STRONGSWAN:
            groups.add(_DH_STRONGSWAN[word])
        elif word not in ("esn", "noesn"):
            encryption.add(_unknown(word))
    aead = bool(encryption & GCM)
    if esp or not aead:
        chosen: frozenset[str] | None = frozenset(integrity) if not aead else None
    else:
        chosen = frozenset(prf) or None
    return Proposal(frozenset(encryption), chosen, frozenset(groups))


@dataclass
class _SwanLinks:
    """Tunnel interfaces, addresses and routes, when the host's config shows them."""

    addresses: dict[str, IPv4Interface] = field(default_factory=dict)
    xfrm_ids: dict[str, str] = field(default_factory=dict)  # if_id → device
    vti_keys: dict[str, str] = field(default_factory=dict)  # key → device
    routes: dict[str, set[IPv4Network]] = field(default_factory=dict)

    @property
    def known(self) -> bool:
        return bool(self.addresses or self.xfrm_ids or self.vti_keys)


def _swan_links(text: str) -> _SwanLinks:
    links = _SwanLinks()
    for line in text.splitlines():
        words = line.replace("||", " ").split()
        for start in (i for i, w in enumerate(words) if w == "ip"):
            _swan_ip_command(links, words[start + 1 :])
    return links


def _swan_ip_command(links: _SwanLinks, words: list[str]) -> None:
    device = words[words.index("dev") + 1] if "dev" in words[:-1] else ""
    if words[:2] == ["link", "add"] and len(words) > 2:
        name = words[2]
        if "if_id" in words[:-1]:
            links.xfrm_ids[words[words.index("if_id") + 1]] = name
        if "key" in words[:-1]:
            links.vti_keys[words[words.index("key") + 1]] = name
    elif words[:1] in (["address"], ["addr"]) and words[1:2] in (["add"], ["replace"]):
        local = words[2]
        mask = words[words.index("peer") + 1].partition("/")[2] if "peer" in words else ""
        if "/" not in local:
            local = f"{local}/{mask or '32'}"
        links.addresses[device] = IPv4Interface(local)
    elif words[:1] == ["route"] and words[1:2] in (["add"], ["replace"]) and device:
        links.routes.setdefault(device, set()).add(IPv4Network(words[2]))


def _swan_psk(secrets: Mapping[str, Any], remote_id: str, local_id: str | None) -> str | None:
    """The IKE secret charon would pick for this pair of identities."""
    best: tuple[int, str] | None = None
    for name, section in secrets.items():
        if not name.startswith("ike") or not isinstance(section, dict):
            continue
        ids = {str(v) for k, v in section.items() if k == "id" or k.startswith("id-")}
        score = 3 if remote_id in ids and (local_id in ids or len(ids) == 1) else 0
        score = score or (2 if remote_id in ids else 1 if local_id in ids else 0)
        score = score or (1 if not ids else 0)
        if score and (best is None or score > best[0]):
            best = (score, _swan_secret(str(section.get("secret", ""))))
    return best[1] if best else None


def _swan_secret(value: str) -> str:
    try:
        if value.startswith("0x"):
            return bytes.fromhex(value[2:]).decode()
        if value.startswith("0s"):
            return base64.b64decode(value[2:]).decode()
    except (ValueError, binascii.Error, UnicodeDecodeError):
        return value
    return value


def parse_linux(text: str) -> RouterConfig:
    """The Linux host (swanctl files charon loaded, then FRR's running config) → RouterConfig."""
    swan_text, frr_text = _split_linux(text)
    tree = _swanctl_sections(swan_text)
    links = _swan_links(text)
    secrets = tree.get("secrets") if isinstance(tree.get("secrets"), dict) else {}
    connections = tree.get("connections") if isinstance(tree.get("connections"), dict) else {}
    config = RouterConfig()
    for name, conn in (connections or {}).items():
        if isinstance(conn, dict):
            config.peers += _swan_peers(name, conn, secrets or {}, links)
    config.neighbors = _frr_bgp(frr_text)
    return config


def _swan_side(conn: Mapping[str, Any], side: str) -> dict[str, Any]:
    for key, value in conn.items():
        if (key == side or key.startswith(side + "-")) and isinstance(value, dict):
            return value
    return {}


def _swan_peers(
    name: str, conn: Mapping[str, Any], secrets: Mapping[str, Any], links: _SwanLinks
) -> list[RouterPeer]:
    version = str(conn.get("version", "0"))
    versions = {"1": {1}, "2": {2}}.get(version, {1, 2})
    local_addrs = [a.strip() for a in str(conn.get("local_addrs", "")).split(",") if a.strip()]
    local, remote = _swan_side(conn, "local"), _swan_side(conn, "remote")
    local_address = local_addrs[0] if local_addrs and _is_v4(local_addrs[0]) else None
    ike = swan_proposals(str(conn.get("proposals", "default")), esp=False)
    peers = []
    for address in (a.strip() for a in str(conn.get("remote_addrs", "")).split(",")):
        if not _is_v4(address):
            continue
        peer = RouterPeer(address=address, label=f"connection {name}")
        peer.ike_versions = frozenset(versions)
        peer.local_address = local_address
        peer.local_identity = str(local.get("id", "")) or local_address
        peer.ike_proposals = {v: ike for v in versions}
        _swan_auth(peer, local, remote, conn)
        peer.psk = _swan_psk(secrets, str(remote.get("id") or address), peer.local_identity)
        _swan_child(peer, conn, links)
        peers.append(peer)
    return peers


def _swan_auth(
    peer: RouterPeer, local: Mapping[str, Any], remote: Mapping[str, Any], conn: Mapping[str, Any]
) -> None:
    for side, section in (("local", local), ("remote", remote)):
        if str(section.get("auth", "pubkey")) != "psk":
            peer.ike_problems.append(f"{peer.label}: {side} auth is not psk")
    remote_id = str(remote.get("id", "%any"))
    if remote_id not in ("%any", peer.address):
        peer.ike_problems.append(f"{peer.label}: remote id {remote_id} is not {peer.address}")
    if str(conn.get("aggressive", "no")) == "yes":
        peer.ike_problems.append(f"{peer.label} uses aggressive mode; AWS needs main mode")


def _swan_child(peer: RouterPeer, conn: Mapping[str, Any], links: _SwanLinks) -> None:
    children = conn.get("children")
    child = next((c for c in (children or {}).values() if isinstance(c, dict)), None)
    if not isinstance(children, dict) or child is None:
        peer.ipsec_problems.append(f"{peer.label} has no CHILD_SA")
        return
    peer.esp_proposals = swan_proposals(str(child.get("esp_proposals", "default")), esp=True)
    peer.interface_known = links.known
    if not links.known:
        return
    if "if_id_out" in child:
        peer.interface = links.xfrm_ids.get(str(child["if_id_out"]))
    elif "mark_out" in child:
        peer.interface = links.vti_keys.get(str(child["mark_out"]).split("/")[0])
    else:
        peer.interface = "ipsec0" if "ipsec0" in links.addresses else None
    if peer.interface is not None:
        peer.inside = links.addresses.get(peer.interface)
        peer.routes = set(links.routes.get(peer.interface, set()))


def _frr_blocks(text: str) -> Iterator[tuple[str, list[str]]]:
    """Top-level FRR statements with their indented lines (address-family lines included)."""
    header: str | None = None
    body: list[str] = []
    for raw in text.splitlines():
        if not raw.strip() or raw.strip() in ("!", "exit", "exit-address-family", "end"):
            continue
        if raw.startswith(" "):
            body.append(raw.strip())
            continue
        if header is not None:
            yield header, body
        header, body = raw.strip(), []
    if header is not None:
        yield header, body


def _frr_bgp(text: str) -> dict[str, Neighbor]:
    blocks = list(_frr_blocks(text))
    router = next(((h, b) for h, b in blocks if h.startswith("router bgp ")), None)
    if router is None:
        return {}
    header, lines = router
    asn = int(header.split()[2])
    route_maps = {h.split()[1]: b for h, b in blocks if h.startswith("route-map ")}
    prefix_lists = [h.split() for h, _ in blocks if h.startswith("ip prefix-list ")]
    requires_policy = "no bgp ebgp-requires-policy" not in lines
    default_off = "no bgp default ipv4-unicast" in lines
    networks = [
        str(ip_network(ln.split()[1], strict=False)) for ln in lines if ln.startswith("network ")
    ]
    neighbors: dict[str, Neighbor] = {}
    for line in lines:
        words = line.split()
        if words[0] == "neighbor" and len(words) >= 4 and words[2] == "remote-as":
            neighbors[words[1]] = Neighbor(words[1], words[3], asn)
    for address, neighbor in neighbors.items():
        mine = [ln.split() for ln in lines if ln.split()[1:2] == [address]]
        _frr_neighbor(neighbor, mine, route_maps, prefix_lists, networks, requires_policy)
        if default_off and ["neighbor", address, "activate"] not in mine:
            neighbor.problems.append(f"neighbour {address} is not activated for IPv4 unicast")
    return neighbors


def _frr_neighbor(
    neighbor: Neighbor,
    lines: list[list[str]],
    route_maps: Mapping[str, list[str]],
    prefix_lists: list[list[str]],
    networks: list[str],
    requires_policy: bool,
) -> None:
    maps = {w[4]: w[3] for w in lines if w[2:3] == ["route-map"] and len(w) > 4}
    for words in lines:
        if words[2:3] == ["local-as"] and len(words) > 3:
            neighbor.local_as = int(words[3])
        elif words[2:3] == ["shutdown"]:
            neighbor.problems.append(f"neighbour {neighbor.address} is shut down")
    inbound = maps.get("in")
    if (requires_policy and inbound is None) or (inbound and inbound not in route_maps):
        neighbor.receives = False
        neighbor.receive_problem = (
            f"neighbour {neighbor.address} has no usable inbound route-map (ebgp-requires-policy)"
        )
    outbound = maps.get("out")
    if outbound is None:
        neighbor.advertised = () if requires_policy else tuple(networks)
    elif outbound not in route_maps:
        neighbor.advertised = ()
    else:
        neighbor.advertised = _frr_permitted(route_maps[outbound], prefix_lists, networks)


def _frr_permitted(
    route_map: list[str], prefix_lists: list[list[str]], networks: list[str]
) -> tuple[str, ...]:
    lists = [ln.split()[-1] for ln in route_map if ln.startswith("match ip address prefix-list ")]
    if not lists:
        return tuple(networks)
    permitted = set()
    for words in prefix_lists:
        if words[2] in lists and "permit" in words:
            prefix = words[words.index("permit") + 1]
            permitted.add(str(ip_network(prefix, strict=False)))
    return tuple(n for n in networks if n in permitted)
