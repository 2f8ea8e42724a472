"""cgw.aws: fetch from the lab AWS over real HTTP, and the pure TunnelOptions/XML parsing."""

from __future__ import annotations

import copy
import json
import re
import socket
from ipaddress import IPv4Address, IPv4Network, ip_address
from pathlib import Path
from typing import Any

import pytest
from botocore.stub import Stubber

from cgw.aws import (
    AwsContext,
    build_vpn_connection,
    fetch_telemetry,
    fetch_vpn_connections,
    parse_customer_gateway_configuration,
    psks_from_secret,
)
from cgw.errors import AwsError
from cgw.lab.aws_server import LabAws, set_psk_arn, set_tunnel_status, set_xml_reversed
from cgw.lab.seed import lab_ec2_client
from cgw.model import (
    DEFAULT_DPD_ACTION,
    DEFAULT_DPD_TIMEOUT_S,
    DEFAULT_PHASE1_LIFETIME_S,
    DEFAULT_PHASE2_LIFETIME_S,
    ENCRYPTION_ALGORITHMS,
    IKE_VERSIONS,
    INTEGRITY_ALGORITHMS,
    PHASE1_DH_GROUPS,
    PHASE2_DH_GROUPS,
    CustomerGateway,
)

DATA = Path(__file__).parent / "data" / "aws"
REAL_XML = (DATA / "customer_gateway_configuration_real_vgw_bgp.xml").read_text()
REAL_PSKS = ("xlk6lMNzd4CNRP8YUX4PlRLVL4pV1FWS", "KMA_6TXDeJzOJAnrn6gnMEtCO0jbE655")

TUNNEL_1 = {
    "TunnelInsideCidr": "169.254.150.0/30",
    "PreSharedKey": "tunnel.one_key_AAAAAAAAAAAA",
    "IKEVersions": [{"Value": "ikev2"}],
    "Phase1EncryptionAlgorithms": [{"Value": "AES256-GCM-16"}],
    "Phase1IntegrityAlgorithms": [{"Value": "SHA2-384"}],
    "Phase1DHGroupNumbers": [{"Value": 21}],
    "Phase2EncryptionAlgorithms": [{"Value": "AES128-GCM-16"}],
    "Phase2IntegrityAlgorithms": [{"Value": "SHA2-512"}],
    "Phase2DHGroupNumbers": [{"Value": 19}],
    "Phase1LifetimeSeconds": 14400,
    "Phase2LifetimeSeconds": 1800,
    "RekeyMarginTimeSeconds": 300,
    "RekeyFuzzPercentage": 50,
    "ReplayWindowSize": 2048,
    "DPDTimeoutSeconds": 60,
    "DPDTimeoutAction": "restart",
    "StartupAction": "start",
}
TUNNEL_2 = {
    "TunnelInsideCidr": "169.254.150.8/30",
    "PreSharedKey": "tunnel.two_key_BBBBBBBBBBBB",
    "IKEVersions": [{"Value": "ikev1"}],
    "Phase1EncryptionAlgorithms": [{"Value": "AES128"}],
    "Phase1IntegrityAlgorithms": [{"Value": "SHA1"}],
    "Phase1DHGroupNumbers": [{"Value": 2}],
    "Phase2EncryptionAlgorithms": [{"Value": "AES256"}],
    "Phase2IntegrityAlgorithms": [{"Value": "SHA2-256"}],
    "Phase2DHGroupNumbers": [{"Value": 5}],
}


def tunnel_pair(third_octet: int) -> list[dict[str, Any]]:
    """TUNNEL_1/TUNNEL_2 with inside CIDRs of their own (they are unique per gateway)."""
    return [
        {**TUNNEL_1, "TunnelInsideCidr": f"169.254.{third_octet}.0/30"},
        {**TUNNEL_2, "TunnelInsideCidr": f"169.254.{third_octet}.8/30"},
    ]


def _gateway_id(ec2: Any, kind: str) -> str:
    if kind == "tgw":
        found = ec2.describe_transit_gateways(
            Filters=[{"Name": "tag:Name", "Values": ["cgw-lab-tgw"]}]
        )["TransitGateways"]
        return str(found[0]["TransitGatewayId"])
    found = ec2.describe_vpn_gateways(Filters=[{"Name": "tag:Name", "Values": ["cgw-lab-vgw"]}])
    return str(found["VpnGateways"][0]["VpnGatewayId"])


