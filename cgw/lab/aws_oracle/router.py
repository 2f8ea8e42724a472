"""The parts of a router's configuration the oracle judges, in AWS's words."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from ipaddress import IPv4Address, IPv4Interface, IPv4Network

from cgw.lab.aws_oracle.algorithms import describe_algorithms


def is_v4(text: str) -> bool:
    """Whether `text` is an IPv4 address."""
    try:
        IPv4Address(text)
    except ValueError:
        return False
    return True


@dataclass(frozen=True)
class Proposal:
    """One router proposal in AWS's words; integrity None = not constrained (AEAD PRF unknown).

    Words the oracle cannot map stay as `?word`, so they never match AWS.
    """

    encryption: frozenset[str]
    integrity: frozenset[str] | None
    groups: frozenset[int]

    def describe(self) -> str:
        return describe_algorithms(self.encryption, self.integrity or frozenset(), self.groups)


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
    initiates: bool = True  # False: the router waits for traffic (Junos on-traffic) or the peer
    ike_problems: list[str] = field(default_factory=list)
    ipsec_problems: list[str] = field(default_factory=list)
    bgp_problems: list[str] = field(default_factory=list)
    routes: set[IPv4Network] = field(default_factory=set)

    def reached_via(self, next_hop: str) -> bool:
        """Whether a static route's next hop (interface or address) leads into this tunnel."""
        if next_hop == self.interface:
            return True
        return (
            self.inside is not None
            and is_v4(next_hop)
            and (IPv4Address(next_hop) in self.inside.network)
        )


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


@dataclass(frozen=True)
class ConfigParser:
    """One simulator's configuration parser; a vendor module exposes one as `PARSER`.

    `kind` is the simulator's kind (`cgw.lab.routers.simulator.Simulator.kind`).
    """

    kind: str
    parse: Callable[[str], RouterConfig]
