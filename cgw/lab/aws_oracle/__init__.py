"""The lab's honest tunnel oracle: a tunnel comes up only if the router's config matches lab AWS.

`AwsOracle(vpn_ids)` judges a simulated router's running configuration (IOS running-config, Junos
`display set` lines, or the Linux host's loaded swanctl files followed by FRR's running config)
against what the lab AWS holds for each tunnel of those VPN connections: outside address, PSK,
IKE versions, proposals, inside /30 and BGP ASNs. It reports each tunnel's state back to the lab
AWS's VgwTelemetry, so `cgw verify` sees AWS agree with the router.

The parsers here are written independently of cgw's renderer, templates, model and platforms, so
that a rendering bug shows up as a down tunnel instead of cancelling itself out. One module per
job: `facts` (what lab AWS holds), `ios`/`junos`/`linux`/`frr` (each router's own text; a
vendor module exposes a `PARSER` for its simulator's kind, found by `all_parsers()`),
`algorithms` (vendor words → AWS names), `key_encodings` (reversible key encodings) and
`judging` (parsed config against the facts → verdicts and reasons).
"""

from __future__ import annotations

import importlib
import pkgutil
import threading
from collections.abc import Iterable, Mapping
from functools import cache
from ipaddress import ip_network

from cgw.lab.aws_oracle.algorithms import GCM
from cgw.lab.aws_oracle.facts import (
    AWS_ENCRYPTION,
    AWS_IKE_VERSIONS,
    AWS_INTEGRITY,
    AWS_PHASE1_GROUPS,
    AWS_PHASE2_GROUPS,
    VPC_PREFIXES,
    AwsTunnel,
    AwsVpn,
    Phase,
    aws_tunnel,
    lab_vpn_facts,
    remote_vpn_facts,
)
from cgw.lab.aws_oracle.ios import parse_ios
from cgw.lab.aws_oracle.judging import (
    AwsBgpVerdict,
    AwsTunnelVerdict,
    TunnelJudgement,
    judge,
    reason_of,
)
from cgw.lab.aws_oracle.junos import parse_junos
from cgw.lab.aws_oracle.key_encodings import ios_type7_decode, junos9_decode, junos9_encode
from cgw.lab.aws_oracle.linux import parse_linux, swan_proposals
from cgw.lab.aws_oracle.router import ConfigParser, Neighbor, Proposal, RouterConfig, RouterPeer
from cgw.lab.routers.oracle import BgpVerdict, OracleVerdict, RouterKind, TunnelVerdict

__all__ = [
    "AWS_ENCRYPTION",
    "AWS_IKE_VERSIONS",
    "AWS_INTEGRITY",
    "AWS_PHASE1_GROUPS",
    "AWS_PHASE2_GROUPS",
    "GCM",
    "VPC_PREFIXES",
    "AwsBgpVerdict",
    "AwsOracle",
    "AwsTunnel",
    "AwsTunnelVerdict",
    "AwsVpn",
    "ConfigParser",
    "Neighbor",
    "Phase",
    "Proposal",
    "RouterConfig",
    "RouterPeer",
    "TunnelJudgement",
    "all_parsers",
    "aws_tunnel",
    "ios_type7_decode",
    "judge",
    "junos9_decode",
    "junos9_encode",
    "lab_vpn_facts",
    "parse_ios",
    "parse_junos",
    "parse_linux",
    "parse_running_config",
    "reason_of",
    "remote_vpn_facts",
    "swan_proposals",
]


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


@cache
def all_parsers() -> Mapping[str, ConfigParser]:
    """Every simulator's configuration parser found in this package, by simulator kind."""
    found: dict[str, ConfigParser] = {}
    for module_info in pkgutil.iter_modules(__path__):
        module = importlib.import_module(f"{__name__}.{module_info.name}")
        parser = getattr(module, "PARSER", None)
        if isinstance(parser, ConfigParser):
            found[parser.kind] = parser
    return found


def parse_running_config(kind: RouterKind, text: str) -> RouterConfig:
    """The router's configuration in the oracle's terms, from its own canonical text."""
    parser = all_parsers().get(kind)
    if parser is None:
        raise ValueError(f"unknown router kind {kind!r}; known: {', '.join(sorted(all_parsers()))}")
    return parser.parse(text)
