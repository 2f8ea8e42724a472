"""The lab AWS: moto server extended to answer like real AWS for Site-to-Site VPN."""

from __future__ import annotations

import re
import xml.etree.ElementTree as ET
from ipaddress import IPv4Address, IPv4Network
from typing import Any

import boto3
import pytest
from botocore.config import Config
from botocore.exceptions import ClientError

from cgw.lab.aws_server import LabAws, post_lab_hook, run_lab_aws
from cgw.lab.aws_tunnels import generate_psk, random_inside_cidr
from cgw.lab.seed import SEED, lab_ec2_client, seed_lab
from cgw.model import RESERVED_INSIDE_CIDRS

PSK = re.compile(r"[A-Za-z0-9_.]{32}")
OUTSIDE_POOL = IPv4Network("198.51.100.0/24")


def raw_vpn(lab: LabAws, name: str) -> dict[str, Any]:
    ec2 = lab_ec2_client(lab.endpoint)
    found: dict[str, Any] = ec2.describe_vpn_connections(VpnConnectionIds=[lab.vpn_ids[name]])[
        "VpnConnections"
    ][0]
    return found


def xml_tunnels(raw: dict[str, Any]) -> list[ET.Element]:
    root = ET.fromstring(raw["CustomerGatewayConfiguration"])
    return root.findall("ipsec_tunnel")


def test_seed_matches_the_table(lab_aws: LabAws) -> None:
    ec2 = lab_ec2_client(lab_aws.endpoint)
    assert sorted(lab_aws.vpn_ids) == ["branch-01", "branch-02", "branch-03", "branch-04"]
    for row in SEED:
        raw = raw_vpn(lab_aws, row.name)
        [cgw] = ec2.describe_customer_gateways(CustomerGatewayIds=[raw["CustomerGatewayId"]])[
            "CustomerGateways"
        ]
        assert (cgw["IpAddress"], int(cgw["BgpAsn"])) == (row.cgw_ip, row.cgw_asn)
        assert {"Key": "Name", "Value": row.name} in raw["Tags"]
        assert raw["Options"]["StaticRoutesOnly"] is row.static
        assert ("TransitGatewayId" in raw) is (row.gateway == "tgw")
    branch_02 = raw_vpn(lab_aws, "branch-02")["Options"]["TunnelOptions"]
    assert all("Phase1EncryptionAlgorithms" not in o for o in branch_02)
    branch_04 = raw_vpn(lab_aws, "branch-04")
    assert [r["DestinationCidrBlock"] for r in branch_04["Routes"]] == ["10.40.0.0/16"]
    [vgw] = ec2.describe_vpn_gateways(VpnGatewayIds=[branch_04["VpnGatewayId"]])["VpnGateways"]
    assert vgw["AmazonSideAsn"] == 64512
    assert vgw["VpcAttachments"][0]["State"] == "attached"
    tgw_id = raw_vpn(lab_aws, "branch-03")["TransitGatewayId"]
    [tgw] = ec2.describe_transit_gateways(TransitGatewayIds=[tgw_id])["TransitGateways"]
    assert tgw["Options"]["AmazonSideAsn"] == 64513
    attachments = ec2.describe_transit_gateway_attachments()["TransitGatewayAttachments"]
    assert {a["ResourceType"] for a in attachments if a["TransitGatewayId"] == tgw_id} >= {"vpn"}


def test_seeding_twice_does_not_duplicate(lab_aws: LabAws) -> None:
    ec2 = lab_ec2_client(lab_aws.endpoint)
    before = len(ec2.describe_vpn_connections()["VpnConnections"])

    again = seed_lab(lab_aws.endpoint)

    assert again == lab_aws.vpn_ids
    assert len(ec2.describe_vpn_connections()["VpnConnections"]) == before
    seeded_cgws = ec2.describe_customer_gateways(
        Filters=[{"Name": "ip-address", "Values": ["203.0.113.11"]}]
    )["CustomerGateways"]
    assert len(seeded_cgws) == 1
    assert len(ec2.describe_vpn_gateways()["VpnGateways"]) == 1


