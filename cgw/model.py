"""The typed shapes passed between cgw's modules: a VPN connection, its two tunnels, a device.

Every value that can reach a device config is validated here by type and range, so nothing
free-form (a newline, a `!`, a quote) can ever be rendered into a configuration line.
"""

from __future__ import annotations

import ipaddress
import re
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field, fields
from functools import cache
from ipaddress import IPv4Address, IPv4Network, IPv6Address, IPv6Network
from typing import Literal, TypeVar

from cgw.errors import ValidationError
from cgw.secrets import Masker, PreSharedKey

IpAddress = IPv4Address | IPv6Address

LINK_LOCAL_V4 = IPv4Network("169.254.0.0/16")
# AWS reserves these /30s inside 169.254.0.0/16; they can't be tunnel inside CIDRs.
RESERVED_INSIDE_CIDRS = tuple(
    IPv4Network(c)
    for c in (
        "169.254.0.0/30",
        "169.254.1.0/30",
        "169.254.2.0/30",
        "169.254.3.0/30",
        "169.254.4.0/30",
        "169.254.5.0/30",
        "169.254.169.252/30",
    )
)

# AWS's words, in AWS's documented order (EC2 API VpnTunnelOptionsSpecification).
IKE_VERSIONS = ("ikev1", "ikev2")
ENCRYPTION_ALGORITHMS = ("AES128", "AES256", "AES128-GCM-16", "AES256-GCM-16")
# The ciphers that authenticate themselves (GCM): no separate integrity, a PRF in IKEv2.
AEAD_ENCRYPTION = frozenset({"AES128-GCM-16", "AES256-GCM-16"})
INTEGRITY_ALGORITHMS = ("SHA1", "SHA2-256", "SHA2-384", "SHA2-512")
PHASE1_DH_GROUPS = (2, 14, 15, 16, 17, 18, 19, 20, 21, 22, 23, 24)
PHASE2_DH_GROUPS = (2, 5, 14, 15, 16, 17, 18, 19, 20, 21, 22, 23, 24)

# cgw's preference, strongest first, for where a router offers one choice or order decides what
# is negotiated. The tunnel's stored lists keep AWS's order; `strongest_first` reorders a copy.
# AES-256 before AES-128, and AEAD (GCM) before CBC at the same key size.
ENCRYPTION_PREFERENCE = ("AES256-GCM-16", "AES256", "AES128-GCM-16", "AES128")
# SHA2-256 first: mandatory to implement for IKEv2 (RFC 8247), hardware-accelerated everywhere
# and a match for AES-128/256 strength; then the longer SHA-2s, slower and rarer on small
# routers; SHA1 (collision-broken) last.
INTEGRITY_PREFERENCE = ("SHA2-256", "SHA2-384", "SHA2-512", "SHA1")
# Elliptic curves first (strong and cheap to compute): 20 (P-384) and 19 (P-256), supported by
# every platform cgw renders, then 21 (P-521), less widely; then the 2048-bit MODP groups 14 (the
# baseline every IKE stack has) and 24, then the larger MODP groups 15-18 (stronger but slow);
# the small-subgroup groups 23 and 22, then 5 and 2 (1536/1024-bit, weak) only as a last resort.
DH_GROUP_PREFERENCE = (20, 19, 21, 14, 24, 15, 16, 17, 18, 23, 22, 5, 2)
DPD_ACTIONS = ("clear", "none", "restart")
STARTUP_ACTIONS = ("add", "start")

# AWS's documented defaults, applied where TunnelOptions leaves a value empty.
DEFAULT_PHASE1_LIFETIME_S = 28800
DEFAULT_PHASE2_LIFETIME_S = 3600
DEFAULT_REKEY_MARGIN_S = 270
DEFAULT_REKEY_FUZZ_PCT = 100
DEFAULT_REPLAY_WINDOW = 1024
DEFAULT_DPD_TIMEOUT_S = 40
DEFAULT_DPD_ACTION = "clear"
DEFAULT_STARTUP_ACTION = "add"
DEFAULT_BGP_HOLD_TIME_S = 30

