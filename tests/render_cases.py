"""VPN connections and devices the render tests share: AWS's own sample and the lab seed."""

from __future__ import annotations

import os
from dataclasses import fields, replace
from ipaddress import IPv4Address, IPv4Network, ip_address
from pathlib import Path

import yaml

from cgw.model import (
    ENCRYPTION_ALGORITHMS,
    INTEGRITY_ALGORITHMS,
    PHASE1_DH_GROUPS,
    PHASE2_DH_GROUPS,
    BgpPeering,
    CustomerGateway,
    Device,
    DeviceConfig,
    Dpd,
    Gateway,
    LocalSettings,
    Proposal,
    RenderedConfig,
    Tunnel,
    VpnConnection,
    VpnSelector,
)
from cgw.platforms import get_platform
from cgw.platforms.base import Deployer, Plan
from cgw.secrets import PreSharedKey

VPC_CIDR = IPv4Network("10.100.0.0/16")


def proposal(
    encryption: tuple[str, ...],
    integrity: tuple[str, ...],
    groups: tuple[int, ...],
    lifetime_s: int,
    phase: int,
) -> Proposal:
    return Proposal(encryption, integrity, groups, lifetime_s, phase=phase)  # type: ignore[arg-type]


def tunnel(
    number: int,
    aws_ip: str,
    cgw_ip: str,
    inside: str,
    psk: str,
    ike_versions: tuple[str, ...],
    phase1: Proposal,
    phase2: Proposal,
    bgp: BgpPeering | None,
    **options: object,
) -> Tunnel:
    cidr = IPv4Network(inside)
    return Tunnel(
        number=number,
        aws_outside_ip=ip_address(aws_ip),
        cgw_outside_ip=ip_address(cgw_ip),
        inside_cidr=cidr,
        aws_inside_ip=cidr.network_address + 1,
        cgw_inside_ip=cidr.network_address + 2,
        psk=PreSharedKey(psk),
        ike_versions=ike_versions,
        phase1=phase1,
        phase2=phase2,
        bgp=bgp,
        **options,  # type: ignore[arg-type]
    )


def device(
    name: str, platform: str, cgw_ip: str, wan: str | None = None, **local: object
) -> Device:
    """A device of `platform` on its usual WAN port unless `wan` names another."""
    wan_interface = wan or get_platform(platform).default_wan_interface
    return Device(
        name=name,
        host="127.0.0.1",
        platform=platform,
        vpn=VpnSelector(customer_gateway_ip=ip_address(cgw_ip)),
        local=local_settings(platform, wan_interface=wan_interface, **local),
    )


# --- AWS's own sample documents (tests/data/aws_samples/): IKEv1, AES128/SHA1/group 2 ---------
AWS_SAMPLE_UPLINK = "203.0.113.10"
AWS_SAMPLE_CGW_ASN = 65000


def aws_sample_vpn() -> VpnConnection:
    """The VPN connection AWS's sample configurations (tests/data/aws_samples) were made for."""
    phase1 = proposal(("AES128",), ("SHA1",), (2,), 28800, 1)
    phase2 = proposal(("AES128",), ("SHA1",), (2,), 3600, 2)
    bgp = BgpPeering(aws_asn=7224, cgw_asn=AWS_SAMPLE_CGW_ASN, hold_time_s=30)
    # The sample's keys `plain-text-passwordN` hold '-', which AWS's PSK charset refuses.
    tunnels = tuple(
        tunnel(
            n,
            aws_ip,
            AWS_SAMPLE_UPLINK,
            inside,
            f"plain_text_password{n}",
            ("ikev1",),
            phase1,
            phase2,
            bgp,
            replay_window=128,
        )
        for n, aws_ip, inside in (
            (1, "72.21.209.225", "169.254.255.0/30"),
            (2, "72.21.209.193", "169.254.255.4/30"),
        )
    )
    return VpnConnection(
        id="vpn-44a8938f",
        type="ipsec.1",
        gateway=Gateway(kind="vgw", id="vgw-8db04f81"),
        customer_gateway=CustomerGateway(
            id="cgw-b4dc3961", ip=ip_address(AWS_SAMPLE_UPLINK), asn=AWS_SAMPLE_CGW_ASN
        ),
        routing="bgp",
        tunnels=(tunnels[0], tunnels[1]),
        amazon_side_asn=7224,
    )


def aws_sample_device(platform: str) -> Device:
    """The device AWS's sample documents assume: the platform's usual WAN port."""
    return device(
        "aws-sample", platform, AWS_SAMPLE_UPLINK, advertised_prefixes=(IPv4Network("0.0.0.0/0"),)
    )


