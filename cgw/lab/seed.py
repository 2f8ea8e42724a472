"""The lab seed (notes/seed.md): four branch VPN connections, created through boto3 like a user.

Idempotent: everything is found by its Name tag (or customer gateway IP) before being created.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

import boto3

if TYPE_CHECKING:
    from mypy_boto3_ec2 import EC2Client

VPC_CIDR = "10.100.0.0/16"
SUBNET_CIDR = "10.100.0.0/24"
VGW_ASN = 64512
TGW_ASN = 64513
LAB_TAG = "cgw-lab"
# What boto3 needs besides the endpoint (the lab accepts any credentials; these are moto's).
LAB_CREDENTIALS = {
    "AWS_ACCESS_KEY_ID": "testing",
    "AWS_SECRET_ACCESS_KEY": "testing",
    "AWS_DEFAULT_REGION": "us-east-1",
}


def _values(key: str, *values: object) -> dict[str, list[dict[str, object]]]:
    return {key: [{"Value": v} for v in values]}


def _suite(encryption: str, integrity: str, group: int) -> dict[str, Any]:
    """The same algorithm choice for both phases, in VpnTunnelOptionsSpecification words."""
    return {
        **_values("Phase1EncryptionAlgorithms", encryption),
        **_values("Phase2EncryptionAlgorithms", encryption),
        **_values("Phase1IntegrityAlgorithms", integrity),
        **_values("Phase2IntegrityAlgorithms", integrity),
        **_values("Phase1DHGroupNumbers", group),
        **_values("Phase2DHGroupNumbers", group),
    }


@dataclass(frozen=True)
class SeedVpn:
    """One row of the seed table."""

    name: str
    cgw_ip: str
    cgw_asn: int
    gateway: str  # "vgw" or "tgw"
    static: bool = False
    tunnel_options: tuple[Mapping[str, Any], ...] = ()
    routes: tuple[str, ...] = field(default=())


SEED: tuple[SeedVpn, ...] = (
    SeedVpn(
        "branch-01",
        "203.0.113.11",
        65011,
        "vgw",
        tunnel_options=(
            {
                **_values("IKEVersions", "ikev2"),
                **_suite("AES256-GCM-16", "SHA2-256", 20),
                "TunnelInsideCidr": "169.254.101.0/30",
            },
            {
                **_values("IKEVersions", "ikev2"),
                **_suite("AES256", "SHA2-256", 14),
                "TunnelInsideCidr": "169.254.101.4/30",
                "DPDTimeoutAction": "restart",
                "StartupAction": "start",
            },
        ),
    ),
    SeedVpn("branch-02", "203.0.113.12", 65012, "vgw"),
    SeedVpn(
        "branch-03",
        "203.0.113.13",
        65013,
        "tgw",
        tunnel_options=tuple(
            {
                **_values("IKEVersions", "ikev2"),
                **_suite("AES256", "SHA2-256", 14),
                "Phase1LifetimeSeconds": 28800,
                "Phase2LifetimeSeconds": 3600,
            }
            for _ in range(2)
        ),
    ),
    SeedVpn(
        "branch-04",
        "203.0.113.14",
        65014,
        "vgw",
        static=True,
        tunnel_options=tuple(
            {**_values("IKEVersions", "ikev1"), **_suite("AES128", "SHA1", 2)} for _ in range(2)
        ),
        routes=("10.40.0.0/16",),
    ),
)


def lab_ec2_client(endpoint: str, region: str = "us-east-1") -> EC2Client:
    """An EC2 client for the lab endpoint with the lab's fake credentials."""
    client: EC2Client = boto3.session.Session().client(
        "ec2",
        endpoint_url=endpoint,
        region_name=region,
        aws_access_key_id=LAB_CREDENTIALS["AWS_ACCESS_KEY_ID"],
        aws_secret_access_key=LAB_CREDENTIALS["AWS_SECRET_ACCESS_KEY"],
    )
    return client


def _tags(kind: str, name: str) -> list[Any]:
    return [
        {
            "ResourceType": kind,
            "Tags": [{"Key": "Name", "Value": name}, {"Key": LAB_TAG, "Value": "seed"}],
        }
    ]


def _by_name(items: list[Any], name: str) -> Any:
    for item in items:
        if {"Key": "Name", "Value": name} in item.get("Tags", []):
            return item
    return None


def _vpc(ec2: EC2Client) -> tuple[str, str]:
    """The lab VPC and its subnet (found by Name tag, else created)."""
    vpcs = ec2.describe_vpcs(Filters=[{"Name": "tag:Name", "Values": ["cgw-lab-vpc"]}])["Vpcs"]
    if vpcs:
        vpc_id = vpcs[0]["VpcId"]
    else:
        vpc_id = ec2.create_vpc(CidrBlock=VPC_CIDR, TagSpecifications=_tags("vpc", "cgw-lab-vpc"))[
            "Vpc"
        ]["VpcId"]
    subnets = ec2.describe_subnets(Filters=[{"Name": "vpc-id", "Values": [vpc_id]}])["Subnets"]
    if subnets:
        return vpc_id, subnets[0]["SubnetId"]
    subnet = ec2.create_subnet(VpcId=vpc_id, CidrBlock=SUBNET_CIDR)["Subnet"]
    return vpc_id, subnet["SubnetId"]