def create_vpn(
    lab: LabAws,
    cgw_ip: str,
    tunnel_options: list[dict[str, Any]] | None = None,
    *,
    asn: int = 65100,
    storage: str | None = None,
    name: str | None = None,
) -> str:
    """A VPN connection created through the lab server as a user would (boto3, real HTTP)."""
    ec2 = lab_ec2_client(lab.endpoint)
    cgw = ec2.create_customer_gateway(Type="ipsec.1", PublicIp=cgw_ip, BgpAsn=asn)
    kwargs: dict[str, Any] = {
        "Type": "ipsec.1",
        "CustomerGatewayId": cgw["CustomerGateway"]["CustomerGatewayId"],
        "VpnGatewayId": _gateway_id(ec2, "vgw"),
        "Options": {"TunnelOptions": tunnel_options} if tunnel_options else {},
    }
    if storage:
        kwargs["PreSharedKeyStorage"] = storage
    if name:
        kwargs["TagSpecifications"] = [
            {"ResourceType": "vpn-connection", "Tags": [{"Key": "Name", "Value": name}]}
        ]
    return str(ec2.create_vpn_connection(**kwargs)["VpnConnection"]["VpnConnectionId"])


def describe(lab: LabAws, vpn_id: str) -> dict[str, Any]:
    ec2 = lab_ec2_client(lab.endpoint)
    raw: dict[str, Any] = ec2.describe_vpn_connections(VpnConnectionIds=[vpn_id])["VpnConnections"][
        0
    ]
    return raw


def count_calls(ctx: AwsContext) -> dict[str, int]:
    """Count API calls per operation with a botocore event hook."""
    calls: dict[str, int] = {}

    def before_call(model: Any, **_: Any) -> None:
        calls[model.name] = calls.get(model.name, 0) + 1

    ctx.ec2().meta.events.register("before-call.ec2.*", before_call)
    return calls


def free_closed_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port: int = probe.getsockname()[1]
    return port


# --------------------------------------------------------------------------- fetch via the lab


def test_boto3_uses_aws_endpoint_url_from_environment(lab_aws: LabAws) -> None:
    assert AwsContext().ec2().meta.endpoint_url == lab_aws.endpoint


def test_each_tunnel_keeps_its_own_options_psk_and_addresses(lab_aws: LabAws) -> None:
    vpn_id = create_vpn(lab_aws, "203.0.113.51", tunnel_pair(150), asn=65051)

    [vpn] = fetch_vpn_connections(AwsContext(), vpn_ids=[vpn_id])

    raw = describe(lab_aws, vpn_id)
    outside = [o["OutsideIpAddress"] for o in raw["Options"]["TunnelOptions"]]
    one, two = vpn.tunnels
    assert [str(one.aws_outside_ip), str(two.aws_outside_ip)] == outside
    assert one.psk.reveal() == TUNNEL_1["PreSharedKey"]
    assert two.psk.reveal() == TUNNEL_2["PreSharedKey"]
    assert (one.inside_cidr, one.aws_inside_ip, one.cgw_inside_ip) == (
        IPv4Network("169.254.150.0/30"),
        IPv4Address("169.254.150.1"),
        IPv4Address("169.254.150.2"),
    )
    assert two.inside_cidr == IPv4Network("169.254.150.8/30")
    assert one.ike_versions == ("ikev2",) and two.ike_versions == ("ikev1",)
    assert (one.phase1.encryption, one.phase1.integrity, one.phase1.dh_groups) == (
        ("AES256-GCM-16",),
        ("SHA2-384",),
        (21,),
    )
    assert (one.phase2.encryption, one.phase2.integrity, one.phase2.dh_groups) == (
        ("AES128-GCM-16",),
        ("SHA2-512",),
        (19,),
    )
    assert (one.phase1.lifetime_s, one.phase2.lifetime_s) == (14400, 1800)
    assert (one.rekey_margin_s, one.rekey_fuzz_pct, one.replay_window) == (300, 50, 2048)
    assert (one.dpd.timeout_s, one.dpd.action, one.startup_action) == (60, "restart", "start")
    assert (two.phase1.encryption, two.phase2.encryption) == (("AES128",), ("AES256",))
    assert (two.phase2.integrity, two.phase2.dh_groups) == (("SHA2-256",), (5,))
    assert (two.phase1.lifetime_s, two.dpd.action, two.startup_action) == (28800, "clear", "add")
    assert one.cgw_outside_ip == two.cgw_outside_ip == ip_address("203.0.113.51")
    assert one.bgp is not None and (one.bgp.aws_asn, one.bgp.cgw_asn) == (64512, 65051)


