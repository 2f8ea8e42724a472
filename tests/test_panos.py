"""PAN-OS: AWS's own sample, algorithms, release rules, options, parsers, planning."""

from __future__ import annotations

import re
from dataclasses import replace

import pytest
from render_cases import (
    AWS_SAMPLE_CGW_ASN,
    AWS_SAMPLE_UPLINK,
    AWS_SAMPLES_DIR,
    aws_sample_device,
    aws_sample_vpn,
    branch_01,
    branch_02,
    golden_cases,
    with_local,
)

from cgw.errors import RenderError, ValidationError
from cgw.model import DeviceConfig, Proposal
from cgw.platforms import get_platform
from cgw.platforms.paloalto_panos import algorithms, parse_release, release_tuple
from cgw.platforms.paloalto_panos.deploy import remediation, statements
from cgw.platforms.paloalto_panos.options import PanosOptions

PANOS = get_platform("paloalto_panos")
CASES = golden_cases("paloalto_panos")


def render(name: str) -> str:
    device, vpn = CASES[name]
    return PANOS.render(device, vpn).text


# --- AWS's own sample ----------------------------------------------------------------------
def sample_statements() -> list[str]:
    """The sample's `edit`/`set`/`top` blocks as flat `set` statements.

    The sample forgets a `top` after each IPsec tunnel block; an `edit network ...` therefore
    starts from the top of the hierarchy, as the paths it names are absolute.
    """
    text = (AWS_SAMPLES_DIR / "paloalto_panos_4.1_aws_doc.txt").read_text()
    context: list[str] = []
    lines = []
    for raw in text.splitlines():
        line = " ".join(raw.split())
        if not line or line.startswith("!") or line == "configure":
            continue
        if line == "top":
            context = []
        elif line.startswith("edit "):
            path = line.removeprefix("edit ")
            context = [path] if path.startswith("network ") else [*context, path]
        elif line.startswith("set "):
            lines.append(" ".join(["set", *context, line.removeprefix("set ")]))
    return lines


# The sample's tunnel "-0" (ipsec-tunnel-1, tunnel.1) peers with 72.21.209.193, which is
# tunnel 2 of the VPN connection cgw renders; names and units are compared by peer.
def normalise(line: str, side: str) -> str:
    """Names, units, inside addresses and keys to placeholders; the rest as written."""
    if side == "sample":
        line = re.sub(
            r"\b(?:ike-crypto-vpn|ike-vpn|ipsec-vpn|amazon-tunnel)-\w{8}-0\b", "<193>", line
        )
        line = re.sub(
            r"\b(?:ike-crypto-vpn|ike-vpn|ipsec-vpn|amazon-tunnel)-\w{8}-1\b", "<225>", line
        )
        line = line.replace("ipsec-tunnel-1", "<193>").replace("ipsec-tunnel-2", "<225>")
        line = line.replace("tunnel.1", "<if193>").replace("tunnel.2", "<if225>")
        line = line.replace("YOUR_UPLINK_ADDRESS", AWS_SAMPLE_UPLINK)
        line = line.replace("YOUR_BGP_ASN", str(AWS_SAMPLE_CGW_ASN))
        line = line.replace("AmazonBGP", "<group>").replace("vr-export", "<export>")
    else:
        line = line.replace("aws-vpn-44a8938f-t1", "<225>").replace("aws-vpn-44a8938f-t2", "<193>")
        line = line.replace("tunnel.1", "<if225>").replace("tunnel.2", "<if193>")
        line = re.sub(r"peer-group aws-vpn-44a8938f\b", "peer-group <group>", line)
        line = re.sub(r"used-by aws-vpn-44a8938f\b", "used-by <group>", line)
        line = re.sub(r"export rules aws-vpn-44a8938f\b", "export rules <export>", line)
    line = re.sub(r"\b169\.254\.[\d.]+(?:/\d+)?", "<inside>", line)
    return re.sub(r"pre-shared-key key \S+", "pre-shared-key key <psk>", line)


