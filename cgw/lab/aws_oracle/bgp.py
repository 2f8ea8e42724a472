"""`router bgp` statements that IOS-XE and FRR write alike."""

from __future__ import annotations

from collections.abc import Iterable

from cgw.lab.aws_oracle.router import Neighbor


def remote_as_neighbors(
    lines: Iterable[str], asn: int, advertised: tuple[str, ...] = ()
) -> dict[str, Neighbor]:
    """Neighbours by address, from `neighbor ADDRESS remote-as ASN` lines of `router bgp ASN`."""
    neighbors: dict[str, Neighbor] = {}
    for line in lines:
        words = line.split()
        if words[0] == "neighbor" and len(words) >= 4 and words[2] == "remote-as":
            neighbors[words[1]] = Neighbor(words[1], words[3], asn, advertised=advertised)
    return neighbors


def neighbor_statements(lines: Iterable[str], address: str) -> list[list[str]]:
    """The words of every `neighbor ADDRESS ...` line (and any line whose second word it is)."""
    return [ln.split() for ln in lines if ln.split()[1:2] == [address]]


def apply_session_statements(neighbor: Neighbor, statements: Iterable[list[str]]) -> None:
    """`local-as` and `shutdown` of one neighbour's statements."""
    for words in statements:
        if words[2:3] == ["local-as"] and len(words) > 3:
            neighbor.local_as = int(words[3])
        elif words[2:3] == ["shutdown"]:
            neighbor.problems.append(f"neighbour {neighbor.address} is shut down")