def test_xml_reversed_on_the_server_still_matches_tunnels_by_outside_ip(lab_aws: LabAws) -> None:
    vpn_id = create_vpn(lab_aws, "203.0.113.52", tunnel_pair(152))
    set_xml_reversed(vpn_id)
    raw = describe(lab_aws, vpn_id)
    xml_order = [
        str(t.aws_outside_ip)
        for t in parse_customer_gateway_configuration(raw["CustomerGatewayConfiguration"])
    ]
    options_order = [o["OutsideIpAddress"] for o in raw["Options"]["TunnelOptions"]]
    assert xml_order == options_order[::-1]

    # Leave the PSK and inside CIDR to the XML alone, so only a match by outside IP can be right.
    def strip_psk_and_cidr(parsed: dict[str, Any], **_: Any) -> None:
        for connection in parsed.get("VpnConnections", []):
            for option in connection["Options"]["TunnelOptions"]:
                option.pop("PreSharedKey", None)
                option.pop("TunnelInsideCidr", None)

    ctx = AwsContext()
    ctx.ec2().meta.events.register("after-call.ec2.DescribeVpnConnections", strip_psk_and_cidr)
    [vpn] = fetch_vpn_connections(ctx, vpn_ids=[vpn_id])

    assert str(vpn.tunnels[0].aws_outside_ip) == options_order[0]
    assert vpn.tunnels[0].psk.reveal() == TUNNEL_1["PreSharedKey"]
    assert vpn.tunnels[0].inside_cidr == IPv4Network("169.254.152.0/30")
    assert vpn.tunnels[1].psk.reveal() == TUNNEL_2["PreSharedKey"]
    assert vpn.tunnels[1].inside_cidr == IPv4Network("169.254.152.8/30")


def test_empty_algorithm_lists_get_aws_defaults(lab_aws: LabAws) -> None:
    [vpn] = fetch_vpn_connections(AwsContext(), customer_gateway_ips=["203.0.113.12"])

    assert vpn.id == lab_aws.vpn_ids["branch-02"]
    for tunnel in vpn.tunnels:
        assert tunnel.ike_versions == IKE_VERSIONS
        assert tunnel.phase1.encryption == tunnel.phase2.encryption == ENCRYPTION_ALGORITHMS
        assert tunnel.phase1.integrity == tunnel.phase2.integrity == INTEGRITY_ALGORITHMS
        assert tunnel.phase1.dh_groups == PHASE1_DH_GROUPS
        assert tunnel.phase2.dh_groups == PHASE2_DH_GROUPS
        assert tunnel.phase1.lifetime_s == DEFAULT_PHASE1_LIFETIME_S
        assert tunnel.phase2.lifetime_s == DEFAULT_PHASE2_LIFETIME_S
        assert (tunnel.dpd.timeout_s, tunnel.dpd.action) == (
            DEFAULT_DPD_TIMEOUT_S,
            DEFAULT_DPD_ACTION,
        )
    assert vpn.tunnels[0].psk != vpn.tunnels[1].psk
    assert vpn.tunnels[0].inside_cidr != vpn.tunnels[1].inside_cidr


def test_seeded_branch_01_has_per_tunnel_options(lab_aws: LabAws) -> None:
    [vpn] = fetch_vpn_connections(AwsContext(), tags={"Name": "branch-01"})

    one, two = vpn.tunnels
    assert one.inside_cidr == IPv4Network("169.254.101.0/30")
    assert (one.phase1.encryption, one.phase1.dh_groups) == (("AES256-GCM-16",), (20,))
    assert two.inside_cidr == IPv4Network("169.254.101.4/30")
    assert (two.phase1.encryption, two.phase2.dh_groups) == (("AES256",), (14,))
    assert (two.dpd.action, two.startup_action) == ("restart", "start")
    assert (one.dpd.action, one.startup_action) == ("clear", "add")


def test_static_routing_and_routes(lab_aws: LabAws) -> None:
    [vpn] = fetch_vpn_connections(AwsContext(), customer_gateway_ips=["203.0.113.14"])

    assert vpn.routing == "static"
    assert vpn.static_routes == (IPv4Network("10.40.0.0/16"),)
    assert all(t.bgp is None for t in vpn.tunnels)
    assert all(t.ike_versions == ("ikev1",) for t in vpn.tunnels)
    assert all(t.phase2.integrity == ("SHA1",) for t in vpn.tunnels)


