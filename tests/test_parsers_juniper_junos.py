"""Junos SRX show-output parsers against real captures (tests/data/juniper_junos)."""

from __future__ import annotations

from pathlib import Path

import pytest
import yaml

from cgw.errors import ParseError
from cgw.lab.routers import show_output as show
from cgw.lab.routers.junos_profiles import PROFILES
from cgw.model import BgpNeighbor, IkeSa, IpsecSa
from cgw.platforms.juniper_junos import PLATFORM as JUNOS
from cgw.platforms.juniper_junos import status

DATA = Path(__file__).parent / "data" / "juniper_junos"


def _read(folder: str, name: str) -> str:
    return (DATA / folder / f"{name}.raw").read_text()


def test_ike_sas_up_with_remote_address() -> None:
    parsed = status.parse_outputs(
        {status.IKE_SA: _read("show_security_ike_security_associations", "multihub_hub_two_peers")}
    )
    assert parsed.ike_sas == (
        IkeSa(peer="10.10.10.102", local="", state="UP", up=True),
        IkeSa(peer="10.10.10.101", local="", state="UP", up=True),
    )
    assert parsed.ipsec_sas is None and parsed.bgp is None and parsed.interfaces_up is None


def test_ike_down_row_and_cluster_nodes_are_kept() -> None:
    output = (
        "node0:\n"
        "--------------------------------------------------------------------------\n"
        "Index   State  Initiator cookie  Responder cookie  Mode           Remote Address\n"
        "3417    DOWN   a9a4e2d95c8f4bd1  0000000000000000  Main           2001:db8::1\n"
        "\n"
        "node1:\n"
        "--------------------------------------------------------------------------\n"
        "Index   State  Initiator cookie  Responder cookie  Mode           Remote Address\n"
        "3418    UP     17c1a3d4c5b6e7f8  8f7e6d5c4b3a2910  Aggressive     192.0.2.9\n"
    )
    rows = status.parse_command(status.IKE_SA, output)
    assert [(r["node"], r["state"], r["mode"]) for r in rows] == [
        ("node0", "DOWN", "Main"),
        ("node1", "UP", "Aggressive"),
    ]
    ike = status.parse_outputs({status.IKE_SA: output}).ike_sas
    assert ike is not None
    assert [(sa.peer, sa.up) for sa in ike] == [("2001:db8::1", False), ("192.0.2.9", True)]


def test_ipsec_pairs_aggregate_per_gateway_without_counters() -> None:
    ipsec = status.parse_outputs(
        {
            status.IPSEC_SA: _read(
                "show_security_ipsec_security_associations", "sse_two_peers_monitor_up"
            )
        }
    ).ipsec_sas
    assert ipsec == (
        IpsecSa(peer="34.116.241.129", state="UP", up=True),
        IpsecSa(peer="192.67.146.126", state="UP", up=True),
    )


def test_ipsec_one_direction_or_monitor_down_is_not_up() -> None:
    output = (
        "  Total active tunnels: 2\n"
        "  ID    Algorithm       SPI      Life:sec/kb  Mon lsys Port  Gateway\n"
        "  <131073 ESP:aes-cbc-256/sha256 9beb1bf0 729/ unlim - root 500 192.0.2.1\n"
        "  <131074 ESP:aes-cbc-256/sha256 9beb1bf1 729/ unlim D root 500 192.0.2.2\n"
        "  >131074 ESP:aes-cbc-256/sha256 9beb1bf2 729/ unlim D root 500 192.0.2.2\n"
    )
    ipsec = status.parse_outputs({status.IPSEC_SA: output}).ipsec_sas
    assert ipsec == (
        IpsecSa(peer="192.0.2.1", state="INBOUND_ONLY", up=False),
        IpsecSa(peer="192.0.2.2", state="MONITOR_DOWN", up=False),
    )


def test_bgp_states_and_prefix_counts() -> None:
    bgp = status.parse_outputs(
        {status.BGP_SUMMARY: _read("show_bgp_summary", "logical_system_active_peer")}
    ).bgp
    assert bgp == (
        BgpNeighbor("172.22.121.1", "65001", "Active", False, None),
        BgpNeighbor("172.22.122.1", "65002", "Established", True, 1),
        BgpNeighbor("172.31.101.1", "65412", "Established", True, 1),
    )


def test_bgp_counts_in_state_column_mean_established() -> None:
    bgp = status.parse_outputs(
        {status.BGP_SUMMARY: _read("show_bgp_summary", "multihub_hub_counts_in_state")}
    ).bgp
    assert bgp is not None
    assert bgp[0] == BgpNeighbor("10.11.11.1", "65000", "Established", True, 5)