BGP = "set network virtual-router default protocol bgp"
GW = "set network ike gateway"
CP = "set network ike crypto-profiles"
# How the sample's statements read in PAN-OS's own set output: it combines several leaves in
# one `set`, uses PAN-OS 4.1's cipher words, and puts some statements at the wrong level.
SAMPLE_REWRITES: dict[str, tuple[str, ...]] = {
    **{
        f"{GW} <{t}> protocol ikev1 dpd interval 10 retry 3 enable yes": (
            f"{GW} <{t}> protocol ikev1 dpd interval 10",
            f"{GW} <{t}> protocol ikev1 dpd retry 3",
            f"{GW} <{t}> protocol ikev1 dpd enable yes",
        )
        for t in ("193", "225")
    },
    **{
        f"{GW} <{t}> protocol ikev1 ike-crypto-profile <{t}> exchange-mode main": (
            f"{GW} <{t}> protocol ikev1 ike-crypto-profile <{t}>",
            f"{GW} <{t}> protocol ikev1 exchange-mode main",
        )
        for t in ("193", "225")
    },
    **{
        f"{CP} ipsec-crypto-profiles <{t}> dh-group group2 lifetime seconds 3600": (
            f"{CP} ipsec-crypto-profiles <{t}> dh-group group2",
            f"{CP} ipsec-crypto-profiles <{t}> lifetime seconds 3600",
        )
        for t in ("193", "225")
    },
    **{
        f"{CP} {kind} <{t}> {leaf} aes128": (f"{CP} {kind} <{t}> {leaf} aes-128-cbc",)
        for t in ("193", "225")
        for kind, leaf in (
            ("ike-crypto-profiles", "encryption"),
            ("ipsec-crypto-profiles", "esp encryption"),
        )
    },
    # The sample writes the tunnel unit's leaves on `network interface tunnel` itself.
    "set network interface tunnel units <if193>": (),
    "set network interface tunnel units <if225>": (),
    "set network interface tunnel ip <inside>": (
        "set network interface tunnel units <if193> ip <inside>",
        "set network interface tunnel units <if225> ip <inside>",
    ),
    # The export rule's match and used-by belong inside the rule.
    f"{BGP} policy match address-prefix 0.0.0.0/0 exact yes": (
        f"{BGP} policy export rules <export> match address-prefix 0.0.0.0/0 exact yes",
    ),
    f"{BGP} policy used-by <group> enable yes": (
        f"{BGP} policy export rules <export> used-by <group>",
        f"{BGP} policy export rules <export> enable yes",
    ),
}


def sample_lines() -> set[str]:
    lines: set[str] = set()
    for line in sample_statements():
        line = normalise(line, "sample")
        lines.update(SAMPLE_REWRITES.get(line, (line,)))
    return lines


def _both(template: dict[str, str]) -> dict[str, str]:
    return {k.format(t=t): v for t in ("193", "225") for k, v in template.items()}