Routing = Literal["bgp", "static"]
OutsideIpType = Literal["PublicIpv4", "PrivateIpv4", "Ipv6"]
GatewayKind = Literal["vgw", "tgw"]

_NAME_PATTERN = re.compile(r"[A-Za-z0-9][A-Za-z0-9_.-]{0,62}")
_INTERFACE_PATTERN = re.compile(r"[A-Za-z][A-Za-z0-9/._:-]{0,62}")
_AWS_ID_PATTERN = re.compile(r"(vpn|cgw|vgw|tgw)-[0-9a-f]{8,17}")
# A software release as vendors print it: 17.12.1a, 15.1X49-D170.4, 15.9(3)M4, 21.2R3-S2.
_RELEASE_PATTERN = re.compile(r"[0-9][A-Za-z0-9.()_-]{0,39}")


def check_asn(value: object, what: str = "ASN") -> int:
    """An autonomous system number as an int in 1..4294967295 (asplain)."""
    if isinstance(value, bool) or not isinstance(value, int):
        raise ValidationError(f"{what} must be a whole number, got {value!r}")
    if not 1 <= value <= 4294967295:
        raise ValidationError(f"{what} must be in 1..4294967295, got {value}")
    return value


def check_range(value: object, low: int, high: int, what: str) -> int:
    """An int within [low, high]; bools and strings are refused."""
    if isinstance(value, bool) or not isinstance(value, int):
        raise ValidationError(f"{what} must be a whole number, got {value!r}")
    if not low <= value <= high:
        raise ValidationError(f"{what} must be in {low}..{high}, got {value}")
    return value


def check_name(value: object, what: str) -> str:
    """A plain identifier (letters, digits, `_ . -`), safe as a config object name or file name."""
    if not isinstance(value, str) or not _NAME_PATTERN.fullmatch(value):
        raise ValidationError(
            f"{what} must be 1-63 characters of letters, digits, '_', '.', '-', got {value!r}"
        )
    return value


def check_interface(value: object, what: str = "interface") -> str:
    """An interface name such as GigabitEthernet0/0/1, ge-0/0/0.0 or eth0."""
    if not isinstance(value, str) or not _INTERFACE_PATTERN.fullmatch(value):
        raise ValidationError(
            f"{what} must be an interface name (letters, digits, '/', '.', '_', ':', '-'),"
            f" got {value!r}"
        )
    return value


def check_aws_id(value: object, what: str) -> str:
    """An AWS resource id such as vpn-0abc1234 or tgw-0123456789abcdef0."""
    if not isinstance(value, str) or not _AWS_ID_PATTERN.fullmatch(value):
        raise ValidationError(f"{what} is not an AWS id like vpn-0abc1234, got {value!r}")
    return value


def check_release(value: object, what: str = "release") -> str:
    """A software release string such as 17.12.1a or 15.1X49-D170.4 (interpreted by platforms)."""
    if not isinstance(value, str) or not _RELEASE_PATTERN.fullmatch(value):
        raise ValidationError(
            f"{what} must be a release such as 17.12.1a or 21.2R3-S2, got {value!r}"
        )
    return value


def ip_address(value: object, what: str) -> IpAddress:
    """Parse an IPv4 or IPv6 address, naming the field on failure."""
    if isinstance(value, IPv4Address | IPv6Address):
        return value
    try:
        return ipaddress.ip_address(str(value).strip())
    except ValueError:
        raise ValidationError(f"{what} is not an IP address: {value!r}") from None


def ipv4_address(value: object, what: str) -> IPv4Address:
    address = ip_address(value, what)
    if not isinstance(address, IPv4Address):
        raise ValidationError(f"{what} must be an IPv4 address, got {value!r}")
    return address


