"""AWS → VpnConnection: TunnelOptions are facts; the CustomerGatewayConfiguration XML fills gaps.

The only module that imports boto3. Every AWS failure leaves here as one `AwsError` line saying
what to do; no pre-shared key ever reaches a message.
"""

from __future__ import annotations

import json
import re
import xml.etree.ElementTree as ET
from collections.abc import Iterable, Iterator, Mapping, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import datetime
from ipaddress import IPv4Address, IPv4Network
from typing import TYPE_CHECKING, Any

import boto3
import botocore.exceptions as bex
from botocore.config import Config

from cgw.errors import AwsError, CgwError
from cgw.model import (
    DEFAULT_BGP_HOLD_TIME_S,
    DEFAULT_DPD_ACTION,
    DEFAULT_DPD_TIMEOUT_S,
    DEFAULT_PHASE1_LIFETIME_S,
    DEFAULT_PHASE2_LIFETIME_S,
    DEFAULT_REKEY_FUZZ_PCT,
    DEFAULT_REKEY_MARGIN_S,
    DEFAULT_REPLAY_WINDOW,
    DEFAULT_STARTUP_ACTION,
    ENCRYPTION_ALGORITHMS,
    IKE_VERSIONS,
    INTEGRITY_ALGORITHMS,
    PHASE1_DH_GROUPS,
    PHASE2_DH_GROUPS,
    BgpPeering,
    CustomerGateway,
    Dpd,
    Gateway,
    IpAddress,
    OutsideIpType,
    Proposal,
    Routing,
    Tunnel,
    TunnelTelemetry,
    VpnConnection,
    check_asn,
    ip_address,
    ipv4_address,
    ipv4_network,
)
from cgw.secrets import PreSharedKey

if TYPE_CHECKING:
    from mypy_boto3_ec2 import EC2Client
    from mypy_boto3_secretsmanager import SecretsManagerClient

RawVpn = Mapping[str, Any]

# The XML's words for the algorithms, mapped to AWS's API words (used only for old connections
# that carry no TunnelOptions).
XML_ENCRYPTION = {
    "aes-128-cbc": "AES128",
    "aes-256-cbc": "AES256",
    "aes-128-gcm-16": "AES128-GCM-16",
    "aes-256-gcm-16": "AES256-GCM-16",
}
XML_INTEGRITY = {
    "sha1": "SHA1",
    "sha2-256": "SHA2-256",
    "sha2-384": "SHA2-384",
    "sha2-512": "SHA2-512",
    "hmac-sha1-96": "SHA1",
    "hmac-sha2-256-128": "SHA2-256",
    "hmac-sha2-384-192": "SHA2-384",
    "hmac-sha2-512-256": "SHA2-512",
}

_NOT_FOUND_CODES = frozenset(
    {
        "InvalidVpnConnectionID.NotFound",
        "InvalidVpnConnectionID.Malformed",
        "InvalidVpnConnectionID",
    }
)
_DENIED_CODES = frozenset(
    {"AccessDenied", "AccessDeniedException", "UnauthorizedOperation", "UnauthorizedAccess"}
)
_THROTTLE_CODES = frozenset(
    {"RequestLimitExceeded", "Throttling", "ThrottlingException", "TooManyRequestsException"}
)
_BAD_CREDENTIAL_CODES = frozenset(
    {
        "AuthFailure",
        "InvalidClientTokenId",
        "UnrecognizedClientException",
        "ExpiredToken",
        "ExpiredTokenException",
        "SignatureDoesNotMatch",
    }
)
_GONE_STATES = frozenset({"deleted", "deleting"})
_REDACTED = frozenset({"", "REDACTED", "********"})


class AwsContext:
    """A boto3 session (standard credential chain) plus the retry and timeout policy cgw uses.

    `max_attempts` is botocore's: retries after the first request.

    boto3 itself honours AWS_ENDPOINT_URL / AWS_ENDPOINT_URL_EC2, which is how the lab is reached.
    """

    def __init__(
        self,
        profile: str | None = None,
        region: str | None = None,
        *,
        max_attempts: int = 8,
        connect_timeout_s: float = 5.0,
        read_timeout_s: float = 30.0,
    ) -> None:
        self.profile = profile
        try:
            self.session = boto3.session.Session(profile_name=profile, region_name=region)
        except bex.ProfileNotFound:
            raise AwsError(
                f"AWS profile {profile!r} not found: check --profile and ~/.aws/config"
            ) from None
        self.max_attempts = max_attempts
        self.config = Config(
            retries={"mode": "adaptive", "max_attempts": max_attempts},
            connect_timeout=connect_timeout_s,
            read_timeout=read_timeout_s,
        )
        self._clients: dict[str, Any] = {}

    @property
    def region(self) -> str | None:
        return self.session.region_name

    def _check_region(self) -> None:
        if not self.region:
            raise AwsError("no AWS region: pass --region or set AWS_DEFAULT_REGION")

    def ec2(self) -> EC2Client:
        if "ec2" not in self._clients:
            self._check_region()
            self._clients["ec2"] = self.session.client("ec2", config=self.config)
        client: EC2Client = self._clients["ec2"]
        return client

    def secretsmanager(self) -> SecretsManagerClient:
        if "secretsmanager" not in self._clients:
            self._check_region()
            self._clients["secretsmanager"] = self.session.client(
                "secretsmanager", config=self.config
            )
        client: SecretsManagerClient = self._clients["secretsmanager"]
        return client


