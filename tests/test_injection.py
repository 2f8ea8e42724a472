"""No value that could start a new config line reaches a template: the models refuse it.

Each field that a Cisco or Junos template renders gets its own test; constructing the model with
a newline, `!`, `#`, `;`, `{`, a quote or an overlong value raises ValidationError naming it.
"""

from __future__ import annotations

from dataclasses import replace
from ipaddress import IPv4Network, ip_address

import pytest
from render_cases import branch_01, branch_04, golden_cases

from cgw.errors import ValidationError
from cgw.model import BgpPeering, CustomerGateway, Gateway, LocalSettings, VpnSelector
from cgw.platforms.juniper_junos.options import JunosOptions
from cgw.secrets import PreSharedKey

INJECTIONS = (
    "x\nset system root-authentication plain-text-password",
    "x\n!",
    "x!",
    "x #",
    "x;",
    "x{",
    'x"',
    "x'",
    "x y",
    "a" * 200,
)
NUMERIC_INJECTIONS = ("65000\n!", "65000;", "65000 ", 0, -1, 2**32, True, 1.5, "1e5")
ADDRESS_INJECTIONS = (
    "203.0.113.9\n!",
    "203.0.113.9;",
    "203.0.113.9 key x",
    '"203.0.113.9"',
    "1" * 200,
)
PREFIX_INJECTIONS = ("10.0.0.0/8\n!", "10.0.0.0/8;", "10.0.0.0/8 exact", "10.0.0.1/8", "x{")


def local(**changes: object) -> LocalSettings:
    return LocalSettings(**{"wan_interface": "GigabitEthernet1", **changes})  # type: ignore[arg-type]


# --- LocalSettings and Device (the inventory's choices) -----------------------------------
@pytest.mark.parametrize("value", (*INJECTIONS, "Gi1\n", "", "1Gi"))
def test_wan_interface(value: str) -> None:
    with pytest.raises(ValidationError, match="wan_interface"):
        local(wan_interface=value)


@pytest.mark.parametrize("value", (*INJECTIONS, ""))
def test_trust_zone(value: str) -> None:
    with pytest.raises(ValidationError, match="trust_zone"):
        JunosOptions(trust_zone=value)


@pytest.mark.parametrize("value", (*INJECTIONS, ""))
def test_untrust_zone(value: str) -> None:
    with pytest.raises(ValidationError, match="untrust_zone"):
        JunosOptions(untrust_zone=value)


@pytest.mark.parametrize("value", (*INJECTIONS, ""))
def test_device_name(value: str) -> None:
    device, _ = golden_cases("cisco_ios")["branch-01"]
    with pytest.raises(ValidationError, match="device name"):
        replace(device, name=value)


@pytest.mark.parametrize("value", NUMERIC_INJECTIONS)
def test_local_asn(value: object) -> None:
    with pytest.raises(ValidationError, match="local_asn"):
        local(local_asn=value)


@pytest.mark.parametrize("value", ("1\n!", "1", -1, 65536, True, 1.0))
def test_tunnel_interface_numbers(value: object) -> None:
    with pytest.raises(ValidationError, match="tunnel number"):
        local(tunnel_numbers=(5, value))


def test_tunnel_interface_numbers_must_differ() -> None:
    with pytest.raises(ValidationError, match="tunnel_numbers"):
        local(tunnel_numbers=(5, 5))


# Values that would inject a line never get into LocalSettings.
@pytest.mark.parametrize("value", ADDRESS_INJECTIONS)
def test_local_outside_ip(value: str) -> None:
    with pytest.raises(ValidationError, match="local_outside_ip"):
        local(local_outside_ip=value)


@pytest.mark.parametrize("value", PREFIX_INJECTIONS)
def test_advertised_prefixes(value: str) -> None:
    with pytest.raises(ValidationError, match="advertised_prefixes"):
        local(advertised_prefixes=(value,))


@pytest.mark.parametrize("value", PREFIX_INJECTIONS)
def test_local_static_routes(value: str) -> None:
    with pytest.raises(ValidationError, match="static_routes"):
        local(static_routes=(value,))


# --- Tunnel, its key and its BGP peering (AWS's facts) ------------------------------------
@pytest.mark.parametrize(
    "value",
    (*INJECTIONS, "abcdefg", "0startsWithZero", "has-dash-key", "a" * 65, "key\nwith newline"),
)
def test_pre_shared_key(value: str) -> None:
    with pytest.raises(ValidationError, match="pre-shared key") as caught:
        PreSharedKey(value)
    assert value not in str(caught.value) or len(value) < 4


def test_tunnel_psk_must_be_a_checked_key() -> None:
    with pytest.raises(ValidationError, match="PreSharedKey"):
        replace(branch_01().tunnels[0], psk="plainString1\n!")


@pytest.mark.parametrize("field", ["aws_asn", "cgw_asn"])
@pytest.mark.parametrize("value", NUMERIC_INJECTIONS)
def test_bgp_asns(field: str, value: object) -> None:
    with pytest.raises(ValidationError, match="ASN"):
        BgpPeering(**{"aws_asn": 64512, "cgw_asn": 65000, field: value})  # type: ignore[arg-type]


