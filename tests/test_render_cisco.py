"""Cisco IOS / IOS-XE rendering: AWS's own sample, reviewed goldens, canonical form, algorithms."""

from __future__ import annotations

import re
from dataclasses import replace
from ipaddress import IPv4Network

import pytest
from hier_config import Platform, WorkflowRemediation, get_hconfig
from render_cases import (
    AWS_SAMPLE_CGW_ASN,
    AWS_SAMPLE_UPLINK,
    AWS_SAMPLES_DIR,
    aws_sample_device,
    aws_sample_vpn,
    branch_01,
    branch_02,
    check_golden,
    golden_cases,
    with_local,
)

from cgw.errors import RenderError
from cgw.model import (
    ENCRYPTION_ALGORITHMS,
    INTEGRITY_ALGORITHMS,
    PHASE1_DH_GROUPS,
    PHASE2_DH_GROUPS,
    Proposal,
)
from cgw.platforms import Platform as CgwPlatform
from cgw.platforms import get_platform
from cgw.platforms.cisco_ios import algorithms, bgp_network

CASES = golden_cases("cisco_ios", wan="GigabitEthernet1")  # as the goldens were made
Path = tuple[str, ...]


def render(name: str, platform: str = "cisco_ios") -> str:
    device, vpn = CASES[name]
    return get_platform(platform).render(replace(device, platform=platform), vpn).text


def config_paths(text: str) -> set[Path]:
    """Every line as the path of its parents' texts, from indentation (comments and exits out)."""
    paths: set[Path] = set()
    stack: list[tuple[int, str]] = []
    for raw in text.splitlines():
        line = raw.rstrip()
        body = line.lstrip()
        if not body or body.startswith("!") or body in ("exit", "exit-address-family"):
            continue
        indent = len(line) - len(body)
        while stack and stack[-1][0] >= indent:
            stack.pop()
        stack.append((indent, body))
        paths.add(tuple(text for _, text in stack))
    return paths


# --- AWS's own sample ----------------------------------------------------------------------
# Where the sample writes a command differently from how IOS prints it back (same meaning).
SAMPLE_SPELLINGS = (
    (r"^encryption aes 128$", "encr aes"),  # IOS abbreviates; 128 is the default key size
    (r"^(match identity address \S+)$", r"\1 255.255.255.255"),  # IOS prints the host mask
    (r"esp-aes 128 ", "esp-aes "),  # 128-bit is the default key size, not printed
    (r"^address-family ipv4 unicast$", "address-family ipv4"),  # IOS prints plain `ipv4`
)


def normalise_names(text: str) -> str:
    """Object names to <tN>, so AWS's names and cgw's compare; ISAKMP numbers to <n>."""
    text = re.sub(
        r"\b(?:keyring|isakmp|ipsec-prop|ipsec)-vpn-44a8938f-(\d)\b",
        lambda m: f"<t{int(m.group(1)) + 1}>",
        text,
    )
    text = re.sub(r"\baws-vpn-44a8938f-t(\d)(?:-\d+)?\b", r"<t\1>", text)
    text = re.sub(r"^crypto isakmp policy \d+$", "crypto isakmp policy <n>", text, flags=re.M)
    return text


def sample_paths() -> set[Path]:
    text = (AWS_SAMPLES_DIR / "cisco_ios_12.4_vti_bgp_aws_doc.txt").read_text()
    text = text.replace("YOUR_UPLINK_ADDRESS", AWS_SAMPLE_UPLINK)
    text = text.replace("YOUR_BGP_ASN", str(AWS_SAMPLE_CGW_ASN))
    text = re.sub(r"plain-text-password(\d)", r"plain_text_password\1", text)
    paths = set()
    for path in config_paths(normalise_names(text)):
        respelled = []
        for part in path:
            for pattern, replacement in SAMPLE_SPELLINGS:
                part = re.sub(pattern, replacement, part)
            respelled.append(part)
        paths.add(tuple(respelled))
    return paths