# --------------------------------------------------------------------------- errors


class _NotFound(AwsError):
    """AWS does not know (one of) the VPN connection ids asked for."""


@contextmanager
def aws_errors(ctx: AwsContext, action: str) -> Iterator[None]:
    """Turn botocore failures during `action` into one actionable AwsError line."""
    try:
        yield
    except CgwError:
        raise
    except bex.ClientError as error:
        code = str(error.response.get("Error", {}).get("Code", ""))
        message = _client_error_message(ctx, action, error)
        if code in _NOT_FOUND_CODES:
            raise _NotFound(message) from None
        raise AwsError(message) from None
    except (bex.NoCredentialsError, bex.PartialCredentialsError):
        raise AwsError(
            "no AWS credentials found: set AWS_PROFILE (or --profile), run `aws configure`"
            " or `aws sso login`, or export AWS_ACCESS_KEY_ID/AWS_SECRET_ACCESS_KEY"
        ) from None
    except (bex.TokenRetrievalError, bex.SSOTokenLoadError, bex.UnauthorizedSSOTokenError):
        raise AwsError("the AWS SSO session has expired: run `aws sso login`") from None
    except bex.NoRegionError:
        raise AwsError("no AWS region: pass --region or set AWS_DEFAULT_REGION") from None
    except (bex.EndpointConnectionError, bex.ConnectTimeoutError, bex.ConnectionClosedError):
        raise AwsError(
            f"cannot reach the AWS endpoint for {action} ({_endpoint(ctx)}): check the network,"
            " proxy settings and AWS_ENDPOINT_URL"
        ) from None
    except bex.ReadTimeoutError:
        raise AwsError(
            f"AWS did not answer {action} in time ({_endpoint(ctx)}): retry later"
        ) from None
    except bex.BotoCoreError as error:
        raise AwsError(f"AWS {action} failed: {_first_line(str(error))}") from None


def _client_error_message(ctx: AwsContext, action: str, error: bex.ClientError) -> str:
    details = error.response.get("Error", {})
    code = str(details.get("Code", "Unknown"))
    message = _first_line(str(details.get("Message", "")))
    where = f"region {ctx.region}" + (f", profile {ctx.profile}" if ctx.profile else "")
    if code in _NOT_FOUND_CODES:
        return f"{message or 'VPN connection not found'} ({where}): check the VPN id and region"
    if code in _DENIED_CODES:
        return (
            f"AWS denied {action} ({code}, {where}): grant ec2:Describe* (and"
            " secretsmanager:GetSecretValue for stored keys) to these credentials"
        )
    if code in _THROTTLE_CODES:
        return (
            f"AWS throttled {action} after {ctx.max_attempts + 1} attempts ({code}): retry in a"
            " minute or select fewer VPN connections"
        )
    if code in _BAD_CREDENTIAL_CODES:
        return f"AWS rejected the credentials ({code}, {where}): refresh or fix them"
    if code == "ResourceNotFoundException":
        return f"{action}: the Secrets Manager secret does not exist ({where})"
    return f"AWS {action} failed ({code}): {message}"


def _endpoint(ctx: AwsContext) -> str:
    try:
        return str(ctx.ec2().meta.endpoint_url)
    except CgwError:
        return "unknown endpoint"


def _first_line(text: str) -> str:
    return text.strip().splitlines()[0] if text.strip() else ""


# --------------------------------------------------------------------------- XML


@dataclass(frozen=True)
class XmlPhase:
    """One phase's algorithms as the XML words them (a single choice each)."""

    encryption: str | None
    integrity: str | None
    dh_group: int | None
    lifetime_s: int | None


@dataclass(frozen=True)
class XmlTunnel:
    """One <ipsec_tunnel> of the CustomerGatewayConfiguration XML."""

    aws_outside_ip: IpAddress
    cgw_outside_ip: IpAddress | None
    aws_inside_ip: IPv4Address | None
    cgw_inside_ip: IPv4Address | None
    inside_cidr: IPv4Network | None
    psk: PreSharedKey | None
    aws_asn: int | None
    cgw_asn: int | None
    hold_time_s: int | None
    ike_mode: str | None
    ike: XmlPhase
    ipsec: XmlPhase
    dpd_timeout_s: int | None


def parse_customer_gateway_configuration(text: str) -> tuple[XmlTunnel, ...]:
    """Parse AWS's CustomerGatewayConfiguration XML into its tunnels, in document order.

    DOCTYPE and entity declarations are refused (AWS never sends them), which rules out
    entity-expansion tricks without needing defusedxml.
    """
    if "<!DOCTYPE" in text.upper() or "<!ENTITY" in text.upper():
        raise AwsError("the CustomerGatewayConfiguration XML contains a DOCTYPE/ENTITY: refused")
    try:
        root = ET.fromstring(text.strip())
    except ET.ParseError as error:
        raise AwsError(f"the CustomerGatewayConfiguration XML is malformed ({error})") from None
    if root.tag != "vpn_connection":
        raise AwsError("the CustomerGatewayConfiguration XML has no <vpn_connection> root")
    return tuple(_xml_tunnel(element) for element in root.findall("ipsec_tunnel"))