def _vpn_gateway(ec2: EC2Client, vpc_id: str) -> str:
    found = _by_name(ec2.describe_vpn_gateways()["VpnGateways"], "cgw-lab-vgw")
    if found and found.get("State") == "available":
        return str(found["VpnGatewayId"])
    vgw_id = ec2.create_vpn_gateway(
        Type="ipsec.1", AmazonSideAsn=VGW_ASN, TagSpecifications=_tags("vpn-gateway", "cgw-lab-vgw")
    )["VpnGateway"]["VpnGatewayId"]
    ec2.attach_vpn_gateway(VpcId=vpc_id, VpnGatewayId=vgw_id)
    return vgw_id


def _transit_gateway(ec2: EC2Client, vpc_id: str, subnet_id: str) -> str:
    live = [
        t
        for t in ec2.describe_transit_gateways()["TransitGateways"]
        if t.get("State") not in ("deleted", "deleting")
    ]
    found = _by_name(live, "cgw-lab-tgw")
    if found:
        return str(found["TransitGatewayId"])
    tgw_id = ec2.create_transit_gateway(
        Description="cgw lab transit gateway",
        Options={"AmazonSideAsn": TGW_ASN, "VpnEcmpSupport": "enable"},
        TagSpecifications=_tags("transit-gateway", "cgw-lab-tgw"),
    )["TransitGateway"]["TransitGatewayId"]
    ec2.create_transit_gateway_vpc_attachment(
        TransitGatewayId=tgw_id, VpcId=vpc_id, SubnetIds=[subnet_id]
    )
    return tgw_id


@dataclass
class _Existing:
    """What the lab AWS already holds, read once (finding each row stays O(1) for many rows)."""

    customer_gateways: dict[str, str]  # IP -> id (available ones)
    vpns: dict[str, str]  # Name tag -> id (live ones)

    @classmethod
    def read(cls, ec2: EC2Client) -> _Existing:
        gateways = {
            str(c["IpAddress"]): str(c["CustomerGatewayId"])
            for c in ec2.describe_customer_gateways()["CustomerGateways"]
            if c.get("State") == "available"
        }
        # Tags, not DescribeVpnConnections: that one renders every connection's XML.
        gone = {
            str(v["VpnConnectionId"])
            for v in ec2.describe_vpn_connections(
                Filters=[{"Name": "state", "Values": ["deleted", "deleting"]}]
            )["VpnConnections"]
        }
        vpns: dict[str, str] = {}
        pages = ec2.get_paginator("describe_tags").paginate(
            Filters=[
                {"Name": "resource-type", "Values": ["vpn-connection"]},
                {"Name": "key", "Values": ["Name"]},
            ]
        )
        for page in pages:
            for tag in page["Tags"]:
                if tag["ResourceId"] not in gone:
                    vpns.setdefault(str(tag["Value"]), str(tag["ResourceId"]))
        return cls(gateways, vpns)


def _customer_gateway(ec2: EC2Client, row: SeedVpn, existing: _Existing) -> str:
    found = existing.customer_gateways.get(row.cgw_ip)
    if found:
        return found
    created = ec2.create_customer_gateway(
        Type="ipsec.1",
        PublicIp=row.cgw_ip,
        BgpAsn=row.cgw_asn,
        TagSpecifications=_tags("customer-gateway", row.name),
    )["CustomerGateway"]["CustomerGatewayId"]
    existing.customer_gateways[row.cgw_ip] = created
    return created


def seed_lab(endpoint: str, region: str = "us-east-1") -> dict[str, str]:
    """Create the seed table's VPN connections (once) and return their ids by Name tag."""
    return ensure_vpns(endpoint, SEED, region)


def ensure_vpns(
    endpoint: str, rows: Sequence[SeedVpn], region: str = "us-east-1"
) -> dict[str, str]:
    """Create each row's customer gateway and VPN connection unless they exist; ids by name."""
    ec2 = lab_ec2_client(endpoint, region)
    vpc_id, subnet_id = _vpc(ec2)
    vgw_id = _vpn_gateway(ec2, vpc_id)
    tgw_id = _transit_gateway(ec2, vpc_id, subnet_id)
    existing = _Existing.read(ec2)
    vpn_ids = {}
    for row in rows:
        if row.name in existing.vpns:
            vpn_ids[row.name] = existing.vpns[row.name]
            continue
        options: Any = {"StaticRoutesOnly": row.static}
        if row.tunnel_options:
            options["TunnelOptions"] = [dict(o) for o in row.tunnel_options]
        gateway: dict[str, str] = (
            {"TransitGatewayId": tgw_id} if row.gateway == "tgw" else {"VpnGatewayId": vgw_id}
        )
        vpn_id = ec2.create_vpn_connection(
            Type="ipsec.1",
            CustomerGatewayId=_customer_gateway(ec2, row, existing),
            Options=options,
            TagSpecifications=_tags("vpn-connection", row.name),
            **gateway,  # type: ignore[arg-type]
        )["VpnConnection"]["VpnConnectionId"]
        for cidr in row.routes:
            ec2.create_vpn_connection_route(VpnConnectionId=vpn_id, DestinationCidrBlock=cidr)
        vpn_ids[row.name] = vpn_id
    return vpn_ids