# Lines of AWS's sample cgw does not render, each with the reason.
SAMPLE_ONLY: dict[str, str] = {
    "set network interface tunnel mtu 1427": "AWS's current guidance is MTU 1436, per unit",
    f"{BGP} policy match address-prefix 192.168.0.0/16 exact yes": (
        "the sample's 'additional prefix' example; cgw advertises local.advertised_prefixes"
    ),
    **_both(
        {
            f"{GW} <{{t}}> local-address ip {AWS_SAMPLE_UPLINK}": (
                "the interface's own address is used unless local.wan_address names it"
            ),
        }
    ),
}
# Lines cgw renders that AWS's sample lacks, each with the reason.
RENDERED_ONLY: dict[str, str] = {
    **_both(
        {
            f"{GW} <{{t}}> protocol version ikev1": "the IKE version the tunnel allows, explicit",
            f"{GW} <{{t}}> protocol-common nat-traversal enable no": (
                "AWS: disable NAT-T when not behind NAT"
            ),
            f"{GW} <{{t}}> protocol-common fragmentation enable no": "IKE fragmentation off",
            "set network interface tunnel units <if{t}> mtu 1436": "AWS guidance: MTU 1436",
            "set network interface tunnel units <if{t}> comment <{t}>": "names the unit as cgw's",
            "set network interface tunnel units <if{t}> adjust-tcp-mss enable yes": (
                "AWS guidance: TCP MSS 1379"
            ),
            "set network interface tunnel units <if{t}> adjust-tcp-mss ipv4-mss-adjustment 57": (
                "MSS = MTU 1436 - 57 = 1379"
            ),
            "set zone aws-vpn-44a8938f network layer3 <if{t}>": (
                "a tunnel interface needs a zone (the sample leaves it to the reader)"
            ),
            "set network virtual-router default interface <if{t}>": (
                "a tunnel interface needs a virtual router"
            ),
        }
    ),
    f"{BGP} peer-group <group> type ebgp": "the peer group's type, explicit",
    f"{BGP} peer-group <group> enable yes": "the peer group enabled",
    **{
        f"set rulebase security rules aws-vpn-44a8938f-{d} {leaf}": "traffic between the zones"
        for d, leaves in (
            ("out", ("from trust", "to aws-vpn-44a8938f")),
            ("in", ("from aws-vpn-44a8938f", "to trust")),
        )
        for leaf in (
            *leaves,
            "source any",
            "destination any",
            "application any",
            "service any",
            "action allow",
        )
    },
}


def test_aws_sample_matches_except_listed_deviations() -> None:
    rendered_text = PANOS.render(aws_sample_device("paloalto_panos"), aws_sample_vpn()).text
    rendered = {normalise(line, "cgw") for line in rendered_text.splitlines()}
    sample = sample_lines()
    assert set(SAMPLE_ONLY) <= sample, sorted(set(SAMPLE_ONLY) - sample)
    assert set(RENDERED_ONLY) <= rendered, sorted(set(RENDERED_ONLY) - rendered)
    assert sorted(sample - set(SAMPLE_ONLY)) == sorted(rendered - set(RENDERED_ONLY))


# --- form ----------------------------------------------------------------------------------
@pytest.mark.parametrize("name", sorted(CASES))
def test_every_line_is_one_set_statement_in_canonical_form(name: str) -> None:
    lines = render(name).splitlines()
    assert lines and all(line.startswith("set ") for line in lines)
    assert len(lines) == len(set(lines)), "a statement is rendered twice"
    for line in lines:
        assert line == " ".join(line.split())
        if "[" in line:  # a list leaf holds two or more members, as PAN-OS prints it
            assert re.search(r" \[ \S+( \S+)+ \]$", line), line


# --- algorithms and releases -----------------------------------------------------------------
def test_release_is_read_from_show_system_info() -> None:
    output = "hostname: PA-VM\nmodel: PA-VM\nsw-version: 10.2.4-h3\nvpn-disable-mode: off\n"
    assert parse_release(output) == "10.2.4-h3"
    assert release_tuple("10.2.4-h3") == (10, 2)
    assert release_tuple(None) == (11, 1)


def test_ike_gcm_needs_ikev2_and_panos_10() -> None:
    tunnel = branch_02().tunnels[0]
    v2 = algorithms.ike_profile(tunnel, "ikev2", "p", (10, 0))
    assert v2.encryption[0] == "aes-256-gcm"
    assert "aes-256-gcm" not in algorithms.ike_profile(tunnel, "ikev1", "p", (11, 1)).encryption
    assert "aes-256-gcm" not in algorithms.ike_profile(tunnel, "ikev2", "p", (9, 1)).encryption


def test_a_gcm_only_phase1_on_ikev1_is_refused() -> None:
    tunnel = branch_01().tunnels[0]  # AES256-GCM-16 only
    with pytest.raises(RenderError, match="AES128 or AES256"):
        algorithms.ike_profile(tunnel, "ikev1", "p", (11, 1))


