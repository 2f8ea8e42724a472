"""FRR's running configuration (the Linux host's BGP) in the oracle's terms."""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from ipaddress import ip_network

from cgw.lab.aws_oracle.bgp import (
    apply_session_statements,
    neighbor_statements,
    remote_as_neighbors,
)
from cgw.lab.aws_oracle.router import Neighbor


def _blocks(text: str) -> Iterator[tuple[str, list[str]]]:
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


def frr_bgp(text: str) -> dict[str, Neighbor]:
    """FRR `show running-config` → BGP neighbours by address."""
    blocks = list(_blocks(text))
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
    neighbors = remote_as_neighbors(lines, asn)
    for address, neighbor in neighbors.items():
        mine = neighbor_statements(lines, address)
        _neighbor(neighbor, mine, route_maps, prefix_lists, networks, requires_policy)
        if default_off and ["neighbor", address, "activate"] not in mine:
            neighbor.problems.append(f"neighbour {address} is not activated for IPv4 unicast")
    return neighbors


def _neighbor(
    neighbor: Neighbor,
    lines: list[list[str]],
    route_maps: Mapping[str, list[str]],
    prefix_lists: list[list[str]],
    networks: list[str],
    requires_policy: bool,
) -> None:
    maps = {w[4]: w[3] for w in lines if w[2:3] == ["route-map"] and len(w) > 4}
    apply_session_statements(neighbor, lines)
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
        neighbor.advertised = _permitted(route_maps[outbound], prefix_lists, networks)


def _permitted(
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
