"""strongSwan rendering: swanctl.conf, charon settings, interface script, FRR; with goldens."""

from __future__ import annotations

import os
import re
import subprocess
import time
from dataclasses import replace
from ipaddress import IPv4Address, IPv4Network, ip_address
from pathlib import Path

import pytest

from cgw.errors import CgwError, RenderError
from cgw.model import (
    ENCRYPTION_ALGORITHMS,
    INTEGRITY_ALGORITHMS,
    PHASE1_DH_GROUPS,
    PHASE2_DH_GROUPS,
    BgpPeering,
    CustomerGateway,
    Device,
    Dpd,
    Gateway,
    Proposal,
    RenderedConfig,
    Tunnel,
    VpnConnection,
    VpnSelector,
)
from cgw.platforms import Platform, get_platform
from cgw.platforms.strongswan import PLATFORM, ike_version
from cgw.platforms.strongswan.algorithms import (
    DH_GROUPS,
    ENCRYPTION,
    INTEGRITY,
    PRF,
    esp_proposals,
    ike_proposals,
)
from cgw.secrets import PreSharedKey
from tests.render_cases import local_settings

GOLDEN = Path(__file__).parent / "data" / "golden"
AWS_SAMPLE = (
    Path(__file__).parent / "data" / "aws_samples" / "strongswan_ubuntu1604_aws_generated.txt"
)
PSKS = ("Tunnel1Secret.abcXYZ_42", "Tunnel2Secret.defUVW_77")


def tunnel(number: int, inside: str, **options: object) -> Tunnel:
    """One tunnel in the seed's address plan; options override AWS's defaults."""
    cidr = IPv4Network(inside)
    aws_inside, cgw_inside = list(cidr.hosts())
    fields: dict[str, object] = {
        "number": number,
        "aws_outside_ip": IPv4Address(f"198.51.100.{10 * number}"),
        "cgw_outside_ip": IPv4Address("203.0.113.11"),
        "inside_cidr": cidr,
        "aws_inside_ip": aws_inside,
        "cgw_inside_ip": cgw_inside,
        "psk": PreSharedKey(PSKS[number - 1]),
        "ike_versions": ("ikev2",),
        "phase1": Proposal(("AES256",), ("SHA2-256",), (14,), 28800, 1),
        "phase2": Proposal(("AES256",), ("SHA2-256",), (14,), 3600, 2),
    }
    fields.update(options)
    return Tunnel(**fields)  # type: ignore[arg-type]


def bgp_vpn() -> VpnConnection:
    """branch-01 from the lab seed: IKEv2, tunnel 1 AES-GCM/group 20, tunnel 2 AES256/group 14."""
    bgp = BgpPeering(aws_asn=64512, cgw_asn=65011)
    gcm1 = Proposal(("AES256-GCM-16",), ("SHA2-256",), (20,), 28800, 1)
    gcm2 = Proposal(("AES256-GCM-16",), ("SHA2-256",), (20,), 3600, 2)
    return VpnConnection(
        id="vpn-0b1a2c3d4e5f60718",
        type="ipsec.1",
        gateway=Gateway("vgw", "vgw-0a1b2c3d4e5f60718"),
        customer_gateway=CustomerGateway(
            "cgw-0a1b2c3d4e5f60011", ip_address("203.0.113.11"), 65011
        ),
        routing="bgp",
        tunnels=(
            tunnel(1, "169.254.101.0/30", phase1=gcm1, phase2=gcm2, bgp=bgp),
            tunnel(
                2,
                "169.254.101.4/30",
                bgp=bgp,
                dpd=Dpd(action="restart"),
                startup_action="start",
            ),
        ),
        amazon_side_asn=64512,
    )


def static_ikev1_vpn() -> VpnConnection:
    """branch-04-like, as AWS's strongSwan sample: IKEv1 aes128-sha1-modp1024, 8h/1h, DPD 30s."""
    p1 = Proposal(("AES128",), ("SHA1",), (2,), 28800, 1)
    p2 = Proposal(("AES128",), ("SHA1",), (2,), 3600, 2)
    options: dict[str, object] = {
        "ike_versions": ("ikev1",),
        "phase1": p1,
        "phase2": p2,
        "cgw_outside_ip": IPv4Address("203.0.113.14"),
        "dpd": Dpd(timeout_s=30, action="restart"),
    }
    return VpnConnection(
        id="vpn-04a1b2c3d4e5f6071",
        type="ipsec.1",
        gateway=Gateway("vgw", "vgw-0a1b2c3d4e5f60718"),
        customer_gateway=CustomerGateway(
            "cgw-0a1b2c3d4e5f60014", ip_address("203.0.113.14"), 65014
        ),
        routing="static",
        tunnels=(
            tunnel(1, "169.254.104.0/30", **options),
            tunnel(2, "169.254.104.4/30", **options),
        ),
        static_routes=(IPv4Network("10.40.0.0/16"),),
    )