def _text(element: ET.Element, path: str) -> str | None:
    found = element.find(path)
    if found is None or found.text is None or not found.text.strip():
        return None
    return found.text.strip()


def _int(element: ET.Element, path: str) -> int | None:
    value = _text(element, path)
    return int(value) if value is not None and value.isdigit() else None


def _group(value: str | None) -> int | None:
    if value is None:
        return None
    digits = value.lower().removeprefix("group")
    return int(digits) if digits.isdigit() else None


def _xml_phase(element: ET.Element, path: str) -> XmlPhase:
    return XmlPhase(
        encryption=_text(element, f"{path}/encryption_protocol"),
        integrity=_text(element, f"{path}/authentication_protocol"),
        dh_group=_group(_text(element, f"{path}/perfect_forward_secrecy")),
        lifetime_s=_int(element, f"{path}/lifetime"),
    )


def _xml_tunnel(element: ET.Element) -> XmlTunnel:
    aws_outside = _text(element, "vpn_gateway/tunnel_outside_address/ip_address")
    if aws_outside is None:
        raise AwsError("the CustomerGatewayConfiguration XML has a tunnel without an AWS address")
    cgw_outside = _text(element, "customer_gateway/tunnel_outside_address/ip_address")
    cgw_inside = _text(element, "customer_gateway/tunnel_inside_address/ip_address")
    aws_inside = _text(element, "vpn_gateway/tunnel_inside_address/ip_address")
    prefix = _int(element, "customer_gateway/tunnel_inside_address/network_cidr")
    psk = _text(element, "ike/pre_shared_key")
    interval = _int(element, "ipsec/dead_peer_detection/interval")
    retries = _int(element, "ipsec/dead_peer_detection/retries")
    return XmlTunnel(
        aws_outside_ip=ip_address(aws_outside, "XML AWS outside address"),
        cgw_outside_ip=ip_address(cgw_outside, "XML CGW outside address") if cgw_outside else None,
        aws_inside_ip=ipv4_address(aws_inside, "XML AWS inside address") if aws_inside else None,
        cgw_inside_ip=ipv4_address(cgw_inside, "XML CGW inside address") if cgw_inside else None,
        inside_cidr=(
            IPv4Network(f"{cgw_inside}/{prefix}", strict=False) if cgw_inside and prefix else None
        ),
        psk=PreSharedKey(psk) if psk and psk not in _REDACTED else None,
        aws_asn=_int(element, "vpn_gateway/bgp/asn"),
        cgw_asn=_int(element, "customer_gateway/bgp/asn"),
        hold_time_s=_int(element, "vpn_gateway/bgp/hold_time")
        or _int(element, "customer_gateway/bgp/hold_time"),
        ike_mode=_text(element, "ike/mode"),
        ike=_xml_phase(element, "ike"),
        ipsec=_xml_phase(element, "ipsec"),
        dpd_timeout_s=interval * retries if interval and retries else None,
    )


# --------------------------------------------------------------------------- tunnels


def _values(option: Mapping[str, Any], key: str) -> tuple[Any, ...]:
    return tuple(item["Value"] for item in option.get(key) or () if "Value" in item)


def _from_xml_word(
    word: str | None, table: Mapping[str, str], default: tuple[str, ...]
) -> tuple[str, ...]:
    if word is None:
        return default
    mapped = table.get(word.lower())
    if mapped is None:
        raise AwsError(f"the CustomerGatewayConfiguration XML names an unknown algorithm {word!r}")
    return (mapped,)


def _proposals_from_options(option: Mapping[str, Any]) -> tuple[Proposal, Proposal]:
    """Both phases from TunnelOptions, with AWS's defaults where a list or lifetime is empty."""
    phase1 = Proposal(
        encryption=_values(option, "Phase1EncryptionAlgorithms") or ENCRYPTION_ALGORITHMS,
        integrity=_values(option, "Phase1IntegrityAlgorithms") or INTEGRITY_ALGORITHMS,
        dh_groups=tuple(int(g) for g in _values(option, "Phase1DHGroupNumbers"))
        or PHASE1_DH_GROUPS,
        lifetime_s=int(option.get("Phase1LifetimeSeconds") or DEFAULT_PHASE1_LIFETIME_S),
        phase=1,
    )
    phase2 = Proposal(
        encryption=_values(option, "Phase2EncryptionAlgorithms") or ENCRYPTION_ALGORITHMS,
        integrity=_values(option, "Phase2IntegrityAlgorithms") or INTEGRITY_ALGORITHMS,
        dh_groups=tuple(int(g) for g in _values(option, "Phase2DHGroupNumbers"))
        or PHASE2_DH_GROUPS,
        lifetime_s=int(option.get("Phase2LifetimeSeconds") or DEFAULT_PHASE2_LIFETIME_S),
        phase=2,
    )
    return phase1, phase2