# --- The lab seed (notes/seed.md) --------------------------------------------------------------
def _vpn(
    vpn_id: str,
    gateway: Gateway,
    cgw_ip: str,
    cgw_asn: int,
    routing: str,
    tunnels: tuple[Tunnel, Tunnel],
    amazon_asn: int,
    static_routes: tuple[IPv4Network, ...] = (),
) -> VpnConnection:
    return VpnConnection(
        id=vpn_id,
        type="ipsec.1",
        gateway=gateway,
        customer_gateway=CustomerGateway(
            id="cgw-0" + vpn_id[-16:], ip=ip_address(cgw_ip), asn=cgw_asn
        ),
        routing=routing,  # type: ignore[arg-type]
        tunnels=tunnels,
        amazon_side_asn=amazon_asn,
        static_routes=static_routes,
    )


def branch_01() -> VpnConnection:
    """IKEv2 only; tunnel 1 GCM/group 20, tunnel 2 CBC/group 14 with DPD restart, start."""
    bgp = BgpPeering(aws_asn=64512, cgw_asn=65011)
    gcm1 = proposal(("AES256-GCM-16",), ("SHA2-256",), (20,), 28800, 1)
    gcm2 = proposal(("AES256-GCM-16",), ("SHA2-256",), (20,), 3600, 2)
    cbc1 = proposal(("AES256",), ("SHA2-256",), (14,), 28800, 1)
    cbc2 = proposal(("AES256",), ("SHA2-256",), (14,), 3600, 2)
    t1 = tunnel(
        1,
        "198.51.100.11",
        "203.0.113.11",
        "169.254.101.0/30",
        "branch01Tunnel1Key",
        ("ikev2",),
        gcm1,
        gcm2,
        bgp,
    )
    t2 = tunnel(
        2,
        "198.51.100.12",
        "203.0.113.11",
        "169.254.101.4/30",
        "branch01Tunnel2Key",
        ("ikev2",),
        cbc1,
        cbc2,
        bgp,
        dpd=Dpd(action="restart"),
        startup_action="start",
    )
    return _vpn(
        "vpn-0a1b2c3d4e5f60011",
        Gateway(kind="vgw", id="vgw-0a1b2c3d4e5f60001"),
        "203.0.113.11",
        65011,
        "bgp",
        (t1, t2),
        64512,
    )


def branch_02() -> VpnConnection:
    """All AWS defaults: both IKE versions and every algorithm and group AWS allows."""
    bgp = BgpPeering(aws_asn=64512, cgw_asn=65012)
    phase1 = proposal(ENCRYPTION_ALGORITHMS, INTEGRITY_ALGORITHMS, PHASE1_DH_GROUPS, 28800, 1)
    phase2 = proposal(ENCRYPTION_ALGORITHMS, INTEGRITY_ALGORITHMS, PHASE2_DH_GROUPS, 3600, 2)
    tunnels = tuple(
        tunnel(
            n,
            aws_ip,
            "203.0.113.12",
            inside,
            key,
            ("ikev1", "ikev2"),
            phase1,
            phase2,
            bgp,
        )
        for n, aws_ip, inside, key in (
            (1, "198.51.100.21", "169.254.47.148/30", "A7xq.Lw2_Pz9Rk4Tn"),
            (2, "198.51.100.22", "169.254.212.36/30", "Ghs8_Q1.vNw3Ue6Yb"),
        )
    )
    return _vpn(
        "vpn-0a1b2c3d4e5f60012",
        Gateway(kind="vgw", id="vgw-0a1b2c3d4e5f60001"),
        "203.0.113.12",
        65012,
        "bgp",
        (tunnels[0], tunnels[1]),
        64512,
    )


def branch_04() -> VpnConnection:
    """Static routing, IKEv1 only, AES128/SHA1/group 2 in both phases."""
    phase1 = proposal(("AES128",), ("SHA1",), (2,), 28800, 1)
    phase2 = proposal(("AES128",), ("SHA1",), (2,), 3600, 2)
    tunnels = tuple(
        tunnel(n, aws_ip, "203.0.113.14", inside, key, ("ikev1",), phase1, phase2, None)
        for n, aws_ip, inside, key in (
            (1, "198.51.100.41", "169.254.104.0/30", "branch04Tunnel1Key"),
            (2, "198.51.100.42", "169.254.104.4/30", "branch04Tunnel2Key"),
        )
    )
    return _vpn(
        "vpn-0a1b2c3d4e5f60014",
        Gateway(kind="vgw", id="vgw-0a1b2c3d4e5f60001"),
        "203.0.113.14",
        65014,
        "static",
        (tunnels[0], tunnels[1]),
        64512,
        static_routes=(IPv4Network("10.40.0.0/16"),),
    )