def _per_tunnel(template: dict[Path, str]) -> dict[Path, str]:
    expanded = {}
    for n, neighbor in ((1, "169.254.255.1"), (2, "169.254.255.5")):
        for path, reason in template.items():
            expanded[tuple(p.format(n=n, nbr=neighbor) for p in path)] = reason
    return expanded


BGP = f"router bgp {AWS_SAMPLE_CGW_ASN}"
# Lines of AWS's sample cgw does not render, each with the reason.
SAMPLE_ONLY: dict[Path, str] = {
    ("crypto isakmp policy <n>", "hash sha"): "SHA-1 is the ISAKMP default; IOS does not print it",
    ("crypto isakmp keepalive 10 10 on-demand",): (
        "DPD lives in cgw's ISAKMP profile (`keepalive 10 retry 3`, AWS's 10 s / 3 retries)"
        " instead of a global command"
    ),
    ("crypto ipsec security-association replay window-size 128",): (
        "replay window is set per IPsec profile, within cgw's own objects"
    ),
    ("crypto ipsec fragmentation before-encryption",): (
        "IOS's default, which show running-config does not print: rendering it would be a"
        " permanent diff"
    ),
    **_per_tunnel(
        {
            ("interface Tunnel{n}", "ip virtual-reassembly"): (
                "IOS 12.4-era reassembly for NAT/inspection; not needed on a VTI"
            ),
            ("interface Tunnel{n}", f"tunnel source {AWS_SAMPLE_UPLINK}"): (
                "cgw sources tunnels from the inventory's wan_interface"
            ),
            ("interface Tunnel{n}", "ip tcp adjust-mss 1387"): "AWS's current guidance is 1379",
            ("interface Tunnel{n}", "no shutdown"): "not printed by show running-config",
            (BGP, "neighbor {nbr} activate"): "IOS prints activate under address-family only",
            (BGP, "neighbor {nbr} timers 10 30 30"): (
                "cgw renders keepalive hold/3 and the hold time, without a minimum hold time"
            ),
            (BGP, "address-family ipv4", "neighbor {nbr} remote-as 7224"): (
                "IOS prints remote-as at router level only"
            ),
            (BGP, "address-family ipv4", "neighbor {nbr} timers 10 30 30"): (
                "IOS prints timers at router level only"
            ),
            (BGP, "address-family ipv4", "neighbor {nbr} default-originate"): (
                "cgw advertises the inventory's advertised_prefixes (here 0.0.0.0/0) by network"
                " statements, not an unconditional default"
            ),
            (BGP, "address-family ipv4", "neighbor {nbr} soft-reconfiguration inbound"): (
                "route refresh makes stored inbound updates unnecessary"
            ),
        }
    ),
}
# Lines cgw renders that AWS's sample lacks, each with the reason.
RENDERED_ONLY: dict[Path, str] = _per_tunnel(
    {
        ("crypto isakmp profile <t{n}>", "keepalive 10 retry 3"): "DPD, AWS guidance 10 s / 3",
        ("crypto ipsec profile <t{n}>", "set security-association replay window-size 128"): (
            "replay window per profile"
        ),
        ("crypto ipsec profile <t{n}>", "set isakmp-profile <t{n}>"): (
            "binds the tunnel to its ISAKMP profile explicitly"
        ),
        ("interface Tunnel{n}", "description <t{n}>"): "names the tunnel as cgw's own",
        ("interface Tunnel{n}", "ip mtu 1436"): "AWS's guidance: tunnel MTU 1436",
        ("interface Tunnel{n}", "ip tcp adjust-mss 1379"): "AWS's guidance: TCP MSS 1379",
        ("interface Tunnel{n}", "tunnel source GigabitEthernet0/0"): "the inventory's WAN port",
        (BGP, "neighbor {nbr} description <t{n}>"): "names the neighbour as cgw's own",
        (BGP, "neighbor {nbr} timers 10 30"): "keepalive hold/3, hold time from AWS",
    }
)