def _proposals_from_xml(xml: XmlTunnel) -> tuple[Proposal, Proposal]:
    """Both phases from the XML alone (old connections without TunnelOptions)."""
    phases = []
    for number, phase, default_lifetime, groups in (
        (1, xml.ike, DEFAULT_PHASE1_LIFETIME_S, PHASE1_DH_GROUPS),
        (2, xml.ipsec, DEFAULT_PHASE2_LIFETIME_S, PHASE2_DH_GROUPS),
    ):
        phases.append(
            Proposal(
                encryption=_from_xml_word(phase.encryption, XML_ENCRYPTION, ENCRYPTION_ALGORITHMS),
                integrity=_from_xml_word(phase.integrity, XML_INTEGRITY, INTEGRITY_ALGORITHMS),
                dh_groups=(phase.dh_group,) if phase.dh_group else groups,
                lifetime_s=phase.lifetime_s or default_lifetime,
                phase=1 if number == 1 else 2,
            )
        )
    return phases[0], phases[1]


@dataclass(frozen=True)
class _VpnFacts:
    """What one VPN connection's tunnels need besides their own options."""

    vpn_id: str
    customer_gateway: CustomerGateway
    amazon_side_asn: int | None
    bgp: bool


def _inside(
    option: Mapping[str, Any], xml: XmlTunnel | None, what: str
) -> tuple[IPv4Network, IPv4Address, IPv4Address]:
    """The inside /30 and both inside addresses; AWS takes the first host, the CGW the second."""
    cidr_text = option.get("TunnelInsideCidr")
    if cidr_text:
        cidr = ipv4_network(cidr_text, f"{what} inside CIDR")
        if xml is not None and xml.inside_cidr == cidr and xml.aws_inside_ip and xml.cgw_inside_ip:
            return cidr, xml.aws_inside_ip, xml.cgw_inside_ip
        hosts = list(cidr.hosts())
        return cidr, hosts[0], hosts[1]
    if xml is not None and xml.inside_cidr and xml.aws_inside_ip and xml.cgw_inside_ip:
        return xml.inside_cidr, xml.aws_inside_ip, xml.cgw_inside_ip
    raise AwsError(f"{what}: AWS gave no inside CIDR; the VPN connection may still be pending")


def build_tunnel(
    number: int,
    option: Mapping[str, Any] | None,
    xml: XmlTunnel | None,
    facts: _VpnFacts,
    stored_psk: PreSharedKey | None = None,
) -> Tunnel:
    """One Tunnel from its TunnelOptions entry (source of truth) and its matching XML tunnel."""
    option = option or {}
    outside = option.get("OutsideIpAddress") or (xml.aws_outside_ip if xml else None)
    what = f"{facts.vpn_id} tunnel {number}"
    if outside is None:
        raise AwsError(f"{what}: AWS gave no outside IP; the VPN connection may still be pending")
    psk_text = option.get("PreSharedKey")
    psk = (
        PreSharedKey(psk_text)
        if psk_text and psk_text not in _REDACTED
        else stored_psk or (xml.psk if xml else None)
    )
    if psk is None:
        raise AwsError(f"{what}: no pre-shared key visible; check secretsmanager permissions")
    cidr, aws_inside, cgw_inside = _inside(option, xml, what)
    if option:
        phase1, phase2 = _proposals_from_options(option)
        ike_versions: tuple[str, ...] = _values(option, "IkeVersions") or IKE_VERSIONS
        dpd = Dpd(
            timeout_s=int(option.get("DpdTimeoutSeconds") or DEFAULT_DPD_TIMEOUT_S),
            action=str(option.get("DpdTimeoutAction") or DEFAULT_DPD_ACTION),
        )
    else:
        assert xml is not None
        phase1, phase2 = _proposals_from_xml(xml)
        ike_versions = ("ikev1",) if (xml.ike_mode or "").lower() == "main" else IKE_VERSIONS
        dpd = Dpd(timeout_s=max(30, xml.dpd_timeout_s or DEFAULT_DPD_TIMEOUT_S))
    bgp = None
    if facts.bgp:
        aws_asn = (xml.aws_asn if xml else None) or facts.amazon_side_asn
        if aws_asn is None:
            raise AwsError(f"{what}: AWS gave no amazon-side ASN for BGP")
        bgp = BgpPeering(
            aws_asn=aws_asn,
            cgw_asn=(xml.cgw_asn if xml else None) or facts.customer_gateway.asn,
            hold_time_s=(xml.hold_time_s if xml else None) or DEFAULT_BGP_HOLD_TIME_S,
        )
    return Tunnel(
        number=number,
        aws_outside_ip=ip_address(outside, f"{what} AWS outside IP"),
        cgw_outside_ip=(xml.cgw_outside_ip if xml and xml.cgw_outside_ip else None)
        or facts.customer_gateway.ip,
        inside_cidr=cidr,
        aws_inside_ip=aws_inside,
        cgw_inside_ip=cgw_inside,
        psk=psk,
        ike_versions=ike_versions,
        phase1=phase1,
        phase2=phase2,
        rekey_margin_s=int(option.get("RekeyMarginTimeSeconds") or DEFAULT_REKEY_MARGIN_S),
        rekey_fuzz_pct=int(option.get("RekeyFuzzPercentage") or DEFAULT_REKEY_FUZZ_PCT),
        replay_window=int(option.get("ReplayWindowSize") or DEFAULT_REPLAY_WINDOW),
        dpd=dpd,
        startup_action=str(option.get("StartupAction") or DEFAULT_STARTUP_ACTION),
        bgp=bgp,
    )