def test_tunnels_are_distinct_and_shaped_like_aws(lab_aws: LabAws) -> None:
    outside_ips: list[str] = []
    for name in lab_aws.vpn_ids:
        options = raw_vpn(lab_aws, name)["Options"]["TunnelOptions"]
        assert len(options) == 2
        one, two = options
        assert one["PreSharedKey"] != two["PreSharedKey"]
        assert one["TunnelInsideCidr"] != two["TunnelInsideCidr"]
        for option in options:
            assert PSK.fullmatch(option["PreSharedKey"]) and option["PreSharedKey"][0] != "0"
            cidr = IPv4Network(option["TunnelInsideCidr"])
            assert cidr.prefixlen == 30 and cidr.subnet_of(IPv4Network("169.254.0.0/16"))
            assert cidr not in RESERVED_INSIDE_CIDRS
            assert IPv4Address(option["OutsideIpAddress"]) in OUTSIDE_POOL
            outside_ips.append(option["OutsideIpAddress"])
    assert len(set(outside_ips)) == len(outside_ips) == 8


def test_xml_agrees_with_tunnel_options(lab_aws: LabAws) -> None:
    raw = raw_vpn(lab_aws, "branch-01")
    options = raw["Options"]["TunnelOptions"]
    tunnels = xml_tunnels(raw)
    assert len(tunnels) == 2
    for option, tunnel in zip(options, tunnels, strict=True):
        hosts = list(IPv4Network(option["TunnelInsideCidr"]).hosts())
        assert (
            tunnel.findtext("vpn_gateway/tunnel_outside_address/ip_address")
            == (option["OutsideIpAddress"])
        )
        assert tunnel.findtext("vpn_gateway/tunnel_inside_address/ip_address") == str(hosts[0])
        assert tunnel.findtext("customer_gateway/tunnel_inside_address/ip_address") == str(hosts[1])
        assert tunnel.findtext("customer_gateway/tunnel_outside_address/ip_address") == (
            "203.0.113.11"
        )
        assert tunnel.findtext("ike/pre_shared_key") == option["PreSharedKey"]
        assert tunnel.findtext("customer_gateway/bgp/asn") == "65011"
        assert tunnel.findtext("vpn_gateway/bgp/asn") == "64512"
    assert tunnels[0].findtext("ike/encryption_protocol") == "aes-256-gcm-16"
    assert tunnels[1].findtext("ipsec/perfect_forward_secrecy") == "group14"
    static = xml_tunnels(raw_vpn(lab_aws, "branch-04"))
    assert static[0].find("vpn_gateway/bgp") is None


def test_telemetry_per_tunnel(lab_aws: LabAws) -> None:
    raw = raw_vpn(lab_aws, "branch-03")
    telemetry = raw["VgwTelemetry"]
    assert [t["OutsideIpAddress"] for t in telemetry] == [
        o["OutsideIpAddress"] for o in raw["Options"]["TunnelOptions"]
    ]
    assert {t["Status"] for t in telemetry} <= {"UP", "DOWN"}
    assert all("LastStatusChange" in t and "AcceptedRouteCount" in t for t in telemetry)


def test_modify_vpn_tunnel_options_changes_one_tunnel(lab_aws: LabAws) -> None:
    ec2 = lab_ec2_client(lab_aws.endpoint)
    cgw = ec2.create_customer_gateway(Type="ipsec.1", PublicIp="203.0.113.61", BgpAsn=65061)
    vgw_id = raw_vpn(lab_aws, "branch-02")["VpnGatewayId"]
    vpn = ec2.create_vpn_connection(
        Type="ipsec.1",
        CustomerGatewayId=cgw["CustomerGateway"]["CustomerGatewayId"],
        VpnGatewayId=vgw_id,
    )["VpnConnection"]
    first, second = vpn["Options"]["TunnelOptions"]

    changed = ec2.modify_vpn_tunnel_options(
        VpnConnectionId=vpn["VpnConnectionId"],
        VpnTunnelOutsideIpAddress=second["OutsideIpAddress"],
        TunnelOptions={
            "PreSharedKey": "changed.key.for_tunnel_2",
            "TunnelInsideCidr": "169.254.161.0/30",
            "Phase1EncryptionAlgorithms": [{"Value": "AES256"}],
            "IKEVersions": [{"Value": "ikev2"}],
            "DPDTimeoutSeconds": 45,
        },
    )["VpnConnection"]

    one, two = changed["Options"]["TunnelOptions"]
    assert one == first
    assert two["PreSharedKey"] == "changed.key.for_tunnel_2"
    assert two["TunnelInsideCidr"] == "169.254.161.0/30"
    assert two["Phase1EncryptionAlgorithms"] == [{"Value": "AES256"}]
    assert two["IkeVersions"] == [{"Value": "ikev2"}]
    assert two["DpdTimeoutSeconds"] == 45
    xml = xml_tunnels(changed)[1]
    assert xml.findtext("ike/pre_shared_key") == "changed.key.for_tunnel_2"
    assert xml.findtext("vpn_gateway/tunnel_inside_address/ip_address") == "169.254.161.1"