@pytest.mark.parametrize("value", ("30\n!", "30", 2, 70000, True))
def test_bgp_hold_time(value: object) -> None:
    with pytest.raises(ValidationError, match="hold time"):
        BgpPeering(aws_asn=64512, cgw_asn=65000, hold_time_s=value)  # type: ignore[arg-type]


@pytest.mark.parametrize("value", ("1\n!", "1", 0, 3, True))
def test_tunnel_number(value: object) -> None:
    with pytest.raises(ValidationError, match="tunnel number"):
        replace(branch_01().tunnels[0], number=value)


@pytest.mark.parametrize("field", ["aws_outside_ip", "cgw_outside_ip"])
@pytest.mark.parametrize("value", ADDRESS_INJECTIONS)
def test_tunnel_outside_addresses(field: str, value: str) -> None:
    with pytest.raises(ValidationError, match="outside IP"):
        replace(branch_01().tunnels[0], **{field: value})  # type: ignore[arg-type]


@pytest.mark.parametrize("field", ["aws_inside_ip", "cgw_inside_ip"])
@pytest.mark.parametrize(
    "value", (*ADDRESS_INJECTIONS, "169.254.101.1\n!", ip_address("169.254.101.9"))
)
def test_tunnel_inside_addresses(field: str, value: object) -> None:
    with pytest.raises(
        ValidationError, match=r"inside IP must be an IP address|inside addresses must be the two"
    ):
        replace(branch_01().tunnels[0], **{field: value})  # type: ignore[arg-type]


@pytest.mark.parametrize(
    "value",
    (
        "169.254.101.0/30\n!",
        "169.254.101.0/30",
        IPv4Network("169.254.101.0/29"),
        IPv4Network("10.0.0.0/30"),
        IPv4Network("169.254.169.252/30"),
    ),
)
def test_tunnel_inside_cidr(value: object) -> None:
    with pytest.raises(ValidationError, match="inside CIDR"):
        replace(branch_01().tunnels[0], inside_cidr=value)


@pytest.mark.parametrize("value", ("x\n!", "restart;", "RESTART"))
def test_dpd_and_startup_actions(value: str) -> None:
    tunnel = branch_01().tunnels[0]
    with pytest.raises(ValidationError, match="action"):
        replace(tunnel, startup_action=value)
    with pytest.raises(ValidationError, match="DPD action"):
        replace(tunnel.dpd, action=value)


@pytest.mark.parametrize("value", ("AES256\n!", "aes256", "AES256;", "3DES"))
def test_proposal_algorithms(value: str) -> None:
    phase1 = branch_01().tunnels[1].phase1
    with pytest.raises(ValidationError, match="encryption"):
        replace(phase1, encryption=(value,))
    with pytest.raises(ValidationError, match="integrity"):
        replace(phase1, integrity=(value,))
    with pytest.raises(ValidationError, match="DH groups"):
        replace(phase1, dh_groups=(value,))  # type: ignore[arg-type]


# --- The VPN connection and its AWS ids ----------------------------------------------------
@pytest.mark.parametrize(
    "value", (*INJECTIONS, "vpn-0a1b2c3d\n!", "vpn-0A1B2C3D", "vpn-0a1b2c3d;", "vpn-" + "a" * 40)
)
def test_vpn_id(value: str) -> None:
    with pytest.raises(ValidationError, match="VPN connection id"):
        replace(branch_01(), id=value)


@pytest.mark.parametrize("value", ("vgw-0a1b2c3d\n!", "vgw-x{", "vgw-" + "a" * 40))
def test_gateway_id(value: str) -> None:
    with pytest.raises(ValidationError, match="gateway id"):
        Gateway(kind="vgw", id=value)


@pytest.mark.parametrize("value", ("cgw-0a1b2c3d\n!", "cgw-0a1b2c3d#"))
def test_customer_gateway_id(value: str) -> None:
    with pytest.raises(ValidationError, match="customer gateway id"):
        CustomerGateway(id=value, ip=ip_address("203.0.113.11"), asn=65011)


@pytest.mark.parametrize("value", NUMERIC_INJECTIONS)
def test_customer_gateway_asn(value: object) -> None:
    with pytest.raises(ValidationError, match="customer gateway ASN"):
        CustomerGateway(id="cgw-0a1b2c3d", ip=ip_address("203.0.113.11"), asn=value)  # type: ignore[arg-type]


@pytest.mark.parametrize("value", NUMERIC_INJECTIONS)
def test_amazon_side_asn(value: object) -> None:
    with pytest.raises(ValidationError, match="amazon-side ASN"):
        replace(branch_01(), amazon_side_asn=value)


@pytest.mark.parametrize("value", PREFIX_INJECTIONS)
def test_vpn_static_routes(value: str) -> None:
    with pytest.raises(ValidationError, match="static route"):
        replace(branch_04(), static_routes=(value,))


@pytest.mark.parametrize("value", ("vpn-0a1b2c3d\n!", "vpn-x;"))
def test_vpn_selector_id(value: str) -> None:
    with pytest.raises(ValidationError, match="vpn_id"):
        VpnSelector(vpn_id=value)