def test_dh_groups_16_and_21_only_from_10_2() -> None:
    tunnel = branch_02().tunnels[0]
    assert "group21" in algorithms.ike_profile(tunnel, "ikev2", "p", (10, 2)).dh_group
    assert "group21" not in algorithms.ike_profile(tunnel, "ikev2", "p", (10, 1)).dh_group
    only_unsupported = replace(tunnel, phase1=Proposal(("AES256",), ("SHA1",), (15, 22), 28800))
    with pytest.raises(RenderError, match="none of DH groups 15, 22"):
        algorithms.ike_profile(only_unsupported, "ikev2", "p", (11, 1))


def test_an_all_gcm_ipsec_profile_has_no_authentication() -> None:
    assert algorithms.ipsec_profile(branch_01().tunnels[0], "p", (11, 1)).authentication == (
        "none",
    )


# --- options and routing engines ---------------------------------------------------------------
def test_options_are_validated() -> None:
    with pytest.raises(ValidationError, match="routing_engine"):
        PanosOptions(routing_engine="ospf")
    with pytest.raises(ValidationError, match="31 characters"):
        PanosOptions(trust_zone="z" * 32)
    with pytest.raises(ValidationError, match="wan_address"):
        PanosOptions(wan_address="203.0.113.10")


def test_advanced_routing_renders_a_logical_router_and_needs_10_2() -> None:
    device, vpn = CASES["branch-01"]
    advanced = with_local(device, options=PanosOptions(routing_engine="advanced", router="lr1"))
    text = PANOS.render(advanced, vpn).text
    assert "set network logical-router lr1 vrf default interface tunnel.1" in text
    group = "aws-vpn-0a1b2c3d4e5f60011"
    bgp = "set network logical-router lr1 vrf default bgp"
    assert f"{bgp} peer-group {group} connection-options timers {group}" in text
    assert (
        "set network routing-profile bgp timer-profile aws-vpn-0a1b2c3d4e5f60011 hold-time 30"
        in text
    )
    assert "virtual-router" not in text
    with pytest.raises(RenderError, match=r"10\.2"):
        PANOS.render(replace(advanced, release="10.1.9"), vpn)


# --- parsers ----------------------------------------------------------------------------------
# Constructed (not a capture): the block layout of `show routing protocol bgp peer`.
CONSTRUCTED_BGP_PEER = """\
  Peer:                            aws-vpn-0a1b2c3d4e5f60011-t1 (id 1)
    virtual router:                default
    peer group:                    aws-vpn-0a1b2c3d4e5f60011 (id 1)
    Remote AS:                     64512
    Peer status:                   Established, for 812 secs
    Peer address:                  169.254.101.1:179
    Local address:                 169.254.101.2:33071
    Prefix counter for send/receive: 1/3
  Peer:                            aws-vpn-0a1b2c3d4e5f60011-t2 (id 2)
    virtual router:                default
    peer group:                    aws-vpn-0a1b2c3d4e5f60011 (id 1)
    Remote AS:                     64512
    Peer status:                   Active
    Peer address:                  169.254.101.5:179
    Local address:                 169.254.101.6:0
    Prefix counter for send/receive: 0/0
"""


def test_bgp_peer_blocks_become_neighbours() -> None:
    status = PANOS.parse_status({"show routing protocol bgp peer": CONSTRUCTED_BGP_PEER})
    assert status.bgp is not None
    up, down = status.bgp
    assert (up.neighbor, up.remote_as, up.established, up.prefixes_received) == (
        "169.254.101.1",
        "64512",
        True,
        3,
    )
    assert (down.neighbor, down.state, down.established) == ("169.254.101.5", "Active", False)


def test_a_refused_command_is_unknown_not_down() -> None:
    status = PANOS.parse_status({"show vpn flow": "Invalid syntax.\n"})
    assert status.interfaces_up is None