def golden_releases(platform: str) -> dict[str, str]:
    """Case → the software release a platform's golden case renders for (its releases.yaml)."""
    path = Path(__file__).parent / "data" / "golden" / platform / "releases.yaml"
    if not path.exists():
        return {}
    return {str(k): str(v) for k, v in (yaml.safe_load(path.read_text()) or {}).items()}


def golden_cases(platform: str, wan: str | None = None) -> dict[str, tuple[Device, VpnConnection]]:
    """Golden name -> (device, vpn) for one platform (its usual WAN port unless `wan`)."""
    lan = {
        "01": IPv4Network("10.11.0.0/16"),
        "02": IPv4Network("10.12.0.0/16"),
    }
    cases = {
        "branch-01": (
            device("branch-01", platform, "203.0.113.11", wan, advertised_prefixes=(lan["01"],)),
            branch_01(),
        ),
        "branch-01-nat": (
            device(
                "branch-01",
                platform,
                "203.0.113.11",
                wan,
                advertised_prefixes=(lan["01"],),
                local_outside_ip=IPv4Address("192.168.1.11"),
                tunnel_numbers=(101, 102),
            ),
            branch_01(),
        ),
        "branch-02": (
            device(
                "branch-02",
                platform,
                "203.0.113.12",
                wan,
                advertised_prefixes=(lan["02"], IPv4Network("172.16.0.0/16")),
            ),
            branch_02(),
        ),
        "branch-04": (
            # The legacy IKEv1/group 2 branch: the release a platform renders it for, if any,
            # is data (tests/data/golden/<platform>/releases.yaml).
            replace(
                device("branch-04", platform, "203.0.113.14", wan, static_routes=(VPC_CIDR,)),
                release=golden_releases(platform).get("branch-04"),
            ),
            branch_04(),
        ),
    }
    return cases


LOCAL_FIELDS = frozenset(f.name for f in fields(LocalSettings))


def local_settings(platform: str, **settings: object) -> LocalSettings:
    """LocalSettings for a platform: common keys on it, the platform's own in its options."""
    common = {k: v for k, v in settings.items() if k in LOCAL_FIELDS}
    own = {k: v for k, v in settings.items() if k not in LOCAL_FIELDS}
    options = get_platform(platform).options(**own)
    return LocalSettings(**common, options=options)  # type: ignore[arg-type]


def with_local(dev: Device, **changes: object) -> Device:
    """A copy of a device with some local settings (common or the platform's own) changed."""
    common = {k: v for k, v in changes.items() if k in LOCAL_FIELDS}
    own = {k: v for k, v in changes.items() if k not in LOCAL_FIELDS}
    local = replace(dev.local, **common)  # type: ignore[arg-type]
    if own:
        kind = get_platform(dev.platform).options
        current = local.options if isinstance(local.options, kind) else kind()
        local = replace(local, options=replace(current, **own))  # type: ignore[arg-type]
    return replace(dev, local=local)


# --- Golden files ------------------------------------------------------------------------------
GOLDEN_DIR = Path(__file__).parent / "data" / "golden"
AWS_SAMPLES_DIR = Path(__file__).parent / "data" / "aws_samples"


def check_golden(name: str, text: str) -> None:
    """Compare text with tests/data/golden/<name>.txt; CGW_UPDATE_GOLDEN=1 rewrites the file."""
    path = GOLDEN_DIR / f"{name}.txt"
    if os.environ.get("CGW_UPDATE_GOLDEN") == "1":
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(text)
    assert path.exists(), f"no golden file {path}; run with CGW_UPDATE_GOLDEN=1 and review it"
    assert text == path.read_text(), f"{name}: rendering differs from {path}"


# --- Deployers over text ------------------------------------------------------------------------
def owned_text(
    deployer: Deployer, running: str, device: Device, vpn: VpnConnection, **options: bool
) -> str:
    """A CLI deployer's owned part of a running-config text, as text (`prune=True` passed on)."""
    config = DeviceConfig.cli(device.name, device.platform, running)
    return deployer.owned(config, device, vpn, **options).text  # type: ignore[call-arg]


def plan_text(
    deployer: Deployer, owned: str, intended: RenderedConfig, device: Device, vpn: VpnConnection
) -> Plan:
    """A CLI deployer's plan from an owned running-config text."""
    config = DeviceConfig.cli(device.name, device.platform, owned)
    return deployer.plan(config, intended, device, vpn)