def device(**local: object) -> Device:
    """A strongSwan host; `local` overrides its LocalSettings."""
    settings: dict[str, object] = {
        "wan_interface": "eth0",
        "advertised_prefixes": (IPv4Network("10.11.0.0/16"),),
        "static_routes": (IPv4Network("10.100.0.0/16"),),
    }
    settings.update(local)
    return Device(
        name="branch-gw",
        host="192.0.2.99",
        platform="strongswan",
        vpn=VpnSelector(customer_gateway_ip=ip_address("203.0.113.11")),
        local=local_settings("strongswan", **settings),
    )


SHAPES = {
    "strongswan_ikev2_gcm_bgp_xfrm": lambda: (device(), bgp_vpn()),
    "strongswan_ikev1_static_xfrm": lambda: (device(), static_ikev1_vpn()),
    "strongswan_ikev1_static_libipsec": lambda: (
        device(strongswan_dataplane="libipsec"),
        static_ikev1_vpn(),
    ),
    "strongswan_ikev2_bgp_vti_nat": lambda: (
        device(strongswan_dataplane="vti", local_outside_ip=ip_address("10.0.0.5")),
        bgp_vpn(),
    ),
}


def render(dev: Device, vpn: VpnConnection) -> RenderedConfig:
    return PLATFORM.render(dev, vpn)


def file_text(config: RenderedConfig, suffix: str) -> str:
    (match,) = [f for f in config.files if f.path.endswith(suffix)]
    return match.content


def swanctl_text(config: RenderedConfig) -> str:
    (match,) = [f for f in config.files if f.path.startswith("/etc/swanctl/conf.d/")]
    return match.content


def setting(text: str, key: str) -> list[str]:
    """Every value of `key = value` lines in a swanctl.conf text, in order."""
    return re.findall(rf"^\s*{re.escape(key)} = (.*)$", text, re.MULTILINE)


# --- goldens ----------------------------------------------------------------------------------


@pytest.mark.parametrize("shape", sorted(SHAPES))
def test_render_matches_golden(shape: str) -> None:
    config = render(*SHAPES[shape]())
    golden = GOLDEN / f"{shape}.txt"
    if os.environ.get("CGW_UPDATE_GOLDEN") == "1":
        golden.parent.mkdir(parents=True, exist_ok=True)
        golden.write_text(config.text)
    assert config.text == golden.read_text()


# --- the algorithm table ----------------------------------------------------------------------


def test_table_covers_every_aws_algorithm_name() -> None:
    assert set(ENCRYPTION) == set(ENCRYPTION_ALGORITHMS)
    assert set(INTEGRITY) == set(INTEGRITY_ALGORITHMS) == set(PRF)
    assert set(DH_GROUPS) == set(PHASE1_DH_GROUPS) | set(PHASE2_DH_GROUPS)


@pytest.mark.parametrize(
    ("group", "keyword"),
    [
        (2, "modp1024"),
        (5, "modp1536"),
        (14, "modp2048"),
        (15, "modp3072"),
        (16, "modp4096"),
        (17, "modp6144"),
        (18, "modp8192"),
        (19, "ecp256"),
        (20, "ecp384"),
        (21, "ecp521"),
        (22, "modp1024s160"),
        (23, "modp2048s224"),
        (24, "modp2048s256"),
    ],
)
def test_dh_group_keywords(group: int, keyword: str) -> None:
    assert DH_GROUPS[group] == keyword


def test_ikev1_offers_one_proposal_per_combination_strongest_first() -> None:
    phase1 = Proposal(("AES128", "AES256"), ("SHA1", "SHA2-256"), (2, 14), 28800, 1)
    assert ike_proposals(phase1, 1).split(",") == [
        "aes256-sha256-modp2048",
        "aes256-sha256-modp1024",
        "aes256-sha1-modp2048",
        "aes256-sha1-modp1024",
        "aes128-sha256-modp2048",
        "aes128-sha256-modp1024",
        "aes128-sha1-modp2048",
        "aes128-sha1-modp1024",
    ]