def test_aws_sample_matches_except_listed_deviations() -> None:
    rendered = config_paths(
        normalise_names(
            get_platform("cisco_ios").render(aws_sample_device("cisco_ios"), aws_sample_vpn()).text
        )
    )
    sample = sample_paths()
    assert set(SAMPLE_ONLY) <= sample, sorted(set(SAMPLE_ONLY) - sample)
    assert set(RENDERED_ONLY) <= rendered, sorted(set(RENDERED_ONLY) - rendered)
    assert sorted(sample - set(SAMPLE_ONLY)) == sorted(rendered - set(RENDERED_ONLY))


# --- Goldens -------------------------------------------------------------------------------
@pytest.mark.parametrize("name", sorted(CASES))
def test_golden(name: str) -> None:
    check_golden(f"cisco_ios_{name}", render(name))


@pytest.mark.parametrize("name", sorted(CASES))
def test_cisco_xe_shares_the_ios_rendering(name: str) -> None:
    device, vpn = CASES[name]
    rendered = get_platform("cisco_xe").render(replace(device, platform="cisco_xe"), vpn)
    assert rendered.platform == "cisco_xe"
    assert rendered.text == render(name)


def test_rendered_config_is_one_private_running_config_file() -> None:
    device, vpn = CASES["branch-01"]
    rendered = get_platform("cisco_ios").render(device, vpn)
    assert [(f.path, f.mode) for f in rendered.files] == [("running-config", 0o600)]
    assert (rendered.device, rendered.vpn_id) == ("branch-01", vpn.id)


def test_platform_objects() -> None:
    ios, xe = get_platform("cisco_ios"), get_platform("cisco_xe")
    assert (ios.netmiko_device_type, xe.netmiko_device_type) == ("cisco_ios", "cisco_xe")
    assert ios.template_dir == xe.template_dir == "cisco_ios"
    assert (ios.default_wan_interface, xe.default_wan_interface) == (
        "GigabitEthernet0/0",
        "GigabitEthernet1",
    )
    assert isinstance(ios, CgwPlatform) and isinstance(xe, CgwPlatform)


# --- Canonical form ------------------------------------------------------------------------
@pytest.mark.parametrize("name", sorted(CASES))
def test_canonical_text(name: str) -> None:
    text = render(name)
    assert text.endswith("!\n")
    for line in text.splitlines():
        assert line == line.rstrip(), f"trailing space: {line!r}"
        assert "\t" not in line
        assert not re.search(r"\d+\.\d+\.\d+\.\d+/\d+", line), f"prefix instead of mask: {line}"
    assert "\n\n" not in text


@pytest.mark.parametrize("name", sorted(CASES))
def test_hier_config_round_trip_is_empty(name: str) -> None:
    text = render(name)
    rendered = get_hconfig(Platform.CISCO_IOS, text)
    again = get_hconfig(Platform.CISCO_IOS, text)
    assert not tuple(WorkflowRemediation(rendered, again).remediation_config.all_children())
    from_empty = WorkflowRemediation(get_hconfig(Platform.CISCO_IOS, ""), again)
    assert len(tuple(from_empty.remediation_config.all_children())) == len(config_paths(text))


def test_hier_config_sees_the_intended_hierarchy() -> None:
    hconfig = get_hconfig(Platform.CISCO_IOS, render("branch-01"))
    tunnel = hconfig.get_child(equals="interface Tunnel1")
    assert tunnel is not None
    assert tunnel.get_child(equals="tunnel mode ipsec ipv4") is not None
    keyring = hconfig.get_child(equals="crypto ikev2 keyring aws-vpn-0a1b2c3d4e5f60011-t1")
    assert keyring is not None
    peer = keyring.get_child(equals="peer aws-vpn-0a1b2c3d4e5f60011-t1")
    assert peer is not None and peer.get_child(equals="address 198.51.100.11") is not None


# --- What the seed's tunnels become --------------------------------------------------------
def test_branch_01_ikev2_gcm_and_cbc_objects() -> None:
    text = render("branch-01")
    assert "crypto ikev2 proposal aws-vpn-0a1b2c3d4e5f60011-t1-1\n encryption aes-gcm-256\n" in text
    assert " prf sha256\n group 20\n" in text
    assert " integrity sha256\n group 14\n" in text
    assert "esp-gcm 256\n" in text and "esp-aes 256 esp-sha256-hmac\n" in text
    assert " set pfs group20\n" in text and " set pfs group14\n" in text
    assert " dpd 10 3 on-demand\n" in text
    assert "crypto isakmp" not in text


