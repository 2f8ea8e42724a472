"""What `cgw verify` runs on Cisco IOS / IOS-XE and how its output becomes a ParsedStatus.

cisco_xe uses this module too: the show commands and their output are the same on both.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping, Sequence

from cgw.errors import ParseError
from cgw.model import BgpNeighbor, IkeSa, IpsecSa, ParsedStatus
from cgw.parsing import CommandParsers, Row, canonical_address, counter_sum

PLATFORM_NAME = "cisco_ios"

IKEV2_SA = "show crypto ikev2 sa"
ISAKMP_SA = "show crypto isakmp sa"
IPSEC_SA = "show crypto ipsec sa"
BGP_SUMMARY = "show ip bgp summary"
INTERFACE_BRIEF = "show ip interface brief"

VERIFY_COMMANDS: tuple[str, ...] = (
    IKEV2_SA,
    ISAKMP_SA,
    IPSEC_SA,
    BGP_SUMMARY,
    INTERFACE_BRIEF,
)

# Which TextFSM template parses each command: ("cgw", file) ships in ./textfsm, ("ntc", file)
# is ntc-templates' own. BGP summary is cgw's because ntc's drops IPv6 neighbours.
TEMPLATES: Mapping[str, tuple[str, str]] = {
    IKEV2_SA: ("cgw", "cisco_ios_show_crypto_ikev2_sa.textfsm"),
    ISAKMP_SA: ("cgw", "cisco_ios_show_crypto_isakmp_sa.textfsm"),
    IPSEC_SA: ("cgw", "cisco_ios_show_crypto_ipsec_sa.textfsm"),
    BGP_SUMMARY: ("cgw", "cisco_ios_show_ip_bgp_summary.textfsm"),
    INTERFACE_BRIEF: ("ntc", "cisco_ios_show_ip_interface_brief.textfsm"),
}
PARSERS = CommandParsers(PLATFORM_NAME, "cgw.platforms.cisco_ios", TEMPLATES)

# What a readable output of each command shows (a blank output is readable too: nothing there).
# Anything else (the device refused the command, a layout cgw has never seen) is unreadable,
# so verify reports that part unknown instead of judging "no SA" from zero parsed rows.
LAYOUTS: Mapping[str, re.Pattern[str]] = {
    IKEV2_SA: re.compile(r"Crypto\s+IKEv2\s+SA|^\s*Tunnel-id\s", re.M),
    ISAKMP_SA: re.compile(r"Crypto\s+ISAKMP\s+SA|^\s*dst\s+src\s+state", re.M),
    IPSEC_SA: re.compile(r"^\s*interface:\s|^\s*No\s+SAs\s+found", re.M),
    BGP_SUMMARY: re.compile(r"BGP\s+router\s+identifier|^%\s*BGP\s+not\s+active", re.M),
    INTERFACE_BRIEF: re.compile(r"^\s*Interface\s+IP-Address\s", re.M),
}
REFUSED = re.compile(r"^\s*%\s*(Invalid input|Incomplete command|Ambiguous command)", re.M)

IKEV2_UP_STATUS = "READY"
ISAKMP_UP_STATE = "QM_IDLE"
NO_IPSEC_SA = "NO_SA"


def parse_command(command: str, output: str, *, platform: str = PLATFORM_NAME) -> list[Row]:
    """The raw TextFSM rows (lower-case keys) of one command's output."""
    check_layout(command, output, platform=platform)
    return PARSERS.parse(command, output, platform=platform)


def check_layout(command: str, output: str, *, platform: str = PLATFORM_NAME) -> None:
    """Raise ParseError unless `output` is blank or in a layout `command` is known to print."""
    layout = LAYOUTS.get(command)
    if not output.strip() or REFUSED.search(output) or layout is None:
        return  # nothing there, or a command this release lacks (no rows: see the tests)
    if not layout.search(output):
        raise ParseError(f"{platform}: cannot parse '{command}' output: not in a layout cgw knows")