def test_ikev2_gcm_names_prf_and_classic_ciphers_share_one_proposal() -> None:
    phase1 = Proposal(("AES128", "AES256-GCM-16", "AES256"), ("SHA2-256",), (14, 20), 28800, 1)
    assert ike_proposals(phase1, 2) == (
        "aes256gcm16-prfsha256-ecp384-modp2048,aes256-aes128-sha256-ecp384-modp2048"
    )
    phase2 = Proposal(("AES128", "AES256-GCM-16"), ("SHA1",), (5,), 3600, 2)
    assert esp_proposals(phase2, 2) == "aes256gcm16-modp1536,aes128-sha1-modp1536"


def test_aws_default_lists_in_ikev1_cover_every_combination() -> None:
    phase1 = Proposal(ENCRYPTION_ALGORITHMS, INTEGRITY_ALGORITHMS, PHASE1_DH_GROUPS, 28800, 1)
    proposals = ike_proposals(phase1, 1).split(",")
    assert len(proposals) == len(set(proposals)) == 4 * 4 * 12
    assert "aes128gcm16-prfsha512-modp2048s256" in proposals


@pytest.mark.parametrize(
    ("versions", "expected"), [(("ikev2",), 2), (("ikev1",), 1), (("ikev1", "ikev2"), 2)]
)
def test_ike_version(versions: tuple[str, ...], expected: int) -> None:
    assert ike_version(versions) == expected


# --- swanctl.conf -----------------------------------------------------------------------------


def test_ikev1_matches_aws_strongswan_sample() -> None:
    """AWS's own sample: ike/esp aes128-sha1-modp1024, 8h/1h lifetimes, DPD 10s/30s."""
    sample = AWS_SAMPLE.read_text()
    text = swanctl_text(render(device(), static_ikev1_vpn()))
    assert set(setting(text, "proposals")) == set(re.findall(r"^\s*ike=(\S+)", sample, re.M))
    assert set(setting(text, "esp_proposals")) == set(re.findall(r"^\s*esp=(\S+)", sample, re.M))
    assert set(re.findall(r"^\s*ikelifetime=(\S+)", sample, re.M)) == {"8h"}
    assert set(re.findall(r"^\s*lifetime=(\S+)", sample, re.M)) == {"1h"}
    # rekey_time appears per IKE_SA then per CHILD_SA; the IKE hard limit is rekey + over.
    ike_rekeys = setting(text, "rekey_time")[0::2]
    ike_hard = {
        int(rekey[:-1]) + int(over[:-1])
        for rekey, over in zip(ike_rekeys, setting(text, "over_time"), strict=True)
    }
    assert ike_hard == {8 * 3600}
    assert set(setting(text, "life_time")) == {"3600s"}
    assert set(setting(text, "dpd_delay")) == {"10s"}
    assert set(setting(text, "dpd_timeout")) == {"30s"}
    assert set(setting(text, "version")) == {"1"}


def test_tunnels_use_aws_peers_ids_and_object_names() -> None:
    text = swanctl_text(render(device(local_outside_ip=ip_address("10.0.0.5")), bgp_vpn()))
    assert setting(text, "remote_addrs") == ["198.51.100.10", "198.51.100.20"]
    assert setting(text, "local_addrs") == ["10.0.0.5", "10.0.0.5"]
    # The local IKE id stays the public address AWS knows, even behind NAT.
    assert setting(text, "id")[:2] == ["203.0.113.11", "198.51.100.10"]
    assert "aws-vpn-0b1a2c3d4e5f60718-t1 {" in text
    assert "ike-aws-vpn-0b1a2c3d4e5f60718-t2 {" in text


def test_gcm_tunnel_proposals() -> None:
    text = swanctl_text(render(device(), bgp_vpn()))
    assert setting(text, "proposals") == ["aes256gcm16-prfsha256-ecp384", "aes256-sha256-modp2048"]
    assert setting(text, "esp_proposals") == ["aes256gcm16-ecp384", "aes256-sha256-modp2048"]


