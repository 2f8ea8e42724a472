"""Cisco IOS / IOS-XE verify parsers against real captured show output (tests/data/cisco_ios)."""

from __future__ import annotations

from pathlib import Path

import pytest

from cgw.errors import ParseError
from cgw.model import BgpNeighbor, IkeSa, IpsecSa, ParsedStatus
from cgw.platforms.cisco_ios import status

DATA = Path(__file__).parent / "data" / "cisco_ios"


def capture(command: str, name: str) -> str:
    folder = command.replace(" ", "_").replace("-", "_")
    return (DATA / folder / f"{name}.raw").read_text(encoding="utf-8")


def test_only_the_given_commands_are_known() -> None:
    parsed = status.parse_outputs({status.IKEV2_SA: capture(status.IKEV2_SA, "gre_r15_in_neg")})
    assert parsed.ipsec_sas is None
    assert parsed.bgp is None
    assert parsed.interfaces_up is None
    assert parsed.ike_sas == (
        IkeSa(peer="20.42.0.17", local="100.1.0.10", state="IN-NEG", up=False),
    )


def test_no_outputs_means_everything_unknown() -> None:
    assert status.parse_outputs({}) == ParsedStatus()


def test_ikev2_ready_is_up_and_delete_is_not() -> None:
    parsed = status.parse_outputs(
        {status.IKEV2_SA: capture(status.IKEV2_SA, "dmvpn_r61_ready_and_delete")}
    )
    assert parsed.ike_sas is not None
    assert [(sa.peer, sa.state, sa.up) for sa in parsed.ike_sas] == [
        ("10.10.13.254", "READY", True),
        ("10.10.14.254", "READY", True),
        ("172.16.8.71", "READY", True),
        ("10.10.13.254", "DELETE", False),
    ]


def test_ikev2_ipv6_addresses_are_canonical() -> None:
    parsed = status.parse_outputs(
        {status.IKEV2_SA: capture(status.IKEV2_SA, "genie_iosxe_ipv6_peers")}
    )
    assert parsed.ike_sas is not None
    assert parsed.ike_sas[0] == IkeSa(
        peer="2001:db8:1201::122", local="2001:db8:1101::131", state="READY", up=True
    )


def test_isakmp_peer_is_the_side_that_is_not_this_device() -> None:
    isakmp = capture(status.ISAKMP_SA, "route_vpn_r1_old_layout_slot")
    alone = status.parse_outputs({status.ISAKMP_SA: isakmp})
    with_interfaces = status.parse_outputs(
        {
            status.ISAKMP_SA: isakmp,
            status.INTERFACE_BRIEF: capture(status.INTERFACE_BRIEF, "route_vpn_r1_two_vtis"),
        }
    )
    # R1 (1.1.1.1) responded, so it is the dst; only its interface list reveals that.
    assert alone.ike_sas == (IkeSa(peer="1.1.1.1", local="2.2.2.1", state="QM_IDLE", up=True),)
    assert with_interfaces.ike_sas == (
        IkeSa(peer="2.2.2.1", local="1.1.1.1", state="QM_IDLE", up=True),
    )


def test_isakmp_deleted_and_main_mode_sas_are_down() -> None:
    parsed = status.parse_outputs(
        {status.ISAKMP_SA: capture(status.ISAKMP_SA, "genie_iosxe_qm_idle_and_deleted")}
    )
    assert parsed.ike_sas is not None
    assert [(sa.peer, sa.state, sa.up) for sa in parsed.ike_sas] == [
        ("100.0.10.2", "QM_IDLE", True),
        ("100.0.10.2", "MM_NO_STATE", False),
        ("100.0.10.2", "QM_IDLE", True),
    ]


def test_ike_sas_combine_ikev2_and_isakmp() -> None:
    parsed = status.parse_outputs(
        {
            status.IKEV2_SA: capture(status.IKEV2_SA, "vti_r1_gcm_ce_id"),
            status.ISAKMP_SA: capture(status.ISAKMP_SA, "vientiane_ipv6_only"),
        }
    )
    assert parsed.ike_sas is not None
    assert [sa.peer for sa in parsed.ike_sas] == ["203.0.113.2", "12:1:1::100"]


