"""What `cgw verify` runs on a strongSwan (+FRR) host and how its output becomes a ParsedStatus.

Also parses `swanctl --list-conns`, to check what charon actually loaded.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from typing import Any

from cgw.model import BgpNeighbor, IkeSa, IpsecSa, ParsedStatus
from cgw.parsing import CommandParsers, Row, canonical_address, counter_sum

PLATFORM_NAME = "strongswan"

LIST_SAS = "swanctl --list-sas"
BGP_SUMMARY = 'vtysh -c "show bgp summary"'
LIST_CONNS = "swanctl --list-conns"

VERIFY_COMMANDS: tuple[str, ...] = (LIST_SAS, BGP_SUMMARY)

# ntc-templates has no template for swanctl or for FRR's vtysh; all three are cgw's own.
TEMPLATES: Mapping[str, tuple[str, str]] = {
    LIST_SAS: ("cgw", "swanctl_list_sas.textfsm"),
    BGP_SUMMARY: ("cgw", "frr_show_bgp_summary.textfsm"),
    LIST_CONNS: ("cgw", "swanctl_list_conns.textfsm"),
}
PARSERS = CommandParsers(PLATFORM_NAME, "cgw.platforms.strongswan", TEMPLATES)

IKE_UP_STATE = "ESTABLISHED"
CHILD_UP_STATE = "INSTALLED"
NO_CHILD_SA = "NO_CHILD_SA"
# FRR (bgp ebgp-requires-policy): Established, but every update is discarded.
BGP_POLICY_BLOCKED = "(Policy)"


def parse_command(command: str, output: str) -> list[Row]:
    """The raw TextFSM rows (lower-case keys) of one command's output."""
    return PARSERS.parse(command, output)


def parse_outputs(outputs: Mapping[str, str]) -> ParsedStatus:
    """The normalised view of whichever verify commands' outputs are present."""
    sa_rows = parse_command(LIST_SAS, outputs[LIST_SAS]) if LIST_SAS in outputs else None
    bgp_rows = parse_command(BGP_SUMMARY, outputs[BGP_SUMMARY]) if BGP_SUMMARY in outputs else None
    return ParsedStatus(
        ike_sas=_ike_sas(sa_rows) if sa_rows is not None else None,
        ipsec_sas=_ipsec_sas(sa_rows) if sa_rows is not None else None,
        bgp=_bgp_neighbors(bgp_rows) if bgp_rows is not None else None,
        interfaces_up=None,
    )


def parse_list_conns(output: str) -> list[dict[str, Any]]:
    """Each loaded connection of `swanctl --list-conns` with its children.

    swanctl prints no proposals in this view (only `--raw` carries them), so there are none here.
    """
    connections: dict[str, dict[str, Any]] = {}
    for row in parse_command(LIST_CONNS, output):
        name = row["conn_name"]
        if name not in connections:
            connections[name] = _connection(row)
        if row["child_name"]:
            connections[name]["children"].append(_child(row))
    return list(connections.values())


def _connection(row: Row) -> dict[str, Any]:
    return {
        "name": row["conn_name"],
        "version": row["ike_version"],
        "local_addrs": row["local_addrs"].split(),
        "remote_addrs": row["remote_addrs"].split(),
        "reauth": row["reauth"],
        "rekey": row["rekey"],
        "dpd_delay_s": int(row["dpd_delay"]) if row["dpd_delay"] else None,
        "local_auth": list(row["local_auth"]),
        "remote_auth": list(row["remote_auth"]),
        "local_ids": list(row["local_ids"]),
        "remote_ids": list(row["remote_ids"]),
        "children": [],
    }


def _child(row: Row) -> dict[str, Any]:
    return {
        "name": row["child_name"],
        "mode": row["child_mode"],
        "rekey": row["child_rekey"],
        "dpd_action": row["dpd_action"] or None,
        "local_ts": row["local_ts"].split(),
        "remote_ts": row["remote_ts"].split(),
        "interface": row["interface"] or None,
        "priority": int(row["priority"]) if row["priority"] else None,
    }


def _ike_sas(rows: Iterable[Row]) -> tuple[IkeSa, ...]:
    """One IkeSa per IKE_SA (rows repeat the IKE_SA's fields for each CHILD_SA)."""
    seen: dict[tuple[str, str], IkeSa] = {}
    for row in rows:
        key = (row["ike_name"], row["ike_id"])
        if key not in seen:
            seen[key] = IkeSa(
                peer=canonical_address(row["remote_addr"]),
                local=canonical_address(row["local_addr"]),
                state=row["ike_state"],
                up=row["ike_state"] == IKE_UP_STATE,
            )
    return tuple(seen.values())


def _ipsec_sas(rows: Iterable[Row]) -> tuple[IpsecSa, ...]:
    """One IpsecSa per peer, over every CHILD_SA of every IKE_SA with that peer."""
    by_peer: dict[str, list[Row]] = {}
    for row in rows:
        by_peer.setdefault(canonical_address(row["remote_addr"]), []).append(row)
    return tuple(_peer_ipsec_sa(peer, peer_rows) for peer, peer_rows in by_peer.items())


def _peer_ipsec_sa(peer: str, rows: Sequence[Row]) -> IpsecSa:
    """INSTALLED children carry both directions; a REKEYED one is its predecessor, not counted."""
    children = [row for row in rows if row["child_name"]]
    installed = [row for row in children if row["child_state"] == CHILD_UP_STATE]
    state = children[0]["child_state"] if children else NO_CHILD_SA
    if installed:
        state = CHILD_UP_STATE
    return IpsecSa(
        peer=peer,
        state=state,
        up=bool(installed),
        packets_in=counter_sum(row["packets_in"] for row in installed),
        packets_out=counter_sum(row["packets_out"] for row in installed),
    )


def _bgp_neighbors(rows: Iterable[Row]) -> tuple[BgpNeighbor, ...]:
    """One BgpNeighbor per neighbour, from the first address family that lists it (IPv4 first)."""
    seen: dict[str, BgpNeighbor] = {}
    for row in rows:
        neighbor = canonical_address(row["neighbor"])
        if neighbor not in seen:
            seen[neighbor] = _bgp_neighbor(neighbor, row)
    return tuple(seen.values())


def _bgp_neighbor(neighbor: str, row: Row) -> BgpNeighbor:
    """A numeric State/PfxRcd means Established with that many prefixes received."""
    state = row["state_pfxrcd"]
    if state.isdigit():
        return BgpNeighbor(neighbor, row["remote_as"], "Established", True, int(state))
    if state == BGP_POLICY_BLOCKED:
        return BgpNeighbor(neighbor, row["remote_as"], state, True, 0)
    return BgpNeighbor(neighbor, row["remote_as"], state, False, None)