def test_transit_gateway_connection(lab_aws: LabAws) -> None:
    [vpn] = fetch_vpn_connections(AwsContext(), customer_gateway_ips=["203.0.113.13"])

    assert vpn.gateway.kind == "tgw" and vpn.gateway.id.startswith("tgw-")
    assert vpn.amazon_side_asn == 64513
    assert all(t.bgp is not None and t.bgp.aws_asn == 64513 for t in vpn.tunnels)
    assert all(t.bgp is not None and t.bgp.cgw_asn == 65013 for t in vpn.tunnels)
    assert all(t.phase1.lifetime_s == 28800 for t in vpn.tunnels)


def test_psk_read_from_secrets_manager_when_tunnel_options_hide_it(lab_aws: LabAws) -> None:
    vpn_id = create_vpn(lab_aws, "203.0.113.53", tunnel_pair(153))
    raw = describe(lab_aws, vpn_id)
    by_ip = {o["OutsideIpAddress"]: o["PreSharedKey"] for o in raw["Options"]["TunnelOptions"]}
    secrets = AwsContext().secretsmanager()
    arn = secrets.create_secret(Name=f"psk-{vpn_id}", SecretString=json.dumps(by_ip))["ARN"]
    set_psk_arn(vpn_id, arn)

    hidden = describe(lab_aws, vpn_id)
    assert hidden["PreSharedKeyArn"] == arn
    assert all("PreSharedKey" not in o for o in hidden["Options"]["TunnelOptions"])
    assert "pre_shared_key" not in hidden["CustomerGatewayConfiguration"]

    [vpn] = fetch_vpn_connections(AwsContext(), vpn_ids=[vpn_id])
    assert [t.psk.reveal() for t in vpn.tunnels] == [
        TUNNEL_1["PreSharedKey"],
        TUNNEL_2["PreSharedKey"],
    ]


def test_psk_storage_secrets_manager_at_creation(lab_aws: LabAws) -> None:
    vpn_id = create_vpn(lab_aws, "203.0.113.54", tunnel_pair(154), storage="SecretsManager")

    [vpn] = fetch_vpn_connections(AwsContext(), vpn_ids=[vpn_id])

    assert describe(lab_aws, vpn_id)["PreSharedKeyArn"].startswith("arn:aws:secretsmanager:")
    assert vpn.tunnels[1].psk.reveal() == TUNNEL_2["PreSharedKey"]


def test_many_ids_are_fetched_with_one_describe_call(lab_aws: LabAws) -> None:
    ctx = AwsContext()
    calls = count_calls(ctx)

    vpns = fetch_vpn_connections(ctx, vpn_ids=sorted(lab_aws.vpn_ids.values()))

    assert {v.id for v in vpns} == set(lab_aws.vpn_ids.values())
    assert calls == {
        "DescribeVpnConnections": 1,
        "DescribeCustomerGateways": 1,
        "DescribeVpnGateways": 1,
        "DescribeTransitGateways": 1,
    }


def test_selection_by_several_customer_gateway_ips(lab_aws: LabAws) -> None:
    ctx = AwsContext()
    calls = count_calls(ctx)

    vpns = fetch_vpn_connections(ctx, customer_gateway_ips=["203.0.113.11", "203.0.113.14"])

    assert sorted(v.id for v in vpns) == sorted(
        [lab_aws.vpn_ids["branch-01"], lab_aws.vpn_ids["branch-04"]]
    )
    assert calls["DescribeVpnConnections"] == 1
    assert calls["DescribeCustomerGateways"] == 1


def test_telemetry_follows_the_lab_tunnel_status(lab_aws: LabAws) -> None:
    vpn_id = create_vpn(lab_aws, "203.0.113.55")
    [before] = fetch_vpn_connections(AwsContext(), vpn_ids=[vpn_id])
    up_ip = str(before.tunnels[1].aws_outside_ip)

    set_tunnel_status(vpn_id, up_ip, "UP", accepted_routes=3)

    telemetry = fetch_telemetry(AwsContext(), [vpn_id])[vpn_id]
    status = {str(t.aws_outside_ip): t for t in telemetry}
    assert status[up_ip].status == "UP" and status[up_ip].accepted_route_count == 3
    assert status[str(before.tunnels[0].aws_outside_ip)].status == "DOWN"
    assert all(t.status == "DOWN" for t in before.telemetry)
    [after] = fetch_vpn_connections(AwsContext(), vpn_ids=[vpn_id])
    assert [t.status for t in after.telemetry] == ["DOWN", "UP"]