def parse_telemetry(raw: RawVpn) -> tuple[TunnelTelemetry, ...]:
    """AWS's own per-tunnel status (VgwTelemetry) of one VPN connection."""
    telemetry = []
    for entry in raw.get("VgwTelemetry") or ():
        changed = entry.get("LastStatusChange")
        telemetry.append(
            TunnelTelemetry(
                aws_outside_ip=ip_address(entry.get("OutsideIpAddress"), "telemetry outside IP"),
                status=str(entry.get("Status", "UNKNOWN")),
                status_message=str(entry.get("StatusMessage") or ""),
                accepted_route_count=int(entry.get("AcceptedRouteCount") or 0),
                last_status_change=(
                    changed.isoformat() if isinstance(changed, datetime) else str(changed or "")
                ),
            )
        )
    return tuple(telemetry)


def build_vpn_connection(
    raw: RawVpn,
    customer_gateway: CustomerGateway,
    amazon_side_asn: int | None,
    stored_psks: Mapping[int, PreSharedKey] | None = None,
) -> VpnConnection:
    """A VpnConnection from one DescribeVpnConnections entry; pure, so tests feed it directly.

    Tunnels are matched to the XML's <ipsec_tunnel> elements by AWS outside IP, never by position;
    tunnel 1 is the first TunnelOptions entry (the console's Tunnel 1).
    """
    vpn_id = str(raw.get("VpnConnectionId"))
    try:
        return _build_vpn_connection(raw, customer_gateway, amazon_side_asn, stored_psks or {})
    except AwsError:
        raise
    except CgwError as error:
        raise AwsError(f"{vpn_id}: AWS returned a value cgw cannot use: {error}") from None


def _build_vpn_connection(
    raw: RawVpn,
    customer_gateway: CustomerGateway,
    amazon_side_asn: int | None,
    stored_psks: Mapping[int, PreSharedKey],
) -> VpnConnection:
    vpn_id = str(raw.get("VpnConnectionId"))
    options: Mapping[str, Any] = raw.get("Options") or {}
    xml_text = raw.get("CustomerGatewayConfiguration")
    xml_tunnels = parse_customer_gateway_configuration(xml_text) if xml_text else ()
    by_outside_ip = {t.aws_outside_ip: t for t in xml_tunnels}
    tunnel_options = [o for o in options.get("TunnelOptions") or () if o.get("OutsideIpAddress")]
    pairs: list[tuple[Mapping[str, Any] | None, XmlTunnel | None]]
    if tunnel_options:
        pairs = [
            (o, by_outside_ip.get(ip_address(o["OutsideIpAddress"], f"{vpn_id} outside IP")))
            for o in tunnel_options
        ]
    else:
        pairs = [(None, t) for t in xml_tunnels]
    if len(pairs) != 2:
        raise AwsError(f"{vpn_id}: AWS describes {len(pairs)} tunnels instead of 2")
    routing: Routing = "static" if options.get("StaticRoutesOnly") else "bgp"
    facts = _VpnFacts(vpn_id, customer_gateway, amazon_side_asn, bgp=routing == "bgp")
    tunnels = tuple(
        build_tunnel(n, option, xml, facts, stored_psks.get(n))
        for n, (option, xml) in enumerate(pairs, start=1)
    )
    gateway = (
        Gateway(kind="tgw", id=str(raw["TransitGatewayId"]))
        if raw.get("TransitGatewayId")
        else Gateway(kind="vgw", id=str(raw.get("VpnGatewayId")))
    )
    outside_type: OutsideIpType = options.get("OutsideIpAddressType") or "PublicIpv4"
    return VpnConnection(
        id=vpn_id,
        type=str(raw.get("Type", "ipsec.1")),
        gateway=gateway,
        customer_gateway=customer_gateway,
        routing=routing,
        tunnels=(tunnels[0], tunnels[1]),
        amazon_side_asn=amazon_side_asn,
        outside_ip_type=outside_type,
        static_routes=tuple(
            ipv4_network(r["DestinationCidrBlock"], f"{vpn_id} static route")
            for r in raw.get("Routes") or ()
            if r.get("State") not in _GONE_STATES
        ),
        state=str(raw.get("State", "available")),
        telemetry=parse_telemetry(raw),
    )


# --------------------------------------------------------------------------- stored PSKs


def psks_from_secret(secret: str, outside_ips: Sequence[IpAddress]) -> dict[int, PreSharedKey]:
    """Per-tunnel PSKs (by tunnel number) from a Secrets Manager value, JSON or plain.

    Accepted JSON: an object keyed by tunnel outside IP, by `tunnel1`/`Tunnel1PreSharedKey`-like
    names or holding one `PreSharedKey`; a list of strings in tunnel order; a list of objects
    with OutsideIpAddress and PreSharedKey. A plain value is the key of every tunnel.
    """
    try:
        document = json.loads(secret)
    except ValueError:
        document = secret.strip()
    found: dict[int, str] = {}
    if isinstance(document, str):
        found = {n: document for n in range(1, len(outside_ips) + 1)}
    elif isinstance(document, list):
        found = _psks_from_list(document, outside_ips)
    elif isinstance(document, dict):
        found = _psks_from_object(document, outside_ips)
    try:
        return {n: PreSharedKey(value) for n, value in found.items()}
    except CgwError:
        raise AwsError("the Secrets Manager secret holds a malformed pre-shared key") from None


