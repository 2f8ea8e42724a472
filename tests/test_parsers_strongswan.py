"""strongSwan (swanctl) and FRR (vtysh) show-output parsers against real captures."""

from __future__ import annotations

from pathlib import Path

import pytest

from cgw.errors import ParseError
from cgw.model import BgpNeighbor, IkeSa, IpsecSa
from cgw.platforms.strongswan import status

DATA = Path(__file__).parent / "data" / "strongswan"


def _read(folder: str, name: str) -> str:
    return (DATA / folder / f"{name}.raw").read_text()


def _sas(name: str) -> str:
    return _read("swanctl___list_sas", name)


def test_rekeyed_child_is_not_counted_and_connecting_is_down() -> None:
    parsed = status.parse_outputs(
        {status.LIST_SAS: _sas("lab_charon_rekeyed_connecting_ipv6_ikev1")}
    )
    assert parsed.ike_sas == (
        IkeSa(peer="10.99.0.77", local="10.99.0.1", state="CONNECTING", up=False),
        IkeSa(peer="fd00:99::2", local="fd00:99::1", state="ESTABLISHED", up=True),
        IkeSa(peer="10.99.0.2", local="10.99.0.1", state="ESTABLISHED", up=True),
    )
    assert parsed.ipsec_sas == (
        IpsecSa(peer="10.99.0.77", state="NO_CHILD_SA", up=False),
        IpsecSa(peer="fd00:99::2", state="INSTALLED", up=True, packets_in=0, packets_out=0),
        IpsecSa(peer="10.99.0.2", state="INSTALLED", up=True, packets_in=0, packets_out=0),
    )
    assert parsed.bgp is None and parsed.interfaces_up is None


def test_packets_summed_over_installed_children() -> None:
    ipsec = status.parse_outputs({status.LIST_SAS: _sas("fabedge_three_children")}).ipsec_sas
    assert ipsec == (
        IpsecSa(peer="10.20.8.24", state="INSTALLED", up=True, packets_in=16060, packets_out=16124),
    )


def test_only_rekeyed_children_are_not_up() -> None:
    text = _sas("lab_charon_rekeyed_connecting_ipv6_ikev1")
    only_rekeyed = text.split("  net1: #3,")[0]
    ipsec = status.parse_outputs({status.LIST_SAS: only_rekeyed}).ipsec_sas
    assert ipsec is not None
    assert ipsec[-1] == IpsecSa(peer="10.99.0.2", state="REKEYED", up=False)


def test_ikev1_old_layout_keeps_names_as_addresses() -> None:
    ike = status.parse_outputs({status.LIST_SAS: _sas("usg_ikev1_old_spi_format")}).ike_sas
    assert ike == (IkeSa(peer="ER-X", local="USG", state="ESTABLISHED", up=True),)


def test_charon_not_running_is_a_parse_error() -> None:
    output = (
        "connecting to 'unix:///var/run/charon.vici' failed: No such file or directory\n"
        "Error: connecting to 'default' URI failed: No such file or directory\n"
    )
    with pytest.raises(ParseError, match=r"strongswan.*swanctl --list-sas"):
        status.parse_command(status.LIST_SAS, output)


def test_frr_established_policy_and_link_local() -> None:
    bgp = status.parse_outputs(
        {status.BGP_SUMMARY: _read("vtysh__c_show_bgp_summary", "frr_docs_policy_ipv6_link_local")}
    ).bgp
    assert bgp == (
        BgpNeighbor("192.168.0.2", "65002", "Established", True, 5),
        BgpNeighbor("fe80:1::2222", "65002", "(Policy)", True, 0),
    )


def test_frr_neighbour_listed_in_two_families_appears_once() -> None:
    bgp = status.parse_outputs(
        {status.BGP_SUMMARY: _read("vtysh__c_show_bgp_summary", "dpu_interface_peers_two_afis")}
    ).bgp
    assert bgp is not None and len(bgp) == 2
    assert bgp[0].prefixes_received == 1  # the IPv4 Unicast row, not the EVPN one (2)


def test_frr_noneg_is_not_established() -> None:
    bgp = status.parse_outputs(
        {status.BGP_SUMMARY: _read("vtysh__c_show_bgp_summary", "evpn_noneg")}
    ).bgp
    assert bgp is not None and {(n.state, n.established) for n in bgp} == {("NoNeg", False)}


def test_list_conns_connections_and_children() -> None:
    conns = status.parse_list_conns(_read("swanctl___list_conns", "cloud_two_conns_ikev1_2_dpd"))
    assert [c["name"] for c in conns] == ["cloud-to-remote-site", "cloud-ipsec"]
    first, second = conns
    assert first["version"] == "IKEv1/2" and first["dpd_delay_s"] == 30
    assert first["remote_ids"] == ["<x2.x2.x2.x2>"]
    assert first["children"] == [
        {
            "name": "cloud-to-remote-site",
            "mode": "TUNNEL",
            "rekey": "rekeying every 28260s",
            "dpd_action": "restart",
            "local_ts": ["172.16.1.0/24"],
            "remote_ts": ["10.10.0.0/16"],
            "interface": None,
            "priority": None,
        }
    ]
    assert second["local_addrs"] == ["172.16.0.10"] and second["local_ids"] == []
    assert second["children"][0]["local_ts"] == ["172.16.1.0/24", "172.16.2.0/24"]


def test_list_conns_lab_capture() -> None:
    conns = status.parse_list_conns(
        _read("swanctl___list_conns", "lab_charon_ikev1_ipv6_three_conns")
    )
    by_name = {c["name"]: c for c in conns}
    assert by_name["v1rekey"]["version"] == "IKEv1" and by_name["v1rekey"]["rekey"] == ""
    assert by_name["v6"]["remote_addrs"] == ["fd00:99::2"]
    assert [ch["name"] for ch in by_name["dead"]["children"]] == ["deadnet"]
    assert by_name["v6"]["local_auth"] == ["pre-shared key"]