def ipv4_network(value: object, what: str) -> IPv4Network:
    """Parse an IPv4 prefix with host bits clear (10.0.0.0/16, not 10.0.0.1/16)."""
    if isinstance(value, IPv4Network):
        return value
    try:
        return IPv4Network(str(value).strip())
    except ValueError:
        raise ValidationError(f"{what} is not an IPv4 prefix: {value!r}") from None


def require_address(value: object, what: str) -> IpAddress:
    """An already-parsed IP address object (strings are parsed at the edges, not here)."""
    if not isinstance(value, IPv4Address | IPv6Address):
        raise ValidationError(f"{what} must be an IP address, got {value!r}")
    return value


def require_prefixes(values: object, what: str) -> tuple[IPv4Network, ...]:
    """A tuple of already-parsed IPv4 prefixes."""
    if not isinstance(values, tuple) or not all(isinstance(v, IPv4Network) for v in values):
        raise ValidationError(f"{what} must be IPv4 prefixes, got {values!r}")
    return values


def _ordered_subset(
    values: Iterable[object], allowed: tuple[object, ...], what: str
) -> tuple[object, ...]:
    items = tuple(values)
    for item in items:
        if item not in allowed:
            raise ValidationError(f"{what}: {item!r} is not one of {', '.join(map(str, allowed))}")
    if len(set(items)) != len(items):
        raise ValidationError(f"{what}: duplicate values in {list(items)}")
    if not items:
        raise ValidationError(f"{what}: at least one value is required")
    return items


Algorithm = TypeVar("Algorithm", str, int)


@cache  # a fleet's tunnels share a handful of algorithm lists
def strongest_first(
    values: tuple[Algorithm, ...], preference: tuple[Algorithm, ...]
) -> tuple[Algorithm, ...]:
    """The allowed values reordered by preference; any value the preference lacks goes last."""
    rank = {value: index for index, value in enumerate(preference)}
    return tuple(sorted(values, key=lambda value: rank.get(value, len(rank))))


@dataclass(frozen=True)
class Proposal:
    """One IKE phase: algorithms in AWS's words and order, and the SA lifetime."""

    encryption: tuple[str, ...]
    integrity: tuple[str, ...]
    dh_groups: tuple[int, ...]
    lifetime_s: int
    phase: Literal[1, 2] = 1

    def __hash__(self) -> int:
        # Proposals key the platforms' vendor-word caches; hash the fields once, not per lookup.
        cached: int | None = self.__dict__.get("_hash")
        if cached is None:
            cached = hash((self.encryption, self.integrity, self.dh_groups, self.lifetime_s))
            object.__setattr__(self, "_hash", cached)
        return cached

    def __post_init__(self) -> None:
        what = f"phase {self.phase}"
        _ordered_subset(self.encryption, ENCRYPTION_ALGORITHMS, f"{what} encryption")
        _ordered_subset(self.integrity, INTEGRITY_ALGORITHMS, f"{what} integrity")
        groups = PHASE1_DH_GROUPS if self.phase == 1 else PHASE2_DH_GROUPS
        _ordered_subset(self.dh_groups, groups, f"{what} DH groups")
        if self.phase == 1:
            check_range(self.lifetime_s, 900, 28800, "phase 1 lifetime (s)")
        else:
            check_range(self.lifetime_s, 900, 3600, "phase 2 lifetime (s)")


@dataclass(frozen=True)
class Dpd:
    """Dead peer detection: how long without an answer, and what to do then."""

    timeout_s: int = DEFAULT_DPD_TIMEOUT_S
    action: str = DEFAULT_DPD_ACTION

    def __post_init__(self) -> None:
        check_range(self.timeout_s, 30, 3600, "DPD timeout (s)")
        if self.action not in DPD_ACTIONS:
            raise ValidationError(f"DPD action must be one of {', '.join(DPD_ACTIONS)}")

    @property
    def interval_s(self) -> int:
        """Probe interval; AWS sends DPD every 10 s and declares the peer dead after the timeout."""
        return 10