# --------------------------------------------------------------------------- errors


def _assert_one_line(error: pytest.ExceptionInfo[AwsError], *words: str) -> str:
    message = str(error.value)
    assert "\n" not in message and "Traceback" not in message
    for word in words:
        assert word in message
    return message


def test_unknown_vpn_id(lab_aws: LabAws) -> None:
    with pytest.raises(AwsError) as error:
        fetch_vpn_connections(AwsContext(), vpn_ids=["vpn-0123456789abcdef0"])
    _assert_one_line(error, "vpn-0123456789abcdef0", "region")


def test_no_vpn_for_customer_gateway_ip_or_tag(lab_aws: LabAws) -> None:
    with pytest.raises(AwsError) as error:
        fetch_vpn_connections(AwsContext(), customer_gateway_ips=["203.0.113.199"])
    _assert_one_line(error, "203.0.113.199")
    with pytest.raises(AwsError) as error:
        fetch_vpn_connections(AwsContext(), tags={"Name": "no-such-branch"})
    _assert_one_line(error, "Name=no-such-branch")


def test_deleted_vpn_is_refused(lab_aws: LabAws) -> None:
    vpn_id = create_vpn(lab_aws, "203.0.113.56")
    lab_ec2_client(lab_aws.endpoint).delete_vpn_connection(VpnConnectionId=vpn_id)
    with pytest.raises(AwsError) as error:
        fetch_vpn_connections(AwsContext(), vpn_ids=[vpn_id])
    _assert_one_line(error, vpn_id, "deleted")
    with pytest.raises(AwsError):
        fetch_vpn_connections(AwsContext(), customer_gateway_ips=["203.0.113.56"])


