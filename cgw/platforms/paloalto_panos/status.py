"""What `cgw verify` runs on a PAN-OS firewall and how its output becomes a ParsedStatus.

`show vpn ike-sa` prints an IKEv1 phase-1 table, an IKEv1 phase-2 table and an IKEv2 table
(each only when it has rows); `show vpn ipsec-sa` one row per tunnel with SAs; `show vpn flow`
one row per configured tunnel with its state (`active`/`inactiv`) and tunnel interface.

`show routing protocol bgp peer` (legacy virtual routers) gives the BGP peers; its samples in
tests/data are constructed (no real public capture was found, see SOURCES.md there). On a
firewall with Advanced Routing the command is refused ("Invalid syntax."): BGP then stays
unknown (None); `show advanced-routing bgp peer status` has neither captures nor a parser yet.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping

from cgw.model import BgpNeighbor, IkeSa, IpsecSa, ParsedStatus
from cgw.parsing import CommandParsers, Row, canonical_address

PLATFORM_NAME = "paloalto_panos"

IKE_SA = "show vpn ike-sa"
IPSEC_SA = "show vpn ipsec-sa"
FLOW = "show vpn flow"
BGP_PEER = "show routing protocol bgp peer"

VERIFY_COMMANDS: tuple[str, ...] = (IKE_SA, IPSEC_SA, FLOW, BGP_PEER)

# ntc-templates has none of these commands (its PAN-OS BGP template is `... bgp summary`).
TEMPLATES: Mapping[str, tuple[str, str]] = {
    IKE_SA: ("cgw", "paloalto_panos_show_vpn_ike-sa.textfsm"),
    IPSEC_SA: ("cgw", "paloalto_panos_show_vpn_ipsec-sa.textfsm"),
    FLOW: ("cgw", "paloalto_panos_show_vpn_flow.textfsm"),
    BGP_PEER: ("cgw", "paloalto_panos_show_routing_protocol_bgp_peer.textfsm"),
}
PARSERS = CommandParsers(PLATFORM_NAME, "cgw.platforms.paloalto_panos", TEMPLATES)

# IKEv2 SAs print `Established`; IKEv1 phase-1 SAs a state number, 13 when mature (the 7.x/8.x
# layout has no state column and lists established SAs only).
IKEV2_UP = "Established"
IKEV1_UP = "13"
FLOW_ACTIVE = "active"
MONITOR_DOWN = "down"  # tunnel monitoring enabled and its destination unreachable
BGP_ESTABLISHED = "Established"
# What the CLI answers to a command this release or routing engine does not have.
REFUSALS = ("Invalid syntax", "Unknown command", "Server error")


def refused(output: str) -> bool:
    """Whether the firewall refused the command (wrong routing engine, older release)."""
    return any(marker in output for marker in REFUSALS)


def parse_command(command: str, output: str) -> list[Row]:
    """The raw TextFSM rows (lower-case keys) of one command's output."""
    return PARSERS.parse(command, output)


def parse_outputs(outputs: Mapping[str, str]) -> ParsedStatus:
    """The normalised view of whichever verify commands' outputs are present."""
    rows = {
        command: parse_command(command, output)
        for command, output in outputs.items()
        if command in TEMPLATES and not refused(output)
    }
    return ParsedStatus(
        ike_sas=_ike_sas(rows[IKE_SA]) if IKE_SA in rows else None,
        ipsec_sas=_ipsec_sas(rows[IPSEC_SA]) if IPSEC_SA in rows else None,
        bgp=tuple(_bgp_neighbor(row) for row in rows[BGP_PEER]) if BGP_PEER in rows else None,
        interfaces_up=_interfaces_up(rows[FLOW]) if FLOW in rows else None,
    )


def _ike_sas(rows: Iterable[Row]) -> tuple[IkeSa, ...]:
    """The table shows no local address; `local` stays empty."""
    sas = []
    for row in rows:
        state = row["state"]
        ikev2 = row["mode"] == ""  # IKEv2 rows have no exchange mode column
        up = state == IKEV2_UP if ikev2 else state in (IKEV1_UP, "")
        sas.append(IkeSa(peer=canonical_address(row["peer"]), local="", state=state, up=up))
    return tuple(sas)


def _ipsec_sas(rows: Iterable[Row]) -> tuple[IpsecSa, ...]:
    """A row exists only while the tunnel has an SA pair: up; no packet counters here."""
    return tuple(IpsecSa(peer=canonical_address(row["peer"]), state="UP", up=True) for row in rows)


def _bgp_neighbor(row: Row) -> BgpNeighbor:
    state = row["state"]
    established = state.lower() == BGP_ESTABLISHED.lower()
    received = row["prefixes_received"]
    return BgpNeighbor(
        neighbor=canonical_address(row["peer_address"].rsplit(":", 1)[0]),
        remote_as=row["remote_as"],
        state="Established" if established else state,
        established=established,
        prefixes_received=int(received) if established and received.isdigit() else None,
    )


def _interfaces_up(rows: Iterable[Row]) -> tuple[str, ...]:
    """Active tunnels with an interface whose tunnel monitor (if any) does not say down."""
    return tuple(
        row["interface"]
        for row in rows
        if row["state"] == FLOW_ACTIVE and row["interface"] and row["monitor"] != MONITOR_DOWN
    )