@dataclass(frozen=True)
class BgpPeering:
    """The eBGP session carried by one tunnel."""

    aws_asn: int
    cgw_asn: int
    hold_time_s: int = DEFAULT_BGP_HOLD_TIME_S

    def __post_init__(self) -> None:
        check_asn(self.aws_asn, "AWS-side ASN")
        check_asn(self.cgw_asn, "customer gateway ASN")
        check_range(self.hold_time_s, 3, 65535, "BGP hold time (s)")

    @property
    def keepalive_s(self) -> int:
        return max(1, self.hold_time_s // 3)


@dataclass(frozen=True)
class Tunnel:
    """One of the two IPsec tunnels of an AWS VPN connection, with every negotiated parameter."""

    number: int
    aws_outside_ip: IpAddress
    cgw_outside_ip: IpAddress
    inside_cidr: IPv4Network
    aws_inside_ip: IPv4Address
    cgw_inside_ip: IPv4Address
    psk: PreSharedKey
    ike_versions: tuple[str, ...]
    phase1: Proposal
    phase2: Proposal
    rekey_margin_s: int = DEFAULT_REKEY_MARGIN_S
    rekey_fuzz_pct: int = DEFAULT_REKEY_FUZZ_PCT
    replay_window: int = DEFAULT_REPLAY_WINDOW
    dpd: Dpd = field(default_factory=Dpd)
    startup_action: str = DEFAULT_STARTUP_ACTION
    bgp: BgpPeering | None = None
    inside_ipv6_cidr: IPv6Network | None = None

    def __post_init__(self) -> None:
        check_range(self.number, 1, 2, "tunnel number")
        what = f"tunnel {self.number}"
        require_address(self.aws_outside_ip, f"{what}: AWS outside IP")
        require_address(self.cgw_outside_ip, f"{what}: customer gateway outside IP")
        require_address(self.aws_inside_ip, f"{what}: AWS inside IP")
        require_address(self.cgw_inside_ip, f"{what}: customer gateway inside IP")
        if not isinstance(self.psk, PreSharedKey):
            raise ValidationError(f"{what}: pre-shared key must be a PreSharedKey")
        check_inside_cidr(self.inside_cidr, what)
        hosts = list(self.inside_cidr.hosts())
        if self.aws_inside_ip not in hosts or self.cgw_inside_ip not in hosts:
            raise ValidationError(
                f"{what}: inside addresses must be the two hosts of {self.inside_cidr}"
            )
        if self.aws_inside_ip == self.cgw_inside_ip:
            raise ValidationError(f"{what}: AWS and customer inside addresses are the same")
        if self.inside_ipv6_cidr is not None and self.inside_ipv6_cidr.prefixlen != 126:
            raise ValidationError(f"{what}: IPv6 inside CIDR must be a /126")
        _ordered_subset(self.ike_versions, IKE_VERSIONS, f"{what} IKE versions")
        if self.phase1.phase != 1 or self.phase2.phase != 2:
            raise ValidationError(f"{what}: phase proposals are swapped")
        check_range(
            self.rekey_margin_s, 60, self.phase2.lifetime_s // 2, f"{what} rekey margin (s)"
        )
        check_range(self.rekey_fuzz_pct, 0, 100, f"{what} rekey fuzz (%)")
        check_range(self.replay_window, 64, 2048, f"{what} replay window")
        if self.startup_action not in STARTUP_ACTIONS:
            raise ValidationError(f"{what}: startup action must be add or start")

    @property
    def name(self) -> str:
        return f"tunnel{self.number}"

    @property
    def prefers_ikev2(self) -> bool:
        return "ikev2" in self.ike_versions


def check_inside_cidr(cidr: object, what: str) -> IPv4Network:
    """A tunnel inside CIDR: a /30 in 169.254.0.0/16, not one of AWS's reserved blocks."""
    if (
        not isinstance(cidr, IPv4Network)
        or cidr.prefixlen != 30
        or not cidr.subnet_of(LINK_LOCAL_V4)
    ):
        raise ValidationError(f"{what}: inside CIDR must be a /30 in 169.254.0.0/16, got {cidr}")
    if cidr in RESERVED_INSIDE_CIDRS:
        raise ValidationError(f"{what}: inside CIDR {cidr} is reserved by AWS")
    return cidr


@dataclass(frozen=True)
class CustomerGateway:
    id: str
    ip: IpAddress
    asn: int

    def __post_init__(self) -> None:
        check_aws_id(self.id, "customer gateway id")
        require_address(self.ip, "customer gateway IP")
        check_asn(self.asn, "customer gateway ASN")


@dataclass(frozen=True)
class Gateway:
    """The AWS side: a virtual private gateway or a transit gateway."""

    kind: GatewayKind
    id: str

    def __post_init__(self) -> None:
        if self.kind not in ("vgw", "tgw"):
            raise ValidationError(f"gateway kind must be vgw or tgw, got {self.kind!r}")
        check_aws_id(self.id, "gateway id")


@dataclass(frozen=True)
class TunnelTelemetry:
    """AWS's own view of one tunnel (VgwTelemetry)."""

    aws_outside_ip: IpAddress
    status: str
    status_message: str
    accepted_route_count: int
    last_status_change: str


@dataclass(frozen=True)
class VpnConnection:
    """An AWS Site-to-Site VPN connection: exactly two tunnels and how they are routed."""

    id: str
    type: str
    gateway: Gateway
    customer_gateway: CustomerGateway
    routing: Routing
    tunnels: tuple[Tunnel, Tunnel]
    amazon_side_asn: int | None = None
    outside_ip_type: OutsideIpType = "PublicIpv4"
    static_routes: tuple[IPv4Network, ...] = ()
    state: str = "available"
    telemetry: tuple[TunnelTelemetry, ...] = ()

    def __post_init__(self) -> None:
        check_aws_id(self.id, "VPN connection id")
        if self.type != "ipsec.1":
            raise ValidationError(
                f"{self.id}: only ipsec.1 VPN connections exist, got {self.type!r}"
            )
        if self.routing not in ("bgp", "static"):
            raise ValidationError(f"{self.id}: routing must be bgp or static")
        if len(self.tunnels) != 2:
            raise ValidationError(f"{self.id}: a VPN connection has exactly two tunnels")
        if [t.number for t in self.tunnels] != [1, 2]:
            raise ValidationError(f"{self.id}: tunnels must be numbered 1 and 2, in order")
        if self.tunnels[0].aws_outside_ip == self.tunnels[1].aws_outside_ip:
            raise ValidationError(f"{self.id}: both tunnels have the same AWS outside IP")
        if self.tunnels[0].inside_cidr.overlaps(self.tunnels[1].inside_cidr):
            raise ValidationError(f"{self.id}: both tunnels use the same inside CIDR")
        if self.amazon_side_asn is not None:
            check_asn(self.amazon_side_asn, "amazon-side ASN")
        if self.routing == "bgp" and any(t.bgp is None for t in self.tunnels):
            raise ValidationError(f"{self.id}: BGP routing but a tunnel has no BGP parameters")
        require_prefixes(self.static_routes, f"{self.id}: static routes")

    @property
    def short_id(self) -> str:
        """The id without its `vpn-` prefix, as AWS's own sample configs name objects."""
        return self.id.removeprefix("vpn-")

    def tunnel_by_outside_ip(self, address: IpAddress) -> Tunnel | None:
        return next((t for t in self.tunnels if t.aws_outside_ip == address), None)


@dataclass(frozen=True)
class PlatformOptions:
    """A platform's own `local:` settings; each platform subclasses it with its fields.

    Subclasses are frozen dataclasses whose fields have defaults and whose __post_init__
    validates them by type (they reach templates like every other value).
    """

    @classmethod
    def keys(cls) -> tuple[str, ...]:
        """The `local:` keys this platform adds to the common ones."""
        return tuple(f.name for f in fields(cls))

    @classmethod
    def from_settings(cls: type[_Options], settings: Mapping[str, object]) -> _Options:
        """Build from inventory `local:` values; an unknown key is a ValidationError naming it."""
        known = set(cls.keys())
        for key in settings:
            if key not in known:
                allowed = ", ".join(sorted(known)) or "none"
                raise ValidationError(f"local.{key}: unknown key for this platform ({allowed})")
        try:
            return cls(**settings)
        except TypeError as exc:  # a value of the wrong shape reaching a dataclass
            raise ValidationError(f"local: {exc}") from None


_Options = TypeVar("_Options", bound=PlatformOptions)


@dataclass(frozen=True)
class Credentials:
    """Where to find the login: environment variable names and/or a key file, never a value."""

    username_env: str | None = None
    username: str | None = None
    password_env: str | None = None
    secret_env: str | None = None
    key_file: str | None = None


@dataclass(frozen=True)
class VpnSelector:
    """Which VPN connection a device terminates: by id or by customer gateway IP."""

    vpn_id: str | None = None
    customer_gateway_ip: IpAddress | None = None

    def __post_init__(self) -> None:
        if (self.vpn_id is None) == (self.customer_gateway_ip is None):
            raise ValidationError("vpn selector needs exactly one of vpn_id, customer_gateway_ip")
        if self.vpn_id is not None:
            check_aws_id(self.vpn_id, "vpn_id")
        if self.customer_gateway_ip is not None:
            require_address(self.customer_gateway_ip, "customer_gateway_ip")


@dataclass(frozen=True)
class LocalSettings:
    """The customer's own choices for one device: interfaces, numbering, routing, zones."""

    wan_interface: str
    local_outside_ip: IpAddress | None = None  # the private address when behind NAT
    tunnel_numbers: tuple[int, int] = (1, 2)
    local_asn: int | None = None  # defaults to the customer gateway ASN from AWS
    advertised_prefixes: tuple[IPv4Network, ...] = ()
    static_routes: tuple[IPv4Network, ...] = ()  # VPC prefixes routed into the tunnels
    # The platform's own settings (zones, dataplane, …): an instance of `Platform.options`.
    options: PlatformOptions = field(default_factory=PlatformOptions)

    def __post_init__(self) -> None:
        check_interface(self.wan_interface, "wan_interface")
        if self.local_outside_ip is not None:
            require_address(self.local_outside_ip, "local_outside_ip")
        require_prefixes(self.advertised_prefixes, "advertised_prefixes")
        require_prefixes(self.static_routes, "static_routes")
        if len(self.tunnel_numbers) != 2 or self.tunnel_numbers[0] == self.tunnel_numbers[1]:
            raise ValidationError("tunnel_numbers must be two different numbers")
        for n in self.tunnel_numbers:
            check_range(n, 0, 65535, "tunnel number")
        if self.local_asn is not None:
            check_asn(self.local_asn, "local_asn")
        if not isinstance(self.options, PlatformOptions):
            raise ValidationError("local options must be a PlatformOptions")


@dataclass(frozen=True)
class Device:
    """A customer gateway from the inventory."""

    name: str
    host: str
    platform: str
    vpn: VpnSelector
    local: LocalSettings
    port: int = 22
    credentials: Credentials = field(default_factory=Credentials)
    groups: tuple[str, ...] = ()
    timeout_s: int = 30
    # The software release the device runs, as the vendor writes it (17.12.1a, 21.2R3-S2);
    # None: unknown (diff/push read it from the device; offline render targets current releases).
    release: str | None = None

    def __post_init__(self) -> None:
        check_name(self.name, "device name")
        check_range(self.port, 1, 65535, "port")
        if self.release is not None:
            check_release(self.release)


@dataclass(frozen=True)
class RenderedFile:
    """One artefact for a device: its CLI configuration or a file to place on a host."""

    path: str  # "running-config" for CLI devices, an absolute path on a Linux host
    content: str
    mode: int = 0o600


@dataclass(frozen=True)
class RenderedConfig:
    """Everything cgw intends a device to hold for one VPN connection."""

    device: str
    platform: str
    vpn_id: str
    files: tuple[RenderedFile, ...]

    @property
    def text(self) -> str:
        """All files as one text; a file header line separates them when there are several."""
        if len(self.files) == 1:
            return self.files[0].content
        return "".join(f"### {f.path}\n{f.content}" for f in self.files)

    def as_running(self) -> DeviceConfig:
        """What the device runs once it holds exactly this configuration."""
        files = tuple(DeviceFile(f.path, f.content) for f in self.files)
        return DeviceConfig(self.device, self.platform, files)


RUNNING_CONFIG = "running-config"  # the one file of a CLI device's configuration


@dataclass(frozen=True)
class DeviceFile:
    """One file as a device holds it now; content None: the device has no such file."""

    path: str  # RUNNING_CONFIG for CLI devices, an absolute path on a Linux host
    content: str | None


@dataclass(frozen=True)
class DeviceConfig:
    """What a device runs now, as files: the running configuration of a CLI device (one file,
    `running-config`), or the files cgw reads on a host, each at its absolute path."""

    device: str
    platform: str
    files: tuple[DeviceFile, ...]

    @classmethod
    def cli(cls, device: str, platform: str, text: str) -> DeviceConfig:
        """A CLI device's configuration: one text."""
        return cls(device, platform, (DeviceFile(RUNNING_CONFIG, text),))

    def get(self, path: str) -> str | None:
        """A file's content; None where the device has no such file (or it was not read)."""
        return next((f.content for f in self.files if f.path == path), None)

    @property
    def text(self) -> str:
        """A CLI device's configuration text ('' when there is none)."""
        return self.get(RUNNING_CONFIG) or ""

    def as_dict(self) -> dict[str, str | None]:
        return {f.path: f.content for f in self.files}


def masker_for(vpn: VpnConnection) -> Masker:
    """A masker that hides both tunnels' pre-shared keys as `<psk:tunnelN>`."""
    return Masker({f"psk:{t.name}": t.psk.reveal() for t in vpn.tunnels})


@dataclass(frozen=True)
class IkeSa:
    """One IKE (phase 1) security association as the device shows it."""

    peer: str
    local: str
    state: str  # the device's own word: READY, ESTABLISHED, QM_IDLE, UP, ...
    up: bool


@dataclass(frozen=True)
class IpsecSa:
    """One IPsec (phase 2) SA or SA pair towards a peer, with its packet counters."""

    peer: str
    state: str
    up: bool
    packets_in: int | None = None
    packets_out: int | None = None


@dataclass(frozen=True)
class BgpNeighbor:
    """One BGP neighbour from a summary table."""

    neighbor: str
    remote_as: str  # as shown (asplain or asdot)
    state: str  # "Established" or the device's state word (Idle, Active, Connect, Idle (Admin))
    established: bool
    prefixes_received: int | None = None


@dataclass(frozen=True)
class ParsedStatus:
    """What a device's show output says, normalised across platforms.

    A field is None when its command's output was not available (unknown, not down).
    """

    ike_sas: tuple[IkeSa, ...] | None = None
    ipsec_sas: tuple[IpsecSa, ...] | None = None
    bgp: tuple[BgpNeighbor, ...] | None = None
    interfaces_up: tuple[str, ...] | None = None
