"""What `cgw verify` runs on a Juniper SRX and how its output becomes a ParsedStatus.

On a chassis cluster the security commands print one section per node (`node0:` / `node1:`);
each row carries its node, and the normalised view keeps the SAs of every node.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping, Sequence

from cgw.model import BgpNeighbor, IkeSa, IpsecSa, ParsedStatus
from cgw.parsing import CommandParsers, Row, canonical_address

PLATFORM_NAME = "juniper_junos"

IKE_SA = "show security ike security-associations"
IPSEC_SA = "show security ipsec security-associations"
BGP_SUMMARY = "show bgp summary"
ST0_TERSE = "show interfaces st0 terse"

VERIFY_COMMANDS: tuple[str, ...] = (IKE_SA, IPSEC_SA, BGP_SUMMARY, ST0_TERSE)

# All four are cgw's own: ntc-templates has nothing for the SA commands or for
# `show interfaces terse`, and its show_bgp_summary loses peers that are not Established
# (see the comment in the template).
TEMPLATES: Mapping[str, tuple[str, str]] = {
    IKE_SA: ("cgw", "juniper_junos_show_security_ike_security_associations.textfsm"),
    IPSEC_SA: ("cgw", "juniper_junos_show_security_ipsec_security_associations.textfsm"),
    BGP_SUMMARY: ("cgw", "juniper_junos_show_bgp_summary.textfsm"),
    ST0_TERSE: ("cgw", "juniper_junos_show_interfaces_terse.textfsm"),
}
PARSERS = CommandParsers(PLATFORM_NAME, "cgw.platforms.juniper_junos", TEMPLATES)

IKE_UP_STATE = "UP"
BGP_ESTABLISHED = "Establ"
INBOUND, OUTBOUND = "<", ">"
VPN_MONITOR_DOWN = "D"
# "2/5/5/0" in the State column: Established, counts of the peer's only RIB.
_RIB_COUNTS = re.compile(r"(\d+)/(\d+)/(\d+)/(\d+)")


def parse_command(command: str, output: str) -> list[Row]:
    """The raw TextFSM rows (lower-case keys) of one command's output."""
    return PARSERS.parse(command, output)


def parse_outputs(outputs: Mapping[str, str]) -> ParsedStatus:
    """The normalised view of whichever verify commands' outputs are present."""
    rows = {
        command: parse_command(command, output)
        for command, output in outputs.items()
        if command in TEMPLATES
    }
    return ParsedStatus(
        ike_sas=_ike_sas(rows[IKE_SA]) if IKE_SA in rows else None,
        ipsec_sas=_ipsec_sas(rows[IPSEC_SA]) if IPSEC_SA in rows else None,
        bgp=_bgp_neighbors(rows[BGP_SUMMARY]) if BGP_SUMMARY in rows else None,
        interfaces_up=_interfaces_up(rows[ST0_TERSE]) if ST0_TERSE in rows else None,
    )


def _ike_sas(rows: Iterable[Row]) -> tuple[IkeSa, ...]:
    """The summary shows no local address; `local` stays empty."""
    return tuple(
        IkeSa(
            peer=canonical_address(row["remote_address"]),
            local="",
            state=row["state"],
            up=row["state"] == IKE_UP_STATE,
        )
        for row in rows
    )


def _ipsec_sas(rows: Iterable[Row]) -> tuple[IpsecSa, ...]:
    """One IpsecSa per gateway; the command has no packet counters, so they stay None."""
    by_gateway: dict[str, list[Row]] = {}
    for row in rows:
        by_gateway.setdefault(canonical_address(row["gateway"]), []).append(row)
    return tuple(_gateway_ipsec_sa(gateway, sas) for gateway, sas in by_gateway.items())


def _gateway_ipsec_sa(gateway: str, rows: Sequence[Row]) -> IpsecSa:
    """Up when an inbound and an outbound SA exist and VPN monitoring does not say down."""
    directions = {row["direction"] for row in rows}
    monitored_down = any(row["mon"] == VPN_MONITOR_DOWN for row in rows)
    if monitored_down:
        state = "MONITOR_DOWN"
    elif {INBOUND, OUTBOUND} <= directions:
        state = "UP"
    else:
        state = "INBOUND_ONLY" if INBOUND in directions else "OUTBOUND_ONLY"
    return IpsecSa(peer=gateway, state=state, up=state == "UP")


def _bgp_neighbors(rows: Iterable[Row]) -> tuple[BgpNeighbor, ...]:
    return tuple(_bgp_neighbor(row) for row in rows)


def _bgp_neighbor(row: Row) -> BgpNeighbor:
    """Established is `Establ` or RIB counts in the State column; prefixes summed over RIBs."""
    state = row["state"]
    counts_in_state = _RIB_COUNTS.fullmatch(state)
    established = state == BGP_ESTABLISHED or counts_in_state is not None
    received: int | None = None
    if row["rib_counts"]:
        received = sum(_received(counts) for counts in row["rib_counts"])
    elif counts_in_state is not None:
        received = int(counts_in_state.group(2))
    return BgpNeighbor(
        neighbor=canonical_address(row["peer"]),
        remote_as=row["peer_as"],
        state="Established" if established else state,
        established=established,
        prefixes_received=received if established else None,
    )


def _received(counts: str) -> int:
    """The Received field of an Active/Received/Accepted/Damped group."""
    return int(counts.split("/")[1])


def _interfaces_up(rows: Iterable[Row]) -> tuple[str, ...]:
    return tuple(row["interface"] for row in rows if row["admin"] == "up" and row["link"] == "up")