def test_lifetimes_follow_margin_and_fuzz() -> None:
    vpn = bgp_vpn()
    t1 = replace(vpn.tunnels[0], rekey_margin_s=600, rekey_fuzz_pct=50)
    text = swanctl_text(render(device(), replace(vpn, tunnels=(t1, vpn.tunnels[1]))))
    assert setting(text, "rekey_time")[:2] == ["28200s", "3000s"]
    assert setting(text, "over_time")[0] == "600s"
    assert setting(text, "rand_time")[:2] == ["300s", "300s"]
    assert setting(text, "life_time")[0] == "3600s"


def test_actions_follow_aws_dpd_and_startup_actions() -> None:
    text = swanctl_text(render(device(), bgp_vpn()))
    # Tunnel 1: AWS defaults (clear, add: the customer gateway initiates).
    # Tunnel 2: AWS restarts after DPD and initiates itself.
    assert setting(text, "dpd_action") == ["clear", "restart"]
    assert setting(text, "start_action") == ["trap|start", "trap"]
    assert setting(text, "close_action") == ["start", "none"]
    assert setting(text, "dpd_timeout") == []  # IKEv2: retransmits decide


@pytest.mark.parametrize(
    ("local", "if_ids", "marks", "encap"),
    [
        ({}, ["1", "2"], [], ["no", "no"]),
        ({"tunnel_numbers": (7, 8)}, ["7", "8"], [], ["no", "no"]),
        ({"strongswan_dataplane": "vti"}, [], ["1", "2"], ["no", "no"]),
        ({"strongswan_dataplane": "libipsec"}, [], [], ["yes", "yes"]),
        ({"local_outside_ip": ip_address("10.0.0.5")}, ["1", "2"], [], ["yes", "yes"]),
    ],
)
def test_dataplane_binding(
    local: dict[str, object], if_ids: list[str], marks: list[str], encap: list[str]
) -> None:
    text = swanctl_text(render(device(**local), bgp_vpn()))
    assert setting(text, "if_id_in") == setting(text, "if_id_out") == if_ids
    assert setting(text, "mark_in") == setting(text, "mark_out") == marks
    assert setting(text, "encap") == encap


@pytest.mark.parametrize("dataplane", ["xfrm", "vti"])
def test_own_interface_per_tunnel_keeps_aws_selectors_and_no_updown(dataplane: str) -> None:
    text = swanctl_text(render(device(strongswan_dataplane=dataplane), bgp_vpn()))
    assert setting(text, "local_ts") == setting(text, "remote_ts") == ["0.0.0.0/0"] * 2
    assert setting(text, "updown") == []


def test_libipsec_selectors_leave_out_the_other_tunnels_inside_cidr() -> None:
    """Tunnel 1 is 169.254.101.0/30, tunnel 2 169.254.101.4/30 (see bgp_vpn)."""
    text = swanctl_text(render(device(strongswan_dataplane="libipsec"), bgp_vpn()))
    assert setting(text, "local_ts") == ["0.0.0.0/0"] * 2
    assert setting(text, "remote_ts") == [
        "0.0.0.0-169.254.101.3, 169.254.101.8-255.255.255.255",
        "0.0.0.0-169.254.100.255, 169.254.101.4-255.255.255.255",
    ]


@pytest.mark.parametrize(
    ("own", "others", "expected"),
    [
        ("169.254.10.0/30", [], "0.0.0.0/0"),
        ("169.254.10.0/30", ["0.0.0.0/30"], "0.0.0.4-255.255.255.255"),
        ("169.254.10.0/30", ["255.255.255.252/30"], "0.0.0.0-255.255.255.251"),
        (
            "169.254.10.0/30",
            ["169.254.20.0/30", "169.254.9.0/30"],
            "0.0.0.0-169.254.8.255, 169.254.9.4-169.254.19.255, 169.254.20.4-255.255.255.255",
        ),
    ],
)
def test_remote_selectors_are_disjoint_ranges_around_the_others(
    own: str, others: list[str], expected: str
) -> None:
    from cgw.platforms.strongswan import remote_selectors

    assert remote_selectors(IPv4Network(own), [IPv4Network(o) for o in others]) == expected


def test_remote_selectors_refuse_overlapping_inside_cidrs() -> None:
    from cgw.platforms.strongswan import remote_selectors

    with pytest.raises(RenderError, match="overlaps"):
        remote_selectors(IPv4Network("169.254.10.0/30"), [IPv4Network("169.254.10.0/30")])


