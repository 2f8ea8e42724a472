"""Judging a router's parsed configuration against what the lab AWS holds: verdicts and reasons."""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from ipaddress import IPv4Address, IPv4Network

from cgw.lab.aws_oracle.algorithms import (
    GCM,
    describe_algorithms,
    describe_groups,
    describe_versions,
)
from cgw.lab.aws_oracle.facts import AwsTunnel, AwsVpn, Phase, Telemetry
from cgw.lab.aws_oracle.router import Neighbor, Proposal, RouterConfig, RouterPeer, is_v4
from cgw.lab.routers.oracle import BgpVerdict, TunnelVerdict

# Addresses a router may hold when AWS sees it through NAT as the customer gateway IP.
_NAT_RANGES = tuple(
    IPv4Network(n) for n in ("10.0.0.0/8", "172.16.0.0/12", "192.168.0.0/16", "100.64.0.0/10")
)


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


@dataclass(frozen=True)
class TunnelJudgement:
    """The oracle's view of one AWS tunnel."""

    tunnel: AwsTunnel
    verdict: AwsTunnelVerdict
    bgp: AwsBgpVerdict | None  # None: static VPN (AWS runs no BGP)
    static_routes_ok: bool | None = None  # static VPNs with visible interfaces only

    def telemetry(self, static: bool) -> Telemetry:
        """(status, accepted routes, message) as AWS would report this tunnel."""
        if not self.verdict.ipsec_up:
            return ("DOWN", 0, "IPSEC IS DOWN")
        if static:
            return ("UP", 0, "")
        if self.bgp is None or not self.bgp.established:
            return ("DOWN", 0, "IPSEC IS UP")
        count = len(self.bgp.advertised)
        return ("UP", count, f"{count} BGP ROUTES")


def judge(config: RouterConfig, vpn: AwsVpn, vpc: Sequence[str]) -> list[TunnelJudgement]:
    """Every tunnel of `vpn` judged against the router's parsed configuration."""
    return [_judge_tunnel(config, vpn, t, vpc) for t in vpn.tunnels]


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


def _judge_peer(peer: RouterPeer, vpn: AwsVpn, tunnel: AwsTunnel) -> AwsTunnelVerdict:
    if vpn.static and not peer.initiates and not tunnel.initiates:
        # nothing routes traffic into a static tunnel in the lab, and BGP's own packets would
        return AwsTunnelVerdict(
            reason=f"{peer.label} waits for traffic and AWS waits for the customer gateway"
            " (startup action add): nobody initiates"
        )
    problem = _ike_problem(peer, vpn, tunnel)
    if problem:
        return AwsTunnelVerdict(False, False, problem)
    problem = _ipsec_problem(peer, tunnel)
    return AwsTunnelVerdict(True, not problem, problem)


# --------------------------------------------------------------------------- IPsec


def _nat_address(address: str) -> bool:
    return any(IPv4Address(address) in net for net in _NAT_RANGES) if is_v4(address) else False


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


def _offered(proposals: Iterable[Proposal]) -> str:
    """The router's proposals as a reason shows them."""
    return "; ".join(p.describe() for p in proposals) or "nothing"


def _ike_problem(peer: RouterPeer, vpn: AwsVpn, tunnel: AwsTunnel) -> str:
    """Why phase 1 with this peer fails ('' when it comes up)."""
    if peer.ike_problems:
        return peer.ike_problems[0]
    versions = peer.ike_versions & tunnel.ike_versions
    if not versions:
        return (
            f"IKE version mismatch: {peer.label} speaks {describe_versions(peer.ike_versions)}, "
            f"AWS allows {describe_versions(tunnel.ike_versions)}"
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
        return (
            f"no phase 1 proposal in common: {peer.label} offers {_offered(proposals)}; "
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
    phase2 = tunnel.phase2
    usable = [p for p in peer.esp_proposals if _phase2_compatible(p, phase2)]
    if not usable:
        return (
            f"no phase 2 proposal in common: {peer.label} offers {_offered(peer.esp_proposals)}; "
            f"AWS allows {describe_algorithms(phase2.encryption, phase2.integrity, None)}"
        )
    if not any(p.groups & phase2.groups for p in usable):
        groups = sorted({g for p in usable for g in p.groups})
        return (
            f"PFS group mismatch: {peer.label} uses "
            f"{', '.join(f'group {g}' for g in groups) or 'no PFS'}; AWS allows "
            f"{describe_groups(phase2.groups)}"
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


# --------------------------------------------------------------------------- BGP


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