@pytest.mark.parametrize(
    "bad",
    [
        {"PreSharedKey": "0starts.with.zero"},
        {"PreSharedKey": "has-a-dash-in-it"},
        {"TunnelInsideCidr": "169.254.169.252/30"},
        {"TunnelInsideCidr": "10.0.0.0/30"},
        {"Phase1EncryptionAlgorithms": [{"Value": "DES"}]},
        {"Phase2LifetimeSeconds": 7200},
    ],
)
def test_invalid_tunnel_options_are_refused_like_aws(lab_aws: LabAws, bad: dict[str, Any]) -> None:
    ec2 = lab_ec2_client(lab_aws.endpoint)
    raw = raw_vpn(lab_aws, "branch-02")
    before = len(ec2.describe_vpn_connections()["VpnConnections"])
    with pytest.raises(ClientError) as error:
        ec2.create_vpn_connection(
            Type="ipsec.1",
            CustomerGatewayId=raw["CustomerGatewayId"],
            VpnGatewayId=raw["VpnGatewayId"],
            Options={"TunnelOptions": [bad]},  # type: ignore[list-item]
        )
    assert error.value.response["Error"]["Code"] == "InvalidParameterValue"
    assert len(ec2.describe_vpn_connections()["VpnConnections"]) == before


def test_http_hooks_set_status_and_throttle(lab_aws: LabAws) -> None:
    ec2 = lab_ec2_client(lab_aws.endpoint)
    raw = raw_vpn(lab_aws, "branch-04")
    outside = raw["Options"]["TunnelOptions"][0]["OutsideIpAddress"]

    post_lab_hook(
        lab_aws.endpoint,
        "tunnel-status",
        vpn_id=raw["VpnConnectionId"],
        outside_ip=outside,
        status="UP",
        accepted_routes=2,
    )
    telemetry = raw_vpn(lab_aws, "branch-04")["VgwTelemetry"][0]
    assert (telemetry["Status"], telemetry["AcceptedRouteCount"]) == ("UP", 2)
    assert post_lab_hook(lab_aws.endpoint, "vpns")["vpn_ids"]["branch-04"] == raw["VpnConnectionId"]

    no_retries = boto3.session.Session().client(
        "ec2",
        endpoint_url=lab_aws.endpoint,
        region_name="us-east-1",
        config=Config(retries={"mode": "standard", "max_attempts": 0}),
    )
    post_lab_hook(lab_aws.endpoint, "throttle", action="DescribeVpnGateways")
    try:
        with pytest.raises(ClientError) as error:
            no_retries.describe_vpn_gateways()
    finally:
        post_lab_hook(lab_aws.endpoint, "throttle-clear")
    assert error.value.response["Error"]["Code"] == "RequestLimitExceeded"
    assert ec2.describe_vpn_gateways()["VpnGateways"]


def test_generated_values_look_like_aws() -> None:
    psks = {generate_psk() for _ in range(200)}
    assert len(psks) == 200
    assert all(PSK.fullmatch(p) and not p.startswith("0") for p in psks)
    cidrs = [random_inside_cidr(RESERVED_INSIDE_CIDRS[:-1]) for _ in range(200)]
    assert all(c not in RESERVED_INSIDE_CIDRS and c.prefixlen == 30 for c in cidrs)


def test_lab_binds_loopback_only() -> None:
    with pytest.raises(ValueError, match="loopback"):
        run_lab_aws(host="0.0.0.0", seed=False)