def test_libipsec_children_run_the_interface_script_as_updown() -> None:
    config = render(device(strongswan_dataplane="libipsec"), bgp_vpn())
    script = next(f.path for f in config.files if f.path.endswith("-interfaces.sh"))
    assert setting(swanctl_text(config), "updown") == [script, script]


def test_secrets_carry_each_tunnels_psk() -> None:
    text = swanctl_text(render(device(), bgp_vpn()))
    assert setting(text, "secret") == [f'"{PSKS[0]}"', f'"{PSKS[1]}"']


# --- files, interfaces, FRR -------------------------------------------------------------------


def test_files_and_modes() -> None:
    config = render(device(), bgp_vpn())
    assert {f.path: f.mode for f in config.files} == {
        "/etc/swanctl/conf.d/aws-vpn-0b1a2c3d4e5f60718.conf": 0o600,
        "/etc/strongswan.d/aws-vpn-0b1a2c3d4e5f60718.conf": 0o600,
        "/etc/cgw/aws-vpn-0b1a2c3d4e5f60718-interfaces.sh": 0o700,
        "/etc/frr/cgw-aws-vpn-0b1a2c3d4e5f60718.conf": 0o600,
    }
    assert (config.platform, config.vpn_id, config.device) == (
        "strongswan",
        "vpn-0b1a2c3d4e5f60718",
        "branch-gw",
    )


def test_only_swanctl_file_holds_secrets() -> None:
    config = render(device(), bgp_vpn())
    for rendered in config.files:
        holds_psk = any(psk in rendered.content for psk in PSKS)
        assert holds_psk == rendered.path.startswith("/etc/swanctl/"), rendered.path


@pytest.mark.parametrize(
    ("dev", "vpn"),
    [
        (device(strongswan_bgp="none"), bgp_vpn()),
        (device(), static_ikev1_vpn()),
    ],
)
def test_no_frr_file_without_frr_bgp(dev: Device, vpn: VpnConnection) -> None:
    assert not [f for f in render(dev, vpn).files if f.path.startswith("/etc/frr/")]


def test_frr_without_advertised_prefixes_denies_everything_out() -> None:
    config = render(device(advertised_prefixes=()), bgp_vpn())
    frr = next(f.content for f in config.files if f.path.startswith("/etc/frr/"))
    assert "network" not in frr
    assert "ip prefix-list" not in frr
    assert "route-map aws-vpn-0b1a2c3d4e5f60718-out deny 10" in frr


def test_static_routes_only_for_static_routing() -> None:
    static = file_text(render(device(), static_ikev1_vpn()), "-interfaces.sh")
    assert "ip route replace 10.100.0.0/16 dev xfrm1 metric 100" in static
    assert "ip route replace 10.100.0.0/16 dev xfrm2 metric 200" in static
    bgp = file_text(render(device(), bgp_vpn()), "-interfaces.sh")
    assert "ip route" not in bgp


@pytest.mark.parametrize("shape", sorted(SHAPES))
def test_interface_script_is_valid_shell(shape: str) -> None:
    script = file_text(render(*SHAPES[shape]()), "-interfaces.sh")
    done = subprocess.run(["sh", "-n"], input=script, text=True, capture_output=True, check=False)
    assert done.returncode == 0, done.stderr


def libipsec_script(tmp_path: Path) -> tuple[Path, dict[str, str], Path]:
    """The rendered libipsec script, an env whose host commands are recording stubs, the log.

    Even a broken script can then never touch this machine's links, rules or charon.
    """
    path = tmp_path / "interfaces.sh"
    path.write_text(file_text(render(device(strongswan_dataplane="libipsec"), bgp_vpn()), ".sh"))
    stubs, log = tmp_path / "bin", tmp_path / "calls.log"
    stubs.mkdir()
    for command in ("ip", "sysctl", "iptables", "swanctl", "setsid", "sleep"):
        stub = stubs / command
        stub.write_text(f'#!/bin/sh\necho "{command} $*" >> {log}\n')
        stub.chmod(0o755)
    return path, {"PATH": f"{stubs}:/usr/bin:/bin"}, log