def test_ipsec_sas_aggregate_ident_blocks_per_peer() -> None:
    parsed = status.parse_outputs(
        {status.IPSEC_SA: capture(status.IPSEC_SA, "genie_iosxe_crypto_map_and_vti")}
    )
    assert parsed.ipsec_sas == (
        IpsecSa(peer="1.1.1.1", state="ACTIVE(ACTIVE)", up=True, packets_in=4, packets_out=4),
        IpsecSa(peer="2.2.2.1", state="ACTIVE(ACTIVE)", up=True, packets_in=0, packets_out=0),
    )


def test_ipsec_counters_are_integers_per_peer() -> None:
    parsed = status.parse_outputs(
        {status.IPSEC_SA: capture(status.IPSEC_SA, "ntc_detail_natt_two_tunnels")}
    )
    assert parsed.ipsec_sas is not None
    assert [(sa.peer, sa.packets_in, sa.packets_out) for sa in parsed.ipsec_sas] == [
        ("2.2.2.2", 4112421, 4981028),
        ("3.3.3.3", 12013064, 13133657),
    ]


def test_ipsec_without_sa_lists_is_not_up() -> None:
    parsed = status.parse_outputs(
        {status.IPSEC_SA: capture(status.IPSEC_SA, "route_vpn_r1_trimmed")}
    )
    assert parsed.ipsec_sas == (
        IpsecSa(peer="2.2.2.1", state=status.NO_IPSEC_SA, up=False, packets_in=17, packets_out=12),
    )


def test_bgp_numeric_state_is_established_and_idle_admin_is_not() -> None:
    parsed = status.parse_outputs(
        {status.BGP_SUMMARY: capture(status.BGP_SUMMARY, "ntc_idle_admin_8digit_counters")}
    )
    assert parsed.bgp is not None
    assert parsed.bgp[4] == BgpNeighbor(
        neighbor="10.0.0.5",
        remote_as="65004",
        state="Established",
        established=True,
        prefixes_received=558720,
    )
    assert parsed.bgp[-1] == BgpNeighbor(
        neighbor="10.0.0.10", remote_as="65009", state="Idle (Admin)", established=False
    )


def test_bgp_asdot_and_wrapped_ipv6_neighbours() -> None:
    asdot = status.parse_outputs(
        {status.BGP_SUMMARY: capture(status.BGP_SUMMARY, "ntc_asdot_neighbors")}
    )
    wrapped = status.parse_outputs(
        {status.BGP_SUMMARY: capture(status.BGP_SUMMARY, "genie_iosxe_ipv6_wrapped_neighbor")}
    )
    assert asdot.bgp is not None
    assert asdot.bgp[-1].remote_as == "662.47492"
    assert asdot.bgp[-1].prefixes_received == 435
    assert wrapped.bgp == (
        BgpNeighbor(
            neighbor="1000:192:168:0:1::1", remote_as="100", state="Idle", established=False
        ),
    )


def test_interfaces_up_need_line_protocol_up() -> None:
    parsed = status.parse_outputs(
        {status.INTERFACE_BRIEF: capture(status.INTERFACE_BRIEF, "cml_aws_vpn_tunnel_line_down")}
    )
    assert parsed.interfaces_up == ("Ethernet0/0", "Ethernet0/1")


def test_unknown_command_is_a_parse_error() -> None:
    with pytest.raises(ParseError, match="show crypto session"):
        status.parse_command("show crypto session", "")


def test_broken_output_is_a_parse_error_naming_platform_and_command() -> None:
    broken = "Neighbor        V           AS MsgRcvd\n2001:DB8::1\nsomething else\n"
    with pytest.raises(ParseError, match="cisco_xe: cannot parse 'show ip bgp summary'"):
        status.parse_outputs({status.BGP_SUMMARY: broken}, platform="cisco_xe")


def test_error_output_gives_no_rows() -> None:
    rows = status.parse_command(status.IKEV2_SA, "% Invalid input detected at '^' marker.\n")
    assert rows == []