def _psks_from_list(items: list[Any], outside_ips: Sequence[IpAddress]) -> dict[int, str]:
    if all(isinstance(item, str) for item in items):
        return {n: item for n, item in enumerate(items, start=1)}
    found = {}
    for item in items:
        if isinstance(item, dict):
            entry = {_squash(k): v for k, v in item.items()}
            address = entry.get("outsideipaddress") or entry.get("outsideip")
            value = entry.get("presharedkey") or entry.get("psk")
            for n, ip in enumerate(outside_ips, start=1):
                if address and str(ip) == str(address) and isinstance(value, str):
                    found[n] = value
    return found


def _psks_from_object(document: dict[str, Any], outside_ips: Sequence[IpAddress]) -> dict[int, str]:
    entries = {_squash(k): v for k, v in document.items()}
    found = {}
    for n, ip in enumerate(outside_ips, start=1):
        for key in (
            str(ip),
            f"tunnel{n}presharedkey",
            f"tunnel{n}psk",
            f"tunnel{n}",
            "presharedkey",
            "psk",
        ):
            value = entries.get(_squash(key))
            if isinstance(value, dict):
                inner = {_squash(k): v for k, v in value.items()}
                value = inner.get("presharedkey") or inner.get("psk")
            if isinstance(value, str):
                found[n] = value
                break
    return found


def _squash(key: str) -> str:
    return "".join(ch for ch in key.lower() if ch.isalnum() or ch == ".")


# --------------------------------------------------------------------------- fetch


VPN_ID = re.compile(r"vpn-(?:[0-9a-f]{8}|[0-9a-f]{17})")
# A reply's words naming the ids it does not know: "The vpnConnection ID 'vpn-…' does not exist".
_NAMED_IDS = re.compile(r"vpn-[0-9A-Za-z]+")


def check_vpn_id(value: str, what: str = "VPN connection id") -> str:
    """Refuse anything but `vpn-` and 8 or 17 hex digits before it reaches AWS (one line)."""
    if not VPN_ID.fullmatch(value):
        shown = value if len(value) <= 40 else value[:40] + "…"
        hint = "" if value.startswith("vpn-") else f" ({shown.split('-', 1)[0]}- is not a VPN)"
        raise AwsError(
            f"{what} {shown!r} is not a VPN connection id like vpn-0abc1234 or"
            f" vpn-0123456789abcdef0{hint}"
        )
    return value


@dataclass(frozen=True)
class VpnLookup:
    """VPN connections by id and by customer gateway IP; a one-line error per selector not found."""

    by_id: dict[str, VpnConnection]
    by_ip: dict[str, list[VpnConnection]]
    errors: dict[str, str]


def lookup_vpns(
    ctx: AwsContext, vpn_ids: Iterable[str] = (), customer_gateway_ips: Iterable[str] = ()
) -> VpnLookup:
    """Fetch many devices' VPNs at once; a selector AWS does not know fails alone.

    One DescribeVpnConnections for every id (AWS refuses the whole call when one id is unknown:
    cgw then asks again without the ids the reply names), one DescribeCustomerGateways and one
    DescribeVpnConnections for every customer gateway IP. An error that is no one VPN's (no
    credentials, throttling, no network) still stops the command.
    """
    errors: dict[str, str] = {}
    ids = []
    for vpn_id in dict.fromkeys(vpn_ids):
        try:
            ids.append(check_vpn_id(vpn_id, "vpn.vpn_id"))
        except AwsError as exc:
            errors[vpn_id] = str(exc)
    ips = list(
        dict.fromkeys(str(ip_address(ip, "customer gateway IP")) for ip in customer_gateway_ips)
    )
    raw_vpns = _describe_known_ids(ctx, ids, errors) if ids else []
    for raw in raw_vpns:
        if raw.get("State") in _GONE_STATES:
            errors[raw["VpnConnectionId"]] = (
                f"{raw['VpnConnectionId']} is {raw['State']}: select a live VPN connection"
            )
    raw_vpns = [r for r in raw_vpns if r.get("State") not in _GONE_STATES]
    customer_gateways: dict[str, Mapping[str, Any]] = {}
    if ips:
        with aws_errors(ctx, "DescribeCustomerGateways"):
            response = ctx.ec2().describe_customer_gateways(
                Filters=[{"Name": "ip-address", "Values": ips}]
            )
        customer_gateways = {
            c["CustomerGatewayId"]: c
            for c in response.get("CustomerGateways", [])
            if c.get("State") not in _GONE_STATES
        }
        by_filter = (
            _describe_vpn_connections(
                ctx, [], [{"Name": "customer-gateway-id", "Values": sorted(customer_gateways)}]
            )
            if customer_gateways
            else []
        )
        seen = {r["VpnConnectionId"] for r in raw_vpns}
        raw_vpns += [
            r
            for r in by_filter
            if r.get("State") not in _GONE_STATES and r["VpnConnectionId"] not in seen
        ]
    missing = {r["CustomerGatewayId"] for r in raw_vpns} - set(customer_gateways)
    customer_gateways.update(_customer_gateways_by_id(ctx, sorted(missing)))
    asns = _amazon_side_asns(ctx, raw_vpns)
    by_id: dict[str, VpnConnection] = {}
    for raw in raw_vpns:
        try:
            cgw = _customer_gateway(customer_gateways[raw["CustomerGatewayId"]])
            asn = asns.get(raw.get("TransitGatewayId") or raw.get("VpnGatewayId") or "")
            by_id[raw["VpnConnectionId"]] = build_vpn_connection(
                raw, cgw, asn, _stored_psks(ctx, raw)
            )
        except CgwError as exc:
            errors[raw["VpnConnectionId"]] = str(exc)
    by_ip: dict[str, list[VpnConnection]] = {}
    for vpn in by_id.values():
        by_ip.setdefault(str(vpn.customer_gateway.ip), []).append(vpn)
    for ip in ips:
        if not any(c.get("IpAddress") == ip for c in customer_gateways.values()):
            errors[ip] = f"no customer gateway with IP {ip} in this region: check the IP"
        elif ip not in by_ip:
            errors[ip] = f"no live VPN connection uses customer gateway {ip}: check the IP"
    return VpnLookup(by_id={k: v for k, v in by_id.items() if k in ids}, by_ip=by_ip, errors=errors)