# --- planning ---------------------------------------------------------------------------------
def plan_for(running: str, name: str = "branch-01", **options: object):  # type: ignore[no-untyped-def]
    device, vpn = CASES[name]
    if options:
        device = with_local(device, options=PanosOptions(**options))  # type: ignore[arg-type]
    intended = PANOS.render(device, vpn)
    deployer = PANOS.deployer
    config = DeviceConfig.cli(device.name, "paloalto_panos", running)
    return deployer.plan(deployer.owned(config, device, vpn), intended, device, vpn)


def test_shared_member_lists_gain_only_cgws_members() -> None:
    """A zone and a router others use: cgw adds its tunnel.2, never touches tunnel.9."""
    device, vpn = CASES["branch-01"]
    text = PANOS.render(with_local(device, options=PanosOptions(vpn_zone="vpn")), vpn).text
    running = "".join(
        f"{line}\n"
        for line in text.splitlines()
        if not line.startswith(("set zone", "set network virtual-router default interface"))
    ) + (
        "set zone vpn network layer3 [ tunnel.1 tunnel.9 ]\n"
        "set network virtual-router default interface [ ethernet1/1 ethernet1/2 tunnel.1 ]\n"
    )
    plan = plan_for(running, vpn_zone="vpn")
    assert plan.commands == (
        "set zone vpn network layer3 tunnel.2",
        "set network virtual-router default interface tunnel.2",
    ), plan.commands


def test_a_changed_leaf_is_one_set_and_a_changed_list_is_replaced() -> None:
    text = render("branch-01")
    running = text.replace("lifetime seconds 3600", "lifetime seconds 1800").replace(
        "ike-crypto-profiles aws-vpn-0a1b2c3d4e5f60011-t2 encryption aes-256-cbc",
        "ike-crypto-profiles aws-vpn-0a1b2c3d4e5f60011-t2 encryption [ aes-128-cbc aes-256-cbc ]",
    )
    commands = plan_for(running).commands
    profile = "network ike crypto-profiles ike-crypto-profiles aws-vpn-0a1b2c3d4e5f60011-t2"
    assert f"delete {profile} encryption" in commands
    assert f"set {profile} encryption aes-256-cbc" in commands
    assert sum("lifetime seconds 3600" in c for c in commands) == 2
    assert not any(c.startswith("delete") and "lifetime" in c for c in commands)


def test_a_removed_tunnel_object_goes_in_one_delete_and_foreign_lines_stay() -> None:
    extra = (
        "set network ike gateway aws-vpn-0a1b2c3d4e5f60011-t3 peer-address ip 192.0.2.9\n"
        "set network ike gateway aws-vpn-0a1b2c3d4e5f60011-t3 protocol version ikev2\n"
        "set network ike gateway branch-office peer-address ip 192.0.2.10\n"
        "set zone trust network layer3 ethernet1/2\n"
    )
    commands = plan_for(render("branch-01") + extra).commands
    assert commands == ("delete network ike gateway aws-vpn-0a1b2c3d4e5f60011-t3",)


def test_an_encrypted_device_key_is_kept_and_noted() -> None:
    running = re.sub(r"(pre-shared-key key) \S+", r"\1 -AQ==bm90IGEga2V5", render("branch-01"))
    plan = plan_for(running)
    assert plan.in_sync
    assert any("encrypted" in note for note in plan.notes)
    assert "bm90IGEga2V5" not in plan.running


def test_shared_bgp_statements_are_kept_as_the_device_has_them() -> None:
    running = render("branch-01").replace("router-id 203.0.113.11", "router-id 10.0.0.1")
    plan = plan_for(running)
    assert plan.in_sync
    assert any("router-id 10.0.0.1" in note for note in plan.notes)


def test_remediation_deletes_before_it_sets() -> None:
    assert remediation(
        ["set network tunnel ipsec x anti-replay yes"],
        ["set network ike gateway y peer-address ip 192.0.2.1"],
    ) == ["delete network tunnel ipsec x", "set network ike gateway y peer-address ip 192.0.2.1"]
    assert statements("set zone z network layer3 [ tunnel.1 tunnel.2 ]\n") == [
        "set zone z network layer3 tunnel.1",
        "set zone z network layer3 tunnel.2",
    ]