def test_bgp_received_prefixes_are_summed_over_ribs() -> None:
    bgp = status.parse_outputs(
        {status.BGP_SUMMARY: _read("show_bgp_summary", "multi_rib_l2vpn")}
    ).bgp
    assert bgp is not None and bgp[0].prefixes_received == 3


def test_bgp_idle_and_ipv6_peers() -> None:
    idle = status.parse_outputs(
        {status.BGP_SUMMARY: _read("show_bgp_summary", "idle_peer_large_outq")}
    ).bgp
    assert idle is not None and idle[1] == BgpNeighbor("15.2.1.2", "65002", "Idle", False, None)
    v6 = status.parse_outputs(
        {status.BGP_SUMMARY: _read("show_bgp_summary", "ipv6_peers_dedented_ribs")}
    ).bgp
    assert v6 is not None and v6[2] == BgpNeighbor("3000:1:1::3", "64501", "Established", True, 2)


def test_st0_interfaces_up() -> None:
    up = status.parse_outputs(
        {status.ST0_TERSE: _read("show_interfaces_st0_terse", "mx_inline_st0_unit1")}
    ).interfaces_up
    assert up == ("st0", "st0.1")
    trimmed = status.parse_outputs(
        {status.ST0_TERSE: _read("show_interfaces_st0_terse", "srx_terse_trimmed_st0_vlan_down")}
    ).interfaces_up
    assert trimmed is not None and "vlan" not in trimmed and "st0" in trimmed


def test_garbage_is_a_parse_error_naming_platform_and_command() -> None:
    with pytest.raises(ParseError, match=r"juniper_junos.*show security ike"):
        status.parse_command(status.IKE_SA, "error: the ike subsystem is not running\n")


def test_unknown_command_is_a_parse_error() -> None:
    with pytest.raises(ParseError, match="no parser"):
        status.parse_command("show version", "")


# ------------------------------------------------------------------ every simulated release
@pytest.mark.parametrize("name", sorted(PROFILES))
def test_each_profiles_sa_layout_parses_to_both_tunnels_up(name: str) -> None:
    """The simulated SRX prints the column layout of its release; cgw reads every one of them."""
    profile = PROFILES[name]
    views = [
        show.SaView(f"st0.{n}", "203.0.113.10", f"198.51.100.{n}", 2, True, True, index=n)
        for n in (1, 2)
    ]
    parsed = status.parse_outputs(
        {
            status.IKE_SA: show.junos_ike_sa(views, profile.ike_sa_layout),
            status.IPSEC_SA: show.junos_ipsec_sa(views, profile.ipsec_sa_layout),
        }
    )
    peers = ("198.51.100.1", "198.51.100.2")
    assert parsed.ike_sas is not None and parsed.ipsec_sas is not None
    assert [(sa.peer, sa.up) for sa in parsed.ike_sas] == [(p, True) for p in peers]
    assert [(sa.peer, sa.up) for sa in parsed.ipsec_sas] == [(p, True) for p in peers]


def test_older_layouts_from_a_real_capture() -> None:
    parsed = status.parse_outputs(
        {
            status.IKE_SA: _read(
                "show_security_ike_security_associations", "aws_doc_remote_address_first"
            ),
            status.IPSEC_SA: _read(
                "show_security_ipsec_security_associations", "aws_doc_gateway_first_vsys"
            ),
        }
    )
    assert parsed.ike_sas == (
        IkeSa(peer="72.21.209.225", local="", state="UP", up=True),
        IkeSa(peer="72.21.209.193", local="", state="UP", up=True),
    )
    assert parsed.ipsec_sas == (
        IpsecSa(peer="72.21.209.225", state="UP", up=True),
        IpsecSa(peer="72.21.209.193", state="UP", up=True),
    )


# ------------------------------------------------------------------ show version → release
# Not under DATA/<command>/ (the verify-capture test globs those): a release fact, not a verify row.
VERSIONS = DATA / "release" / "show_version"


@pytest.mark.parametrize("raw", sorted(VERSIONS.glob("*.raw")), ids=lambda p: p.stem)
def test_release_read_from_show_version(raw: Path) -> None:
    expected = yaml.safe_load(raw.with_suffix(".yml").read_text())["release"]
    assert JUNOS.parse_release(raw.read_text()) == expected
    assert JUNOS.version_command == "show version"


@pytest.mark.parametrize("name", sorted(PROFILES))
def test_release_read_from_each_simulated_profile(name: str) -> None:
    profile = PROFILES[name]
    junos = f"Junos: {profile.release}\n" if profile.junos_line else ""
    text = (
        f"Hostname: b\nModel: {profile.model}\n{junos}JUNOS Software Release [{profile.release}]\n"
    )
    assert JUNOS.parse_release(text) == profile.release