def _describe_known_ids(ctx: AwsContext, ids: list[str], errors: dict[str, str]) -> list[RawVpn]:
    """DescribeVpnConnections for `ids`; ids AWS says it does not know go to `errors`."""
    remaining = list(ids)
    while remaining:
        try:
            return _describe_vpn_connections(ctx, remaining, [])
        except _NotFound as exc:
            named = [i for i in _NAMED_IDS.findall(str(exc)) if i in remaining]
            if not named and len(remaining) > 1:
                # The reply names no id: ask one by one, so only the unknown ones fail.
                return [raw for i in remaining for raw in _describe_known_ids(ctx, [i], errors)]
            for vpn_id in named or remaining:
                errors[vpn_id] = str(exc)
            remaining = [i for i in remaining if i not in (named or remaining)]
    return []


def fetch_vpn_connections(
    ctx: AwsContext,
    vpn_ids: Iterable[str] = (),
    customer_gateway_ips: Iterable[str | IpAddress] = (),
    tags: Mapping[str, str] | None = None,
) -> list[VpnConnection]:
    """Fetch VPN connections selected by id, customer gateway IP and/or tags, in few API calls."""
    ids = list(dict.fromkeys(vpn_ids))
    cgw_ips = list(
        dict.fromkeys(str(ip_address(ip, "customer gateway IP")) for ip in customer_gateway_ips)
    )
    tags = dict(tags or {})
    customer_gateways: dict[str, Mapping[str, Any]] = {}
    filters: list[dict[str, Any]] = []
    if cgw_ips:
        customer_gateways = _customer_gateways_by_ip(ctx, cgw_ips)
        filters.append({"Name": "customer-gateway-id", "Values": sorted(customer_gateways)})
    filters += [{"Name": f"tag:{key}", "Values": [value]} for key, value in tags.items()]
    raw_vpns = _describe_vpn_connections(ctx, ids, filters)
    raw_vpns = _check_selection(raw_vpns, ids, cgw_ips, customer_gateways, tags)
    missing = {r["CustomerGatewayId"] for r in raw_vpns} - set(customer_gateways)
    customer_gateways.update(_customer_gateways_by_id(ctx, sorted(missing)))
    asns = _amazon_side_asns(ctx, raw_vpns)
    vpns = []
    for raw in raw_vpns:
        cgw = _customer_gateway(customer_gateways[raw["CustomerGatewayId"]])
        asn = asns.get(raw.get("TransitGatewayId") or raw.get("VpnGatewayId") or "")
        vpns.append(build_vpn_connection(raw, cgw, asn, _stored_psks(ctx, raw)))
    return vpns


def fetch_telemetry(
    ctx: AwsContext, vpn_ids: Iterable[str]
) -> dict[str, tuple[TunnelTelemetry, ...]]:
    """AWS's per-tunnel status for each VPN id, from one DescribeVpnConnections call."""
    ids = list(dict.fromkeys(vpn_ids))
    if not ids:
        return {}
    return {
        raw["VpnConnectionId"]: parse_telemetry(raw)
        for raw in _describe_vpn_connections(ctx, ids, [])
    }


def _describe_vpn_connections(
    ctx: AwsContext, ids: list[str], filters: list[dict[str, Any]]
) -> list[RawVpn]:
    kwargs: dict[str, Any] = {}
    if ids:
        kwargs["VpnConnectionIds"] = ids
    if filters:
        kwargs["Filters"] = filters
    with aws_errors(ctx, "DescribeVpnConnections"):
        response = ctx.ec2().describe_vpn_connections(**kwargs)
    return list(response.get("VpnConnections", []))