def parse_outputs(outputs: Mapping[str, str], *, platform: str = PLATFORM_NAME) -> ParsedStatus:
    """The normalised view of whichever verify commands' outputs are present."""
    rows = {
        command: parse_command(command, output, platform=platform)
        for command, output in outputs.items()
        if command in TEMPLATES
    }
    own_addresses = _own_addresses(rows.get(INTERFACE_BRIEF, []), rows.get(IPSEC_SA, []))
    return ParsedStatus(
        ike_sas=_ike_sas(rows, own_addresses),
        ipsec_sas=_ipsec_sas(rows[IPSEC_SA]) if IPSEC_SA in rows else None,
        bgp=_bgp_neighbors(rows[BGP_SUMMARY]) if BGP_SUMMARY in rows else None,
        interfaces_up=_interfaces_up(rows[INTERFACE_BRIEF]) if INTERFACE_BRIEF in rows else None,
    )


def _own_addresses(interface_rows: Sequence[Row], ipsec_rows: Sequence[Row]) -> frozenset[str]:
    """The device's own addresses: interface addresses and crypto map local addresses."""
    found = {row["ip_address"] for row in interface_rows} | {
        row["local_address"] for row in ipsec_rows
    }
    return frozenset(canonical_address(a) for a in found if a and a != "unassigned")


def _ike_sas(rows: Mapping[str, list[Row]], own: frozenset[str]) -> tuple[IkeSa, ...] | None:
    if IKEV2_SA not in rows and ISAKMP_SA not in rows:
        return None
    ikev2 = [_ikev2_sa(row) for row in rows.get(IKEV2_SA, [])]
    ikev1 = [_isakmp_sa(row, own) for row in rows.get(ISAKMP_SA, [])]
    return tuple(ikev2 + ikev1)


def _ikev2_sa(row: Row) -> IkeSa:
    status = row["status"]
    return IkeSa(
        peer=canonical_address(row["remote_address"]),
        local=canonical_address(row["local_address"]),
        state=status,
        up=status == IKEV2_UP_STATUS,
    )


def _isakmp_sa(row: Row, own: frozenset[str]) -> IkeSa:
    """IKEv1 SA; dst is whoever responded, so the peer is whichever side isn't this device."""
    dst, src = canonical_address(row["dst"]), canonical_address(row["src"])
    peer, local = (src, dst) if dst in own else (dst, src)
    state = row["state"]
    up = state == ISAKMP_UP_STATE and "deleted" not in row["status"].lower()
    return IkeSa(peer=peer, local=local, state=state, up=up)


def _ipsec_sas(rows: Iterable[Row]) -> tuple[IpsecSa, ...]:
    """One IpsecSa per peer: counters summed over its ident blocks, up if both directions are."""
    by_peer: dict[str, list[Row]] = {}
    for row in rows:
        by_peer.setdefault(canonical_address(row["peer"]), []).append(row)
    return tuple(_peer_ipsec_sa(peer, peer_rows) for peer, peer_rows in by_peer.items())


def _peer_ipsec_sa(peer: str, rows: Sequence[Row]) -> IpsecSa:
    inbound = [s for row in rows for s in row["inbound_esp_status"]]
    outbound = [s for row in rows for s in row["outbound_esp_status"]]
    active_in = [s for s in inbound if _is_active(s)]
    active_out = [s for s in outbound if _is_active(s)]
    up = bool(active_in and active_out)
    state = active_in[0] if up else next(iter(inbound + outbound), NO_IPSEC_SA)
    return IpsecSa(
        peer=peer,
        state=state,
        up=up,
        packets_in=counter_sum(row["pkts_decaps"] for row in rows),
        packets_out=counter_sum(row["pkts_encaps"] for row in rows),
    )


def _is_active(status: str) -> bool:
    """ACTIVE or ACTIVE(ACTIVE); not STANDBY, not ACTIVE(STANDBY)-style partial states."""
    return status in ("ACTIVE", "ACTIVE(ACTIVE)")


def _bgp_neighbors(rows: Iterable[Row]) -> tuple[BgpNeighbor, ...]:
    return tuple(_bgp_neighbor(row) for row in rows)


def _bgp_neighbor(row: Row) -> BgpNeighbor:
    """A numeric State/PfxRcd means Established with that many prefixes received."""
    state = row["state_or_prefixes_received"]
    established = state.isdigit()
    return BgpNeighbor(
        neighbor=canonical_address(row["bgp_neighbor"]),
        remote_as=row["neighbor_as"],
        state="Established" if established else state,
        established=established,
        prefixes_received=int(state) if established else None,
    )


def _interfaces_up(rows: Iterable[Row]) -> tuple[str, ...]:
    return tuple(row["interface"] for row in rows if row["status"] == "up" and row["proto"] == "up")