def test_libipsec_script_moves_charons_rule_behind_main_before_waiting_for_ipsec0() -> None:
    script = file_text(render(device(strongswan_dataplane="libipsec"), bgp_vpn()), ".sh")
    add_rule = script.index("ip -4 rule add priority 40000 table 220")
    assert "ip -4 rule del priority" in script
    assert add_rule < script.index("ip link show dev ipsec0") < script.index("ip address")


@pytest.mark.parametrize("verb", ["up-host", "down-host", "prepare-client", "route-client"])
def test_libipsec_script_ignores_other_updown_events(tmp_path: Path, verb: str) -> None:
    """charon's other verbs must leave before the first command that touches the host."""
    script, env, log = libipsec_script(tmp_path)
    env |= {"PLUTO_VERB": verb, "PLUTO_CONNECTION": "aws-vpn-0b1a2c3d4e5f60718-t1"}
    done = subprocess.run(["sh", str(script)], env=env, capture_output=True, text=True)
    assert done.returncode == 0, done.stderr
    assert not log.exists(), log.read_text()


def test_libipsec_script_retries_in_the_background_when_a_tunnel_goes_down(
    tmp_path: Path,
) -> None:
    script, env, log = libipsec_script(tmp_path)
    env |= {"PLUTO_VERB": "down-client", "PLUTO_CONNECTION": "aws-vpn-0b1a2c3d4e5f60718-t1"}
    done = subprocess.run(["sh", str(script)], env=env, capture_output=True, text=True)
    assert done.returncode == 0, done.stderr
    # The stub `setsid` records the detached retrier's command line instead of running it;
    # it runs in the background, so give it a moment (a bounded wait, not a timing check).
    for _ in range(100):
        if log.exists() and log.read_text().endswith("\n"):
            break
        time.sleep(0.05)
    assert log.read_text() == f"setsid {script} --retry aws-vpn-0b1a2c3d4e5f60718-t1\n"


def test_libipsec_script_retries_only_its_own_tunnels(tmp_path: Path) -> None:
    script, env, log = libipsec_script(tmp_path)
    done = subprocess.run(
        ["sh", str(script), "--retry", "aws-vpn-0other-t1"], env=env, capture_output=True, text=True
    )
    assert done.returncode == 2
    assert "unknown tunnel: aws-vpn-0other-t1" in done.stderr
    assert not log.exists()


@pytest.mark.parametrize("dataplane", ["xfrm", "vti"])
def test_kernel_dataplanes_script_has_no_retrier_or_rule_move(dataplane: str) -> None:
    script = file_text(render(device(strongswan_dataplane=dataplane), bgp_vpn()), ".sh")
    assert "--retry" not in script and "PLUTO_VERB" not in script and "ip -4 rule" not in script


# --- errors and secrets -----------------------------------------------------------------------


def test_registered_as_strongswan() -> None:
    platform: Platform = PLATFORM  # mypy checks the Protocol here
    assert get_platform("strongswan") is platform
    assert PLATFORM.netmiko_device_type == "linux"


@pytest.mark.parametrize("dataplane", ["xfrm", "vti"])
def test_tunnel_number_zero_is_refused_without_leaking_psk(dataplane: str) -> None:
    with pytest.raises(RenderError) as failure:
        render(device(strongswan_dataplane=dataplane, tunnel_numbers=(0, 1)), bgp_vpn())
    assert "tunnel number 0" in str(failure.value)
    assert not any(psk in str(failure.value) for psk in PSKS)


def test_libipsec_accepts_tunnel_number_zero() -> None:
    render(device(strongswan_dataplane="libipsec", tunnel_numbers=(0, 1)), bgp_vpn())


def test_render_errors_never_show_psk() -> None:
    failures: list[CgwError] = []
    for dev in (device(static_routes=()), device(tunnel_numbers=(0, 5))):
        with pytest.raises(CgwError) as failure:
            render(dev, static_ikev1_vpn())
        failures.append(failure.value)
    for error in failures:
        text = f"{error} {error!r} {error.args}"
        assert not any(psk in text for psk in PSKS)


def test_swan_tunnel_repr_hides_psk() -> None:
    from cgw.platforms._common import tunnel_views
    from cgw.platforms.strongswan import DATAPLANES, swan_tunnel

    view = tunnel_views(device(), bgp_vpn())[0]
    assert PSKS[0] not in repr(swan_tunnel(view, DATAPLANES["xfrm"]))