def test_one_ikev2_policy_lists_both_tunnels_proposals() -> None:
    text = render("branch-01")
    assert text.count("crypto ikev2 policy ") == 1
    policy = text.split("crypto ikev2 policy ", 1)[1].split("!", 1)[0]
    assert policy.splitlines()[1:] == [
        " match address local 203.0.113.11",
        " proposal aws-vpn-0a1b2c3d4e5f60011-t1-1",
        " proposal aws-vpn-0a1b2c3d4e5f60011-t2-1",
    ]


def test_policy_lists_identical_proposals_once() -> None:
    policy = render("branch-02").split("crypto ikev2 policy ", 1)[1].split("!", 1)[0]
    assert policy.count(" proposal ") == 2


def test_nat_uses_private_local_address_and_public_identity() -> None:
    text = render("branch-01-nat")
    assert " match address local 192.168.1.11\n" in text
    assert " identity local address 203.0.113.11\n" in text
    assert "interface Tunnel101\n" in text and "interface Tunnel102\n" in text


def test_static_routing_floats_tunnel_2() -> None:
    text = render("branch-04")
    assert "router bgp" not in text
    assert "ip route 10.100.0.0 255.255.0.0 Tunnel1 name aws-vpn-0a1b2c3d4e5f60014-t1\n" in text
    assert "ip route 10.100.0.0 255.255.0.0 Tunnel2 10 name aws-vpn-0a1b2c3d4e5f60014-t2\n" in text
    assert "crypto isakmp policy 201\n encr aes\n authentication pre-share\n group 2\n" in text


def test_static_routing_without_vpc_prefixes_is_an_error() -> None:
    device, vpn = CASES["branch-04"]
    with pytest.raises(RenderError, match="static_routes"):
        get_platform("cisco_ios").render(with_local(device, static_routes=()), vpn)


def test_isakmp_policy_number_follows_the_interface_number() -> None:
    device, vpn = CASES["branch-04"]
    text = get_platform("cisco_ios").render(with_local(device, tunnel_numbers=(7, 0)), vpn).text
    assert "crypto isakmp policy 207\n" in text and "crypto isakmp policy 200\n" in text
    with pytest.raises(RenderError, match="ISAKMP policy"):
        get_platform("cisco_ios").render(with_local(device, tunnel_numbers=(9801, 1)), vpn)


# --- The algorithm table -------------------------------------------------------------------
def _with_phases(phase1: Proposal | None = None, phase2: Proposal | None = None):  # type: ignore[no-untyped-def]
    tunnel = branch_02().tunnels[0]
    return replace(tunnel, phase1=phase1 or tunnel.phase1, phase2=phase2 or tunnel.phase2)


def test_aead_and_cbc_ciphers_get_separate_ikev2_proposals_strongest_first() -> None:
    phase1 = Proposal(("AES128", "AES256-GCM-16", "AES256"), ("SHA1", "SHA2-256"), (14, 20), 28800)
    proposals = algorithms.ikev2_proposals(_with_phases(phase1), "x")
    assert [(p.name, p.encryption, p.integrity, p.prf) for p in proposals] == [
        ("x-1", ("aes-gcm-256",), (), ("sha256", "sha1")),
        ("x-2", ("aes-cbc-256", "aes-cbc-128"), ("sha256", "sha1"), ()),
    ]
    assert proposals[0].groups == ("20", "14")


def test_single_choice_objects_take_the_strongest_allowed_algorithm() -> None:
    phase1 = Proposal(ENCRYPTION_ALGORITHMS, INTEGRITY_ALGORITHMS, PHASE1_DH_GROUPS, 28800)
    phase2 = Proposal(ENCRYPTION_ALGORITHMS, INTEGRITY_ALGORITHMS, PHASE2_DH_GROUPS, 3600, 2)
    tunnel = _with_phases(phase1, phase2)
    policy = algorithms.isakmp_policy(tunnel, 1)
    assert (policy.encryption, policy.hash, policy.group) == ("aes 256", "sha256", "20")
    assert algorithms.pfs_group(tunnel) == "20"
    assert [t.transforms for t in algorithms.transform_sets(tunnel, "x")] == [
        "esp-gcm 256",
        "esp-aes 256 esp-sha256-hmac",
        "esp-gcm",
        "esp-aes esp-sha256-hmac",
    ]


