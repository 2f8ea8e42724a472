"""Whether a router's tunnels come up: a pluggable judge of its running configuration."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Protocol

RouterKind = str  # a simulator's kind ("cisco_xe", "juniper_junos", "linux", ...): see simulator.py


@dataclass(frozen=True)
class TunnelVerdict:
    """One configured IPsec peer (keyed by its outside address): phase 1 and phase 2 state."""

    ike_up: bool = False
    ipsec_up: bool = False


@dataclass(frozen=True)
class BgpVerdict:
    """One configured BGP neighbour (keyed by its address): session state and what it sends."""

    established: bool = False
    prefixes_received: tuple[str, ...] = ()


@dataclass(frozen=True)
class OracleVerdict:
    """Everything the oracle says about a configuration; peers it omits are down."""

    tunnels: Mapping[str, TunnelVerdict] = field(default_factory=dict)
    bgp: Mapping[str, BgpVerdict] = field(default_factory=dict)

    def tunnel(self, peer: str) -> TunnelVerdict:
        return self.tunnels.get(peer, TunnelVerdict())

    def neighbor(self, address: str) -> BgpVerdict:
        return self.bgp.get(address, BgpVerdict())


class TunnelOracle(Protocol):
    """Judges a router's running configuration (text, the router's own canonical form)."""

    def evaluate(self, kind: RouterKind, running_config: str) -> OracleVerdict: ...


class DownOracle:
    """The default: nothing ever comes up (no AWS side to talk to)."""

    def evaluate(self, kind: RouterKind, running_config: str) -> OracleVerdict:
        return OracleVerdict()