def test_no_credentials(lab_aws: LabAws, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    empty = tmp_path / "credentials"
    empty.write_text("")
    monkeypatch.setenv("AWS_SHARED_CREDENTIALS_FILE", str(empty))
    monkeypatch.setenv("AWS_CONFIG_FILE", str(empty))
    monkeypatch.delenv("AWS_ACCESS_KEY_ID")
    monkeypatch.delenv("AWS_SECRET_ACCESS_KEY")
    with pytest.raises(AwsError) as error:
        fetch_vpn_connections(AwsContext(max_attempts=1), vpn_ids=[lab_aws.vpn_ids["branch-01"]])
    _assert_one_line(error, "no AWS credentials", "aws sso login")


def test_unknown_profile(lab_aws: LabAws) -> None:
    with pytest.raises(AwsError) as error:
        AwsContext(profile="nope")
    _assert_one_line(error, "nope")


def test_unreachable_endpoint(lab_aws: LabAws, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("AWS_ENDPOINT_URL", f"http://127.0.0.1:{free_closed_port()}")
    ctx = AwsContext(max_attempts=1, connect_timeout_s=0.5, read_timeout_s=1)
    with pytest.raises(AwsError) as error:
        fetch_vpn_connections(ctx, vpn_ids=[lab_aws.vpn_ids["branch-01"]])
    _assert_one_line(error, "cannot reach", "127.0.0.1")


@pytest.fixture
def no_backoff(monkeypatch: pytest.MonkeyPatch) -> None:
    """botocore's retry delays and adaptive rate limiting off, so throttling is fast to test."""
    monkeypatch.setattr(
        "botocore.retries.standard.ExponentialBackoff.delay_amount", lambda *_a, **_k: 0
    )
    monkeypatch.setattr("botocore.retries.bucket.TokenBucket.acquire", lambda *_a, **_k: True)


@pytest.mark.usefixtures("no_backoff")
def test_throttling_after_retries(lab_aws: LabAws) -> None:
    lab_aws.throttle.set("DescribeVpnConnections")
    try:
        with pytest.raises(AwsError) as error:
            fetch_vpn_connections(
                AwsContext(max_attempts=2), vpn_ids=[lab_aws.vpn_ids["branch-01"]]
            )
        hits = lab_aws.throttle.hits.get("DescribeVpnConnections")
    finally:
        lab_aws.throttle.clear()
    _assert_one_line(error, "throttled", "DescribeVpnConnections", "3 attempts")
    assert hits == 3  # the first request and botocore's two retries


@pytest.mark.usefixtures("no_backoff")
def test_throttling_once_is_retried_transparently(lab_aws: LabAws) -> None:
    lab_aws.throttle.set("DescribeVpnConnections", times=1)
    try:
        [vpn] = fetch_vpn_connections(
            AwsContext(max_attempts=3), vpn_ids=[lab_aws.vpn_ids["branch-02"]]
        )
        hits = lab_aws.throttle.hits.get("DescribeVpnConnections")
    finally:
        lab_aws.throttle.clear()
    assert vpn.id == lab_aws.vpn_ids["branch-02"] and hits == 1


@pytest.mark.parametrize(
    ("code", "words"),
    [
        ("UnauthorizedOperation", ("denied", "ec2:Describe")),
        ("AuthFailure", ("rejected the credentials",)),
        ("InvalidVpnConnectionID.Malformed", ("check the VPN id",)),
    ],
)
def test_client_errors_become_one_actionable_line(code: str, words: tuple[str, ...]) -> None:
    ctx = AwsContext(region="us-east-1")
    with Stubber(ctx.ec2()) as stub:
        stub.add_client_error(
            "describe_vpn_connections", service_error_code=code, service_message="no"
        )
        with pytest.raises(AwsError) as error:
            fetch_vpn_connections(ctx, vpn_ids=["vpn-0123456789abcdef0"])
    _assert_one_line(error, *words)


def test_no_psk_in_any_error_message(lab_aws: LabAws) -> None:
    raw = copy.deepcopy(describe(lab_aws, lab_aws.vpn_ids["branch-01"]))
    psks = [o["PreSharedKey"] for o in raw["Options"]["TunnelOptions"]]
    raw["Options"]["TunnelOptions"][0]["Phase1EncryptionAlgorithms"] = [{"Value": "DES"}]
    cgw = CustomerGateway(id="cgw-0123456789abcdef0", ip=ip_address("203.0.113.11"), asn=65011)
    with pytest.raises(AwsError) as error:
        build_vpn_connection(raw, cgw, 64512)
    bad_psk = "0" + psks[0][1:]
    raw["Options"]["TunnelOptions"][0]["PreSharedKey"] = bad_psk
    with pytest.raises(AwsError) as psk_error:
        build_vpn_connection(raw, cgw, 64512)
    for message in (str(error.value), str(psk_error.value)):
        assert all(p[4:] not in message for p in [*psks, bad_psk])
        assert "\n" not in message


# --------------------------------------------------------------------------- pure parsing


def test_real_xml_is_parsed() -> None:
    one, two = parse_customer_gateway_configuration(REAL_XML)

    assert (str(one.aws_outside_ip), str(two.aws_outside_ip)) == ("3.18.239.122", "52.15.217.142")
    assert str(one.cgw_outside_ip) == "3.15.245.169"
    assert one.inside_cidr == IPv4Network("169.254.225.8/30")
    assert (str(one.aws_inside_ip), str(one.cgw_inside_ip)) == ("169.254.225.9", "169.254.225.10")
    assert two.inside_cidr == IPv4Network("169.254.68.24/30")
    assert (one.cgw_asn, one.aws_asn, one.hold_time_s) == (64513, 64512, 30)
    assert one.psk is not None and one.psk.reveal() == REAL_PSKS[0]
    assert two.psk is not None and two.psk.reveal() == REAL_PSKS[1]
    assert (one.ike.encryption, one.ike.integrity, one.ike.dh_group) == ("aes-128-cbc", "sha1", 2)
    assert (one.ipsec.integrity, one.ipsec.lifetime_s) == ("hmac-sha1-96", 3600)
    assert REAL_PSKS[0] not in repr(one)


def _real_raw(tunnel_options: list[dict[str, Any]] | None, xml: str = REAL_XML) -> dict[str, Any]:
    raw: dict[str, Any] = {
        "VpnConnectionId": "vpn-0ecb2a2698b33f4ee",
        "Type": "ipsec.1",
        "State": "available",
        "CustomerGatewayId": "cgw-03cf0ff0c8d3727f9",
        "VpnGatewayId": "vgw-0ff076c24c4932e4a",
        "CustomerGatewayConfiguration": xml,
    }
    if tunnel_options is not None:
        raw["Options"] = {"StaticRoutesOnly": False, "TunnelOptions": tunnel_options}
    return raw


REAL_CGW = CustomerGateway(id="cgw-03cf0ff0c8d3727f9", ip=ip_address("3.15.245.169"), asn=64513)


def test_old_connection_without_tunnel_options_falls_back_to_xml() -> None:
    vpn = build_vpn_connection(_real_raw(None), REAL_CGW, 64512)

    one, two = vpn.tunnels
    assert str(one.aws_outside_ip) == "3.18.239.122"
    assert one.psk.reveal() == REAL_PSKS[0] and two.psk.reveal() == REAL_PSKS[1]
    assert (one.phase1.encryption, one.phase1.integrity, one.phase1.dh_groups) == (
        ("AES128",),
        ("SHA1",),
        (2,),
    )
    assert (one.phase2.integrity, one.phase2.lifetime_s) == (("SHA1",), 3600)
    assert one.ike_versions == ("ikev1",)
    assert one.bgp is not None and (one.bgp.aws_asn, one.bgp.cgw_asn) == (64512, 64513)


def _reverse_tunnels(xml: str) -> str:
    blocks = re.findall(r"  <ipsec_tunnel>.*?</ipsec_tunnel>\n", xml, flags=re.S)
    assert len(blocks) == 2
    return xml.replace(blocks[0] + blocks[1], blocks[1] + blocks[0])


def test_reversed_xml_keeps_tunnel_1_psk_and_inside_cidr() -> None:
    reversed_xml = _reverse_tunnels(REAL_XML)
    assert parse_customer_gateway_configuration(reversed_xml)[0].psk.reveal() == REAL_PSKS[1]  # type: ignore[union-attr]
    # TunnelOptions without PSK/inside CIDR: the XML must be matched by outside IP to fill them.
    options = [{"OutsideIpAddress": "3.18.239.122"}, {"OutsideIpAddress": "52.15.217.142"}]

    vpn = build_vpn_connection(_real_raw(options, reversed_xml), REAL_CGW, 64512)

    one, two = vpn.tunnels
    assert str(one.aws_outside_ip) == "3.18.239.122"
    assert one.psk.reveal() == REAL_PSKS[0]
    assert one.inside_cidr == IPv4Network("169.254.225.8/30")
    assert two.psk.reveal() == REAL_PSKS[1]
    assert two.inside_cidr == IPv4Network("169.254.68.24/30")
    # With TunnelOptions present and empty lists, AWS's defaults apply (not the XML's one choice).
    assert one.phase1.encryption == ENCRYPTION_ALGORITHMS


def test_tunnel_numbering_follows_tunnel_options_order() -> None:
    options = [{"OutsideIpAddress": "52.15.217.142"}, {"OutsideIpAddress": "3.18.239.122"}]

    vpn = build_vpn_connection(_real_raw(options), REAL_CGW, 64512)

    assert str(vpn.tunnels[0].aws_outside_ip) == "52.15.217.142"
    assert vpn.tunnels[0].psk.reveal() == REAL_PSKS[1]


def test_xml_with_doctype_or_entity_is_refused() -> None:
    evil = '<!DOCTYPE x [<!ENTITY a "b">]>\n' + REAL_XML
    with pytest.raises(AwsError, match="DOCTYPE"):
        parse_customer_gateway_configuration(evil)


@pytest.mark.parametrize(
    ("secret", "expected"),
    [
        ('{"198.51.100.20": "key.for.one", "198.51.100.21": "key.for.two"}', ("one", "two")),
        ('{"Tunnel1PreSharedKey": "key.for.one", "tunnel2": "key.for.two"}', ("one", "two")),
        ('["key.for.one", "key.for.two"]', ("one", "two")),
        (
            '[{"OutsideIpAddress": "198.51.100.21", "PreSharedKey": "key.for.two"},'
            ' {"OutsideIpAddress": "198.51.100.20", "PreSharedKey": "key.for.one"}]',
            ("one", "two"),
        ),
        ("key.for.one", ("one", "one")),
        ('{"PreSharedKey": "key.for.one"}', ("one", "one")),
    ],
)
def test_psks_from_secret_json_or_plain(secret: str, expected: tuple[str, str]) -> None:
    ips = [ip_address("198.51.100.20"), ip_address("198.51.100.21")]

    psks = psks_from_secret(secret, ips)

    assert [psks[1].reveal(), psks[2].reveal()] == [f"key.for.{e}" for e in expected]