def test_dh_groups_without_an_ios_keyword_are_dropped_or_refused() -> None:
    phase1 = Proposal(("AES256",), ("SHA1",), (17, 22, 14), 28800)
    assert algorithms.ikev2_proposals(_with_phases(phase1), "x")[0].groups == ("14",)
    with pytest.raises(RenderError, match="DH groups 17, 18"):
        algorithms.ikev2_proposals(
            _with_phases(Proposal(("AES256",), ("SHA1",), (17, 18), 28800)), "x"
        )


def test_ikev1_needs_a_cbc_cipher() -> None:
    phase1 = Proposal(("AES256-GCM-16",), ("SHA2-256",), (14,), 28800)
    with pytest.raises(RenderError, match="IKEv1"):
        algorithms.isakmp_policy(_with_phases(phase1), 1)


def test_isakmp_policy_takes_aws_first_choices() -> None:
    phase1 = Proposal(("AES128-GCM-16", "AES256", "AES128"), ("SHA2-384", "SHA1"), (24, 2), 14400)
    policy = algorithms.isakmp_policy(_with_phases(phase1), 3)
    assert (policy.number, policy.encryption, policy.hash, policy.group, policy.lifetime_s) == (
        203,
        "aes 256",
        "sha384",
        "24",
        14400,
    )


def test_one_transform_set_per_cipher_with_aws_first_hash() -> None:
    phase2 = Proposal(
        ("AES256", "AES128-GCM-16", "AES128"), ("SHA2-512", "SHA1"), (14,), 3600, phase=2
    )
    sets = algorithms.transform_sets(_with_phases(phase2=phase2), "x")
    assert [(s.name, s.transforms) for s in sets] == [
        ("x-1", "esp-aes 256 esp-sha512-hmac"),
        ("x-2", "esp-gcm"),
        ("x-3", "esp-aes esp-sha512-hmac"),
    ]


@pytest.mark.parametrize(
    ("requested", "size"), [(64, 64), (100, 64), (1024, 1024), (2048, 1024), (600, 512)]
)
def test_replay_window_sizes(requested: int, size: int) -> None:
    assert algorithms.replay_window_size(requested) == size


@pytest.mark.parametrize(
    ("prefix", "statement"),
    [
        ("10.0.0.0/8", "10.0.0.0"),
        ("10.11.0.0/16", "10.11.0.0 mask 255.255.0.0"),
        ("172.16.0.0/16", "172.16.0.0"),
        ("192.168.5.0/24", "192.168.5.0"),
        ("192.168.0.0/16", "192.168.0.0 mask 255.255.0.0"),
        ("0.0.0.0/0", "0.0.0.0"),
    ],
)
def test_bgp_network_statement_omits_classful_masks(prefix: str, statement: str) -> None:
    assert bgp_network(IPv4Network(prefix)) == statement


def test_every_aws_algorithm_has_a_cisco_word() -> None:
    from cgw.model import ENCRYPTION_ALGORITHMS, INTEGRITY_ALGORITHMS

    for cipher in ENCRYPTION_ALGORITHMS:
        assert cipher in algorithms.IKEV2_ENCRYPTION and cipher in algorithms.ESP_ENCRYPTION
    for digest in INTEGRITY_ALGORITHMS:
        assert digest in algorithms.IKEV2_HASH and digest in algorithms.ESP_INTEGRITY
        assert digest in algorithms.ISAKMP_HASH


def test_psk_is_rendered_only_where_the_device_needs_it() -> None:
    device, vpn = CASES["branch-01"]
    text = get_platform("cisco_ios").render(device, vpn).text
    for t in branch_01().tunnels:
        key = t.psk.reveal()
        assert text.count(key) == 1
        assert f"  pre-shared-key {key}\n" in text
