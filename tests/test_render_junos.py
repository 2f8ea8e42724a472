"""Juniper SRX rendering: AWS's own sample, reviewed goldens, `set` form, algorithms."""

from __future__ import annotations

import re
from dataclasses import replace

import pytest
from hier_config import Platform, WorkflowRemediation, get_hconfig
from render_cases import (
    AWS_SAMPLE_CGW_ASN,
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
from cgw.model import Proposal, VpnConnection
from cgw.platforms import Platform as CgwPlatform
from cgw.platforms import get_platform
from cgw.platforms.juniper_junos import algorithms, logical_interface

CASES = golden_cases("juniper_junos")
JUNOS = get_platform("juniper_junos")


def render(name: str) -> str:
    device, vpn = CASES[name]
    return JUNOS.render(device, vpn).text


def set_lines(text: str) -> list[str]:
    return [line for line in text.splitlines() if line.startswith("set ")]


# --- AWS's own sample ----------------------------------------------------------------------
def normalise_names(line: str) -> str:
    """Object names to <tN>, the export policy to <export>, the BGP group to <group>."""
    line = re.sub(
        r"\b(?:ike-prop|ike-pol|gw|ipsec-prop|ipsec-pol)-vpn-44a8938f-(\d)\b", r"<t\1>", line
    )
    line = re.sub(r"\bvpn vpn-44a8938f-(\d)\b", r"vpn <t\1>", line)
    line = re.sub(r"\baws-vpn-44a8938f-export\b|\bEXPORT-DEFAULT\b", "<export>", line)
    line = re.sub(r"\baws-vpn-44a8938f-t(\d)(?:-\d+)?\b", r"<t\1>", line)
    line = re.sub(r"\bgroup (?:aws-vpn-44a8938f|ebgp)\b", "group <group>", line)
    return re.sub(r"\bterm (?:default|advertised)\b", "term <accept>", line)


# Where the sample writes a statement differently from how `display set` prints it back.
SAMPLE_SPELLINGS = (
    (r"^set interfaces st0\.(\d+) ", r"set interfaces st0 unit \1 "),
    (r"pre-shared-key ascii-text (\S+)$", r'pre-shared-key ascii-text "\1"'),
)


def sample_lines() -> set[str]:
    text = (AWS_SAMPLES_DIR / "juniper_srx_junos11_aws_doc.txt").read_text()
    text = text.replace("YOUR_BGP_ASN", str(AWS_SAMPLE_CGW_ASN))
    text = re.sub(r"plain-text-password(\d)", r"plain_text_password\1", text)
    lines = set()
    for line in set_lines(text):
        line = normalise_names(line.strip())
        for pattern, replacement in SAMPLE_SPELLINGS:
            line = re.sub(pattern, replacement, line)
        lines.add(line)
    return lines


def _per_tunnel(template: dict[str, str]) -> dict[str, str]:
    return {
        line.format(n=n, nbr=neighbor): reason
        for n, neighbor in ((1, "169.254.255.1"), (2, "169.254.255.5"))
        for line, reason in template.items()
    }


ZONES = "set security zones security-zone"
# Lines of AWS's sample cgw does not render, each with the reason.
SAMPLE_ONLY: dict[str, str] = {
    f"{ZONES} untrust host-inbound-traffic system-services ike": (
        "IKE is allowed on the WAN interface only, not zone-wide"
    ),
    f"{ZONES} trust host-inbound-traffic protocols bgp": (
        "BGP is allowed on cgw's st0 units only, not zone-wide"
    ),
    "set security flow tcp-mss ipsec-vpn mss 1387": "AWS's current guidance is 1379",
    **_per_tunnel(
        {
            "set security ike gateway <t{n}> dead-peer-detection": (
                "DPD with AWS's interval 10 and threshold 3 spelled out"
            ),
            f"{ZONES} trust interfaces st0.{{n}}": (
                "display set prints the unit's host-inbound lines, not a bare binding"
            ),
        }
    ),
}
# Lines cgw renders that AWS's sample lacks, each with the reason.
RENDERED_ONLY: dict[str, str] = {
    f"{ZONES} untrust interfaces ge-0/0/0.0 host-inbound-traffic system-services ike": (
        "IKE allowed on the WAN interface"
    ),
    "set security flow tcp-mss ipsec-vpn mss 1379": "AWS's guidance: TCP MSS 1379",
    "set routing-options autonomous-system 65000": (
        "local-as needs a system AS; a shared statement, added only when the SRX has none"
    ),
    **_per_tunnel(
        {
            "set security ipsec vpn <t{n}> establish-tunnels immediately": (
                "the SRX initiates: AWS's default startup action `add` waits for the CGW"
            ),
            "set security ike gateway <t{n}> dead-peer-detection interval 10": "AWS guidance",
            "set security ike gateway <t{n}> dead-peer-detection threshold 3": "AWS guidance",
            "set security ike gateway <t{n}> local-address 203.0.113.10": (
                "IKE sourced from the customer gateway address"
            ),
            "set security ike gateway <t{n}> version v1-only": "the tunnel allows IKEv1 only",
            f"{ZONES} trust interfaces st0.{{n}} host-inbound-traffic system-services ping": (
                "lets the AWS inside address ping the tunnel for troubleshooting"
            ),
            f"{ZONES} trust interfaces st0.{{n}} host-inbound-traffic protocols bgp": (
                "BGP allowed on the st0 unit"
            ),
            "set interfaces st0 unit {n} description <t{n}>": "names the unit as cgw's own",
            "set protocols bgp group <group> neighbor {nbr} description <t{n}>": (
                "names the neighbour as cgw's own"
            ),
        }
    ),
}


def test_aws_sample_matches_except_listed_deviations() -> None:
    rendered_text = JUNOS.render(aws_sample_device("juniper_junos"), aws_sample_vpn()).text
    rendered = {normalise_names(line) for line in set_lines(rendered_text)}
    sample = sample_lines()
    assert set(SAMPLE_ONLY) <= sample, sorted(set(SAMPLE_ONLY) - sample)
    assert set(RENDERED_ONLY) <= rendered, sorted(set(RENDERED_ONLY) - rendered)
    assert sorted(sample - set(SAMPLE_ONLY)) == sorted(rendered - set(RENDERED_ONLY))


# --- Goldens and form ----------------------------------------------------------------------
@pytest.mark.parametrize("name", sorted(CASES))
def test_golden(name: str) -> None:
    check_golden(f"juniper_junos_{name}", render(name))


@pytest.mark.parametrize("name", sorted(CASES))
def test_every_line_is_a_set_command(name: str) -> None:
    text = render(name)
    assert text.endswith("\n")
    lines = text.splitlines()
    assert lines == set_lines(text)
    assert len(lines) == len(set(lines)), "a statement is rendered twice"
    for line in lines:
        assert line == line.rstrip() and "  " not in line and ";" not in line


@pytest.mark.parametrize("name", sorted(CASES))
def test_hier_config_round_trip_is_empty(name: str) -> None:
    text = render(name)
    rendered = get_hconfig(Platform.JUNIPER_JUNOS, text)
    again = get_hconfig(Platform.JUNIPER_JUNOS, text)
    assert not tuple(WorkflowRemediation(rendered, again).remediation_config.all_children())
    from_empty = WorkflowRemediation(get_hconfig(Platform.JUNIPER_JUNOS, ""), again)
    assert len(tuple(from_empty.remediation_config.all_children())) == len(set_lines(text))


def test_rendered_config_is_one_private_running_config_file() -> None:
    device, vpn = CASES["branch-01"]
    rendered = JUNOS.render(device, vpn)
    assert [(f.path, f.mode) for f in rendered.files] == [("running-config", 0o600)]
    assert (rendered.platform, JUNOS.netmiko_device_type) == ("juniper_junos", "juniper_junos")
    assert JUNOS.default_wan_interface == "ge-0/0/0.0"
    assert isinstance(JUNOS, CgwPlatform)


# --- What the seed's tunnels become --------------------------------------------------------
def test_branch_01_gcm_tunnel_has_no_separate_hash() -> None:
    lines = set_lines(render("branch-01"))
    t1 = "aws-vpn-0a1b2c3d4e5f60011-t1-1"
    assert f"set security ike proposal {t1} encryption-algorithm aes-256-gcm" in lines
    assert f"set security ike proposal {t1} dh-group group20" in lines
    assert not any(
        line.startswith(f"set security ike proposal {t1} authentication-algorithm")
        for line in lines
    )
    assert not any(
        line.startswith(f"set security ipsec proposal {t1} authentication-algorithm")
        for line in lines
    )
    t2 = "aws-vpn-0a1b2c3d4e5f60011-t2-1"
    assert f"set security ipsec proposal {t2} authentication-algorithm hmac-sha-256-128" in lines


def test_the_srx_initiates_whatever_aws_startup_action_says() -> None:
    # branch-01's tunnel 1 keeps AWS's default `add` (AWS waits), tunnel 2 has `start`.
    _, vpn = CASES["branch-01"]
    assert [t.startup_action for t in vpn.tunnels] == ["add", "start"]
    text = render("branch-01")
    for n in (1, 2):
        assert f"vpn aws-vpn-0a1b2c3d4e5f60011-t{n} establish-tunnels immediately\n" in text


def test_bgp_renders_the_system_as_local_as_needs() -> None:
    assert "set routing-options autonomous-system 65011\n" in render("branch-01")
    assert "autonomous-system" not in render("branch-04")  # static routing


def only_groups(vpn: VpnConnection, groups: tuple[int, ...]) -> VpnConnection:
    tunnels = tuple(
        replace(
            t,
            phase1=replace(t.phase1, dh_groups=groups),
            phase2=replace(t.phase2, dh_groups=groups),
        )
        for t in vpn.tunnels
    )
    return replace(vpn, tunnels=tunnels)


@pytest.mark.parametrize("release", ["12.3X48-D105.4", "15.1X49-D170.4"])
def test_a_release_without_a_group_keyword_is_never_rendered_it(release: str) -> None:
    device, vpn = CASES["branch-01"]
    old = replace(device, release=release)
    mixed = only_groups(vpn, (21, 14))
    assert "dh-group group21" in JUNOS.render(device, mixed).text  # current releases: strongest
    text = JUNOS.render(old, mixed).text
    assert "group21" not in text and "dh-group group14" in text and "keys group14" in text
    with pytest.raises(RenderError, match=f"none of DH groups 21 is supported by Junos {release}"):
        JUNOS.render(old, only_groups(vpn, (21,)))


def test_a_current_release_renders_groups_added_later() -> None:
    device, vpn = CASES["branch-01"]
    text = JUNOS.render(replace(device, release="21.4R3-S5.4"), only_groups(vpn, (21,)))
    assert "dh-group group21" in text.text


def test_ikev2_gateway_has_no_main_mode() -> None:
    text = render("branch-01")
    assert " version v2-only\n" in text and " mode main" not in text
    assert " version v1-only\n" in render("branch-04") and " mode main\n" in render("branch-04")


def test_nat_keepalive_and_public_identity_behind_nat() -> None:
    text = render("branch-01-nat")
    gateway = "set security ike gateway aws-vpn-0a1b2c3d4e5f60011-t1"
    assert f"{gateway} nat-keepalive 10\n" in text
    assert f"{gateway} local-identity inet 203.0.113.11\n" in text
    assert f"{gateway} local-address 192.168.1.11\n" in text
    assert "no-nat-traversal" not in text
    assert "bind-interface st0.101\n" in text and "set interfaces st0 unit 102 " in text
    assert "no-nat-traversal" in render("branch-01")


def test_static_routes_fail_over_to_tunnel_2() -> None:
    text = render("branch-04")
    assert "set routing-options static route 10.100.0.0/16 next-hop st0.1\n" in text
    assert (
        "set routing-options static route 10.100.0.0/16 qualified-next-hop st0.2 preference 10\n"
        in text
    )
    assert "protocols bgp" not in text and "policy-options" not in text
    assert "protocols bgp" not in text and "host-inbound-traffic protocols bgp" not in text


def test_bgp_group_export_policy_and_zones_follow_the_inventory() -> None:
    device, vpn = CASES["branch-02"]
    device = with_local(device, trust_zone="vpn", untrust_zone="internet", wan_interface="ge-0/0/3")
    text = JUNOS.render(device, vpn).text
    assert "security-zone vpn interfaces st0.1 host-inbound-traffic protocols bgp\n" in text
    assert "security-zone internet interfaces ge-0/0/3.0 host-inbound-traffic" in text
    assert "external-interface ge-0/0/3.0\n" in text
    policy = "set policy-options policy-statement aws-vpn-0a1b2c3d4e5f60012-export"
    assert f"{policy} term advertised from route-filter 172.16.0.0/16 exact\n" in text
    assert "neighbor 169.254.47.149 local-as 65012\n" in text


def test_no_advertised_prefixes_exports_nothing() -> None:
    device, vpn = CASES["branch-02"]
    text = JUNOS.render(with_local(device, advertised_prefixes=()), vpn).text
    assert "term advertised" not in text and "term reject then reject\n" in text


@pytest.mark.parametrize(
    ("name", "logical"), [("ge-0/0/0", "ge-0/0/0.0"), ("ge-0/0/1.100", "ge-0/0/1.100")]
)
def test_logical_interface(name: str, logical: str) -> None:
    assert logical_interface(name) == logical


# --- The algorithm table -------------------------------------------------------------------
def _with_phases(phase1: Proposal | None = None, phase2: Proposal | None = None):  # type: ignore[no-untyped-def]
    tunnel = branch_02().tunnels[0]
    return replace(tunnel, phase1=phase1 or tunnel.phase1, phase2=phase2 or tunnel.phase2)


def test_one_ike_proposal_per_cipher_with_aws_first_hash_and_group() -> None:
    phase1 = Proposal(("AES256", "AES128-GCM-16"), ("SHA2-384", "SHA1"), (22, 21, 14), 28800)
    proposals = algorithms.ike_proposals(_with_phases(phase1), "ikev2", "x")
    assert [(p.name, p.encryption, p.authentication, p.dh_group) for p in proposals] == [
        ("x-1", "aes-256-cbc", "sha-384", "group21"),
        ("x-2", "aes-128-gcm", None, "group21"),
    ]


def test_ikev1_drops_gcm_and_refuses_gcm_only() -> None:
    phase1 = Proposal(("AES128-GCM-16", "AES128"), ("SHA1",), (2,), 28800)
    assert [p.encryption for p in algorithms.ike_proposals(_with_phases(phase1), "ikev1", "x")] == [
        "aes-128-cbc"
    ]
    gcm_only = Proposal(("AES128-GCM-16",), ("SHA1",), (2,), 28800)
    with pytest.raises(RenderError, match="IKEv1"):
        algorithms.ike_proposals(_with_phases(gcm_only), "ikev1", "x")


def test_unsupported_groups_only_is_an_error() -> None:
    phase2 = Proposal(("AES128",), ("SHA1",), (17, 23), 3600, phase=2)
    with pytest.raises(RenderError, match="Junos"):
        algorithms.pfs_group(_with_phases(phase2=phase2))


def test_ipsec_proposals_put_the_strongest_first() -> None:
    phase2 = Proposal(("AES128", "AES256-GCM-16"), ("SHA1", "SHA2-256"), (2, 20), 3600, phase=2)
    proposals = algorithms.ipsec_proposals(_with_phases(phase2=phase2), "x")
    assert [(p.encryption, p.authentication) for p in proposals] == [
        ("aes-256-gcm", None),
        ("aes-128-cbc", "hmac-sha-256-128"),
    ]
    assert algorithms.pfs_group(_with_phases(phase2=phase2)) == "group20"


def test_psk_is_rendered_once_per_tunnel() -> None:
    text = render("branch-01")
    for t in branch_01().tunnels:
        assert text.count(t.psk.reveal()) == 1