def _check_selection(
    raw_vpns: list[RawVpn],
    ids: list[str],
    cgw_ips: list[str],
    customer_gateways: Mapping[str, Mapping[str, Any]],
    tags: Mapping[str, str],
) -> list[RawVpn]:
    """Refuse gone VPNs asked for by id; drop gone ones matched by filter; name empty matches."""
    for raw in raw_vpns:
        if raw["VpnConnectionId"] in ids and raw.get("State") in _GONE_STATES:
            raise AwsError(
                f"{raw['VpnConnectionId']} is {raw['State']}: select a live VPN connection"
            )
    live = [r for r in raw_vpns if r.get("State") not in _GONE_STATES]
    for ip in cgw_ips:
        cgw_ids = {k for k, v in customer_gateways.items() if v.get("IpAddress") == ip}
        if not any(r.get("CustomerGatewayId") in cgw_ids for r in live):
            raise AwsError(f"no live VPN connection uses customer gateway {ip}: check the IP")
    if not live:
        wanted = ", ".join(f"{k}={v}" for k, v in tags.items()) or "the selection"
        raise AwsError(f"no live VPN connection matches {wanted}: check the tags and region")
    return live


def _customer_gateways_by_ip(ctx: AwsContext, ips: list[str]) -> dict[str, Mapping[str, Any]]:
    with aws_errors(ctx, "DescribeCustomerGateways"):
        response = ctx.ec2().describe_customer_gateways(
            Filters=[{"Name": "ip-address", "Values": ips}]
        )
    found: dict[str, Mapping[str, Any]] = {
        c["CustomerGatewayId"]: c
        for c in response.get("CustomerGateways", [])
        if c.get("State") not in _GONE_STATES
    }
    known = {c.get("IpAddress") for c in found.values()}
    for ip in ips:
        if ip not in known:
            raise AwsError(f"no customer gateway with IP {ip} in this region: check the IP")
    return found


def _customer_gateways_by_id(ctx: AwsContext, ids: list[str]) -> dict[str, Mapping[str, Any]]:
    if not ids:
        return {}
    with aws_errors(ctx, "DescribeCustomerGateways"):
        response = ctx.ec2().describe_customer_gateways(CustomerGatewayIds=ids)
    return {c["CustomerGatewayId"]: c for c in response.get("CustomerGateways", [])}


def _customer_gateway(raw: Mapping[str, Any]) -> CustomerGateway:
    cgw_id = str(raw.get("CustomerGatewayId"))
    try:
        return CustomerGateway(
            id=cgw_id,
            ip=ip_address(raw.get("IpAddress"), f"{cgw_id} IP address"),
            asn=check_asn(int(str(raw.get("BgpAsn") or 65000)), f"{cgw_id} BGP ASN"),
        )
    except (CgwError, ValueError) as error:
        raise AwsError(
            f"{cgw_id}: AWS returned a customer gateway cgw cannot use: {error}"
        ) from None


def _amazon_side_asns(ctx: AwsContext, raw_vpns: list[RawVpn]) -> dict[str, int]:
    """Amazon-side ASN per VGW/TGW id, one batched call per gateway kind."""
    vgw_ids = sorted({r["VpnGatewayId"] for r in raw_vpns if r.get("VpnGatewayId")})
    tgw_ids = sorted({r["TransitGatewayId"] for r in raw_vpns if r.get("TransitGatewayId")})
    asns: dict[str, int] = {}
    if vgw_ids:
        with aws_errors(ctx, "DescribeVpnGateways"):
            response = ctx.ec2().describe_vpn_gateways(VpnGatewayIds=vgw_ids)
        for vgw in response.get("VpnGateways", []):
            if vgw.get("AmazonSideAsn"):
                asns[vgw["VpnGatewayId"]] = int(vgw["AmazonSideAsn"])
    if tgw_ids:
        with aws_errors(ctx, "DescribeTransitGateways"):
            tgw_response = ctx.ec2().describe_transit_gateways(TransitGatewayIds=tgw_ids)
        for tgw in tgw_response.get("TransitGateways", []):
            asn = (tgw.get("Options") or {}).get("AmazonSideAsn")
            if asn:
                asns[tgw["TransitGatewayId"]] = int(asn)
    return asns


def _stored_psks(ctx: AwsContext, raw: RawVpn) -> dict[int, PreSharedKey]:
    """PSKs kept in Secrets Manager, read only when TunnelOptions does not show them."""
    arn = raw.get("PreSharedKeyArn")
    options = (raw.get("Options") or {}).get("TunnelOptions") or []
    if not arn or all(o.get("PreSharedKey") not in (None, *_REDACTED) for o in options):
        return {}
    with aws_errors(ctx, "secretsmanager:GetSecretValue"):
        secret = ctx.secretsmanager().get_secret_value(SecretId=arn)
    value = secret.get("SecretString")
    if value is None:
        raise AwsError(f"{raw['VpnConnectionId']}: the PSK secret has no string value")
    outside_ips = [ip_address(o.get("OutsideIpAddress"), "outside IP") for o in options]
    return psks_from_secret(value, outside_ips)
