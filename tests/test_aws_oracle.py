"""The lab's AWS-backed tunnel oracle: tunnels come up only when the router matches lab AWS.

Inputs are configs cgw renders for the seeded branches, loaded into the simulated routers' own
state so the oracle judges exactly the canonical text a simulated router would hand it.
"""

from __future__ import annotations

import posixpath
from collections.abc import Iterator
from ipaddress import IPv4Network
from pathlib import Path
from typing import TYPE_CHECKING

import pytest

from cgw.lab.aws_oracle import (
    AwsOracle,
    TunnelJudgement,
    ios_type7_decode,
    junos9_decode,
    junos9_encode,
    parse_linux,
    reason_of,
)
from cgw.lab.aws_server import lab_vpn, set_tunnel_status
from cgw.lab.routers import OracleVerdict, RouterKind
from cgw.lab.routers.clock import SimClock
from cgw.lab.routers.faults import Faults
from cgw.lab.routers.ios import DEFAULT_IOS_CONFIG, IosState
from cgw.lab.routers.junos import DEFAULT_JUNOS_CONFIG, JunosState
from cgw.lab.routers.linux import LinuxState
from cgw.lab.routers.oracle import DownOracle
from cgw.lab.routers.shell import RouterContext
from cgw.model import Device, LocalSettings, VpnConnection, VpnSelector

if TYPE_CHECKING:
    from cgw.lab.aws_server import LabAws

SEED_CGW = {
    "branch-01": "203.0.113.11",
    "branch-02": "203.0.113.12",
    "branch-03": "203.0.113.13",
    "branch-04": "203.0.113.14",
}
LAN = IPv4Network("10.50.0.0/16")
VPC = "10.100.0.0/16"
PLATFORM = {"cisco_xe": "cisco_xe", "juniper_junos": "juniper_junos", "linux": "strongswan"}
WAN = {"cisco_xe": "GigabitEthernet1", "juniper_junos": "ge-0/0/0.0", "linux": "eth0"}


# --------------------------------------------------------------------------- fixtures


@pytest.fixture(scope="module")
def seeded(lab_aws: LabAws) -> dict[str, VpnConnection]:
    """The seeded VPN connections as cgw fetches them from the lab AWS, by Name tag."""
    from cgw.aws import AwsContext, fetch_vpn_connections

    vpns = fetch_vpn_connections(AwsContext(region="us-east-1"), vpn_ids=lab_aws.vpn_ids.values())
    names = {v: k for k, v in lab_aws.vpn_ids.items()}
    return {names[v.id]: v for v in vpns}


@pytest.fixture(autouse=True)
def telemetry_reset(lab_aws: LabAws) -> Iterator[None]:
    """Leave every seeded tunnel DOWN for other tests, as the seed creates them."""
    yield
    for vpn_id in lab_aws.vpn_ids.values():
        for tunnel in lab_vpn(vpn_id).lab_tunnels:
            set_tunnel_status(vpn_id, tunnel.outside_ip, "DOWN")


def device_for(kind: RouterKind, branch: str, vpn: VpnConnection) -> Device:
    static = vpn.routing == "static"
    local = LocalSettings(
        wan_interface=WAN[kind],
        advertised_prefixes=() if static else (LAN,),
        static_routes=(IPv4Network(VPC),) if static else (),
    )
    return Device(
        name=branch,
        host="127.0.0.1",
        platform=PLATFORM[kind],
        vpn=VpnSelector(customer_gateway_ip=vpn.customer_gateway.ip),
        local=local,
        # branch-04's IKEv1/group 2 is for an IOS that accepts it (IOS XE 17.11+ refuses it).
        release="15.9(3)M4" if kind == "cisco_xe" and branch == "branch-04" else None,
    )


def render(kind: RouterKind, branch: str, vpn: VpnConnection) -> dict[str, str]:
    """cgw's rendering (used only to produce input) as path → content."""
    from cgw.platforms import get_platform

    rendered = get_platform(PLATFORM[kind]).render(device_for(kind, branch, vpn), vpn)
    return {f.path: f.content for f in rendered.files}


def context(kind: RouterKind) -> RouterContext:
    return RouterContext(
        kind=kind, hostname="branch", clock=SimClock(), oracle=DownOracle(), faults=Faults()
    )


def canonical(kind: RouterKind, files: dict[str, str], cgw_ip: str) -> str:
    """The running configuration a simulated router shows once it holds `files`."""
    values = {"hostname": "branch", "outside_ip": cgw_ip, "gateway": "203.0.113.1"}
    if kind == "cisco_xe":
        ios = IosState(context(kind), "secret")
        rejected = ios.running.load(
            "hostname branch\n" + DEFAULT_IOS_CONFIG.format(**values) + "".join(files.values())
        )
        assert rejected == []
        return ios.running_config()
    if kind == "juniper_junos":
        junos = JunosState(context(kind))
        junos.load_initial(DEFAULT_JUNOS_CONFIG.format(**values) + "".join(files.values()))
        return junos.running_config()
    linux = LinuxState(context(kind), outside_ip=cgw_ip)
    linux.seed()
    for path, content in files.items():
        linux.dirs.add(posixpath.dirname(path))
        linux.files[path] = content.encode()
    output, status = linux.load_all()
    assert status == 0, output
    frr = next((p for p in files if p.startswith("/etc/frr/")), None)
    if frr is not None:
        linux.reload_frr(frr)
    return linux.running_config()


def evaluate(
    lab_aws: LabAws, kind: RouterKind, branch: str, files: dict[str, str]
) -> OracleVerdict:
    """The oracle's verdict on `files` loaded into a router of `kind` (reported to lab AWS)."""
    oracle = AwsOracle([lab_aws.vpn_ids[branch]])
    return oracle.evaluate(kind, canonical(kind, files, SEED_CGW[branch]))


def outside(vpn: VpnConnection) -> tuple[str, str]:
    return str(vpn.tunnels[0].aws_outside_ip), str(vpn.tunnels[1].aws_outside_ip)


def aws_inside(vpn: VpnConnection) -> tuple[str, str]:
    return str(vpn.tunnels[0].aws_inside_ip), str(vpn.tunnels[1].aws_inside_ip)


def psk(vpn: VpnConnection, index: int) -> str:
    return vpn.tunnels[index].psk.reveal()


def replace_all(files: dict[str, str], old: str, new: str) -> dict[str, str]:
    assert any(old in c for c in files.values())
    return {p: c.replace(old, new) for p, c in files.items()}


def telemetry(vpn_id: str) -> list[tuple[str, int, str]]:
    return [(t.status, t.accepted_routes, t.status_message) for t in lab_vpn(vpn_id).lab_tunnels]


# --------------------------------------------------------------------------- correct renders

KINDS: tuple[RouterKind, ...] = ("cisco_xe", "juniper_junos", "linux")
BGP_BRANCHES = ("branch-01", "branch-02", "branch-03")


@pytest.mark.parametrize("kind", KINDS)
@pytest.mark.parametrize("branch", BGP_BRANCHES)
def test_correct_bgp_render_brings_everything_up(
    lab_aws: LabAws, seeded: dict[str, VpnConnection], kind: RouterKind, branch: str
) -> None:
    vpn = seeded[branch]
    verdict = evaluate(lab_aws, kind, branch, render(kind, branch, vpn))
    for peer in outside(vpn):
        tunnel = verdict.tunnel(peer)
        assert (tunnel.ike_up, tunnel.ipsec_up, reason_of(tunnel)) == (True, True, "")
    for neighbor in aws_inside(vpn):
        bgp = verdict.neighbor(neighbor)
        assert bgp.established, reason_of(bgp)
        assert bgp.prefixes_received == (VPC,)
    assert telemetry(lab_aws.vpn_ids[branch]) == [("UP", 1, "1 BGP ROUTES")] * 2


@pytest.mark.parametrize("kind", KINDS)
def test_correct_static_render_brings_tunnels_up(
    lab_aws: LabAws, seeded: dict[str, VpnConnection], kind: RouterKind
) -> None:
    vpn = seeded["branch-04"]
    verdict = evaluate(lab_aws, kind, "branch-04", render(kind, "branch-04", vpn))
    for peer in outside(vpn):
        assert (verdict.tunnel(peer).ipsec_up, reason_of(verdict.tunnel(peer))) == (True, "")
    assert verdict.bgp == {}
    assert telemetry(lab_aws.vpn_ids["branch-04"]) == [("UP", 0, "")] * 2


def test_static_route_missing_is_explained(
    lab_aws: LabAws, seeded: dict[str, VpnConnection]
) -> None:
    vpn = seeded["branch-04"]
    files = render("cisco_xe", "branch-04", vpn)
    files = {
        p: "\n".join(ln for ln in c.splitlines() if "ip route 10.100" not in ln or "Tunnel2" in ln)
        for p, c in files.items()
    }
    verdict = evaluate(lab_aws, "cisco_xe", "branch-04", files)
    first, second = outside(vpn)
    assert "no static route to 10.100.0.0/16 via Tunnel1" in reason_of(verdict.tunnel(first))
    assert reason_of(verdict.tunnel(second)) == ""


# --------------------------------------------------------------------------- wrong renders


@pytest.mark.parametrize("kind", KINDS)
def test_wrong_psk_on_tunnel_1_takes_only_tunnel_1_down(
    lab_aws: LabAws, seeded: dict[str, VpnConnection], kind: RouterKind
) -> None:
    vpn = seeded["branch-01"]
    files = replace_all(render(kind, "branch-01", vpn), psk(vpn, 0), "Wrong.Key_123456")
    verdict = evaluate(lab_aws, kind, "branch-01", files)
    first, second = outside(vpn)
    assert not verdict.tunnel(first).ike_up
    assert reason_of(verdict.tunnel(first)).startswith("PSK mismatch")
    assert verdict.tunnel(second).ipsec_up
    assert not verdict.neighbor(aws_inside(vpn)[0]).established
    assert verdict.neighbor(aws_inside(vpn)[1]).established
    assert [s for s, _, _ in telemetry(lab_aws.vpn_ids["branch-01"])] == ["DOWN", "UP"]
    assert telemetry(lab_aws.vpn_ids["branch-01"])[0][2] == "IPSEC IS DOWN"


@pytest.mark.parametrize("kind", KINDS)
def test_swapped_tunnel_keys_take_both_down(
    lab_aws: LabAws, seeded: dict[str, VpnConnection], kind: RouterKind
) -> None:
    vpn = seeded["branch-02"]
    files = render(kind, "branch-02", vpn)
    files = replace_all(files, psk(vpn, 0), "@@one@@")
    files = replace_all(files, psk(vpn, 1), psk(vpn, 0))
    files = replace_all(files, "@@one@@", psk(vpn, 1))
    verdict = evaluate(lab_aws, kind, "branch-02", files)
    for peer in outside(vpn):
        assert not verdict.tunnel(peer).ike_up
        assert reason_of(verdict.tunnel(peer)).startswith("PSK mismatch")
    assert not any(b.established for b in verdict.bgp.values())


@pytest.mark.parametrize("kind", KINDS)
def test_wrong_local_asn_keeps_ipsec_up_and_bgp_down(
    lab_aws: LabAws, seeded: dict[str, VpnConnection], kind: RouterKind
) -> None:
    vpn = seeded["branch-03"]
    files = replace_all(render(kind, "branch-03", vpn), "65013", "65099")
    verdict = evaluate(lab_aws, kind, "branch-03", files)
    for peer in outside(vpn):
        assert verdict.tunnel(peer).ipsec_up
    for neighbor in aws_inside(vpn):
        bgp = verdict.neighbor(neighbor)
        assert not bgp.established
        assert "65099 is not the customer gateway ASN 65013" in reason_of(bgp)
    assert telemetry(lab_aws.vpn_ids["branch-03"]) == [("DOWN", 0, "IPSEC IS UP")] * 2


def test_wrong_amazon_asn_keeps_bgp_down(lab_aws: LabAws, seeded: dict[str, VpnConnection]) -> None:
    vpn = seeded["branch-03"]  # a transit gateway: Amazon side 64513, not the VGW's 64512
    files = replace_all(render("cisco_xe", "branch-03", vpn), "remote-as 64513", "remote-as 64512")
    verdict = evaluate(lab_aws, "cisco_xe", "branch-03", files)
    bgp = verdict.neighbor(aws_inside(vpn)[0])
    assert not bgp.established
    assert "remote-as 64512 is not the Amazon side ASN 64513" in reason_of(bgp)


@pytest.mark.parametrize(
    ("kind", "old", "new"),
    [
        ("cisco_xe", "encryption aes-cbc-256", "encryption aes-cbc-128"),
        ("juniper_junos", "encryption-algorithm aes-256-cbc", "encryption-algorithm aes-128-cbc"),
        ("linux", "proposals = aes256-sha256-modp2048", "proposals = aes128-sha256-modp2048"),
    ],
)
def test_no_phase1_proposal_in_common_is_down(
    lab_aws: LabAws, seeded: dict[str, VpnConnection], kind: RouterKind, old: str, new: str
) -> None:
    vpn = seeded["branch-03"]  # AES256/SHA2-256/group 14 only
    files = replace_all(render(kind, "branch-03", vpn), old, new)
    verdict = evaluate(lab_aws, kind, "branch-03", files)
    for peer in outside(vpn):
        assert not verdict.tunnel(peer).ike_up
        assert reason_of(verdict.tunnel(peer)).startswith("no phase 1 proposal in common")


@pytest.mark.parametrize(
    ("kind", "old", "new", "reason"),
    [
        ("cisco_xe", "set pfs group14", "set pfs group5", "PFS group mismatch"),
        ("juniper_junos", "keys group14", "keys group2", "PFS group mismatch"),
        (
            "linux",
            "esp_proposals = aes256-sha256-modp2048",
            "esp_proposals = aes256-sha1-modp2048",
            "no phase 2 proposal in common",
        ),
    ],
)
def test_phase2_mismatch_keeps_ike_up_and_ipsec_down(
    lab_aws: LabAws,
    seeded: dict[str, VpnConnection],
    kind: RouterKind,
    old: str,
    new: str,
    reason: str,
) -> None:
    vpn = seeded["branch-03"]
    files = replace_all(render(kind, "branch-03", vpn), old, new)
    verdict = evaluate(lab_aws, kind, "branch-03", files)
    for peer in outside(vpn):
        tunnel = verdict.tunnel(peer)
        assert (tunnel.ike_up, tunnel.ipsec_up) == (True, False)
        assert reason_of(tunnel).startswith(reason)


@pytest.mark.parametrize("kind", ["cisco_xe", "juniper_junos"])
def test_wrong_inside_address_keeps_ipsec_down(
    lab_aws: LabAws, seeded: dict[str, VpnConnection], kind: RouterKind
) -> None:
    vpn = seeded["branch-01"]
    old = "169.254.101.2 255.255.255.252" if kind == "cisco_xe" else "169.254.101.2/30"
    new = "169.254.101.1 255.255.255.252" if kind == "cisco_xe" else "169.254.101.1/30"
    files = replace_all(render(kind, "branch-01", vpn), old, new)
    verdict = evaluate(lab_aws, kind, "branch-01", files)
    first, second = outside(vpn)
    assert (verdict.tunnel(first).ike_up, verdict.tunnel(first).ipsec_up) == (True, False)
    assert "not the customer inside address 169.254.101.2/30" in reason_of(verdict.tunnel(first))
    assert verdict.tunnel(second).ipsec_up


def test_ike_version_aws_refuses_is_down(lab_aws: LabAws, seeded: dict[str, VpnConnection]) -> None:
    vpn = seeded["branch-03"]  # IKEv2 only
    files = replace_all(
        render("juniper_junos", "branch-03", vpn), "version v2-only", "version v1-only"
    )
    verdict = evaluate(lab_aws, "juniper_junos", "branch-03", files)
    assert reason_of(verdict.tunnel(outside(vpn)[0])).startswith("IKE version mismatch")


def test_local_identity_must_be_the_customer_gateway(
    lab_aws: LabAws, seeded: dict[str, VpnConnection]
) -> None:
    vpn = seeded["branch-01"]
    files = replace_all(
        render("cisco_xe", "branch-01", vpn),
        "identity local address 203.0.113.11",
        "identity local address 203.0.113.99",
    )
    verdict = evaluate(lab_aws, "cisco_xe", "branch-01", files)
    reason = reason_of(verdict.tunnel(outside(vpn)[0]))
    assert reason == "local IKE identity 203.0.113.99 is not the customer gateway IP 203.0.113.11"


def test_junos_obfuscated_keys_are_compared_by_value(
    lab_aws: LabAws, seeded: dict[str, VpnConnection]
) -> None:
    vpn = seeded["branch-01"]
    files = render("juniper_junos", "branch-01", vpn)
    for index in (0, 1):
        files = replace_all(files, f'"{psk(vpn, index)}"', f'"{junos9_encode(psk(vpn, index))}"')
    verdict = evaluate(lab_aws, "juniper_junos", "branch-01", files)
    assert all(verdict.tunnel(peer).ipsec_up for peer in outside(vpn))


def test_junos_zone_without_ike_or_bgp_is_explained(
    lab_aws: LabAws, seeded: dict[str, VpnConnection]
) -> None:
    vpn = seeded["branch-01"]
    files = render("juniper_junos", "branch-01", vpn)
    files = {
        p: "\n".join(
            ln
            for ln in c.splitlines()
            if "system-services ike" not in ln and "protocols bgp" not in ln
        )
        for p, c in files.items()
    }
    verdict = evaluate(lab_aws, "juniper_junos", "branch-01", files)
    assert "does not accept IKE" in reason_of(verdict.tunnel(outside(vpn)[0]))


def test_frr_without_inbound_policy_receives_nothing(
    lab_aws: LabAws, seeded: dict[str, VpnConnection]
) -> None:
    vpn = seeded["branch-01"]
    files = render("linux", "branch-01", vpn)
    files = {
        p: "\n".join(ln for ln in c.splitlines() if "route-map" not in ln or " out" in ln)
        for p, c in files.items()
    }
    verdict = evaluate(lab_aws, "linux", "branch-01", files)
    bgp = verdict.neighbor(aws_inside(vpn)[0])
    assert bgp.established and bgp.prefixes_received == ()
    assert "ebgp-requires-policy" in reason_of(bgp)


def test_linux_interface_addresses_are_checked_when_visible(
    lab_aws: LabAws, seeded: dict[str, VpnConnection]
) -> None:
    vpn = seeded["branch-01"]
    files = render("linux", "branch-01", vpn)
    text = canonical("linux", files, SEED_CGW["branch-01"])
    script = next(c for p, c in files.items() if p.endswith("-interfaces.sh"))
    oracle = AwsOracle([lab_aws.vpn_ids["branch-01"]], report=False)
    assert all(j.verdict.ipsec_up for j in oracle.judge("linux", text + script))
    broken = script.replace("169.254.101.6 peer", "169.254.101.7 peer")
    judged = oracle.judge("linux", text + broken)
    assert [j.verdict.ipsec_up for j in judged] == [True, False]
    assert "not the customer inside address 169.254.101.6/30" in judged[1].verdict.reason
    assert parse_linux(text).peers[0].interface_known is False


def test_unrelated_router_reports_every_tunnel_down(
    lab_aws: LabAws, seeded: dict[str, VpnConnection]
) -> None:
    vpn = seeded["branch-01"]
    verdict = evaluate(lab_aws, "cisco_xe", "branch-01", {})
    for peer in outside(vpn):
        assert reason_of(verdict.tunnel(peer)) == f"no IPsec peer at the AWS outside IP {peer}"
    assert telemetry(lab_aws.vpn_ids["branch-01"]) == [("DOWN", 0, "IPSEC IS DOWN")] * 2


def test_reports_only_changes_and_follows_aws_modifications(
    lab_aws: LabAws, seeded: dict[str, VpnConnection]
) -> None:
    vpn_id = lab_aws.vpn_ids["branch-01"]
    vpn = seeded["branch-01"]
    text = canonical("cisco_xe", render("cisco_xe", "branch-01", vpn), SEED_CGW["branch-01"])
    oracle = AwsOracle([vpn_id])
    oracle.evaluate("cisco_xe", text)
    changed = [t.last_status_change for t in lab_vpn(vpn_id).lab_tunnels]
    oracle.evaluate("cisco_xe", text)
    assert [t.last_status_change for t in lab_vpn(vpn_id).lab_tunnels] == changed
    # AWS side changes the key (ModifyVpnTunnelOptions): the router's render is now stale
    tunnel = lab_vpn(vpn_id).lab_tunnels[0]
    original = tunnel.psk
    tunnel.psk = "Rotated.Key_0000000"
    try:
        verdict = oracle.evaluate("cisco_xe", text)
        assert reason_of(verdict.tunnel(tunnel.outside_ip)).startswith("PSK mismatch")
        assert lab_vpn(vpn_id).lab_tunnels[0].status == "DOWN"
    finally:
        tunnel.psk = original


def test_remote_endpoint_reads_and_reports_over_http(
    lab_aws: LabAws, seeded: dict[str, VpnConnection]
) -> None:
    vpn_id = lab_aws.vpn_ids["branch-04"]
    vpn = seeded["branch-04"]
    text = canonical(
        "juniper_junos", render("juniper_junos", "branch-04", vpn), SEED_CGW["branch-04"]
    )
    verdict = AwsOracle([vpn_id], endpoint=lab_aws.endpoint).evaluate("juniper_junos", text)
    assert all(verdict.tunnel(peer).ipsec_up for peer in outside(vpn))
    assert telemetry(vpn_id) == [("UP", 0, "")] * 2


def test_reasons_never_hold_keys(lab_aws: LabAws, seeded: dict[str, VpnConnection]) -> None:
    vpn = seeded["branch-01"]
    files = replace_all(render("cisco_xe", "branch-01", vpn), psk(vpn, 0), "Wrong.Key_123456")
    oracle = AwsOracle([lab_aws.vpn_ids["branch-01"]], report=False)
    judged: list[TunnelJudgement] = oracle.judge(
        "cisco_xe", canonical("cisco_xe", files, SEED_CGW["branch-01"])
    )
    text = repr(judged) + " ".join(j.verdict.reason for j in judged)
    assert psk(vpn, 0) not in text and "Wrong.Key_123456" not in text


def test_reversible_secret_encodings() -> None:
    # published examples: IOS type 7 of "cisco"; a Junos $9$ of "welcome1234"
    assert ios_type7_decode("0822455D0A16") == "cisco"
    assert junos9_decode("$9$DDk5FCA0Rhrmf0IEyW8-VwYaZDikPTzji") == "welcome1234"
    for salt in ("Q", "B", "7", "i"):
        assert junos9_decode(junos9_encode("A7xq.Lw2_Pz9Rk4Tn", salt)) == "A7xq.Lw2_Pz9Rk4Tn"


# --------------------------------------------------------------------------- end to end over SSH


def test_pushed_ios_config_shows_ikev2_sa_ready(
    lab_aws: LabAws, seeded: dict[str, VpnConnection], tmp_path: Path
) -> None:
    from netmiko import ConnectHandler

    from cgw.lab.routers import start_router

    vpn_id = lab_aws.vpn_ids["branch-01"]
    vpn = seeded["branch-01"]
    router = start_router(
        "cisco_xe",
        hostname="branch-01",
        username="admin",
        password="lab-password",
        host_key_path=tmp_path / "ios.key",
        outside_ip=SEED_CGW["branch-01"],
        oracle=AwsOracle([vpn_id]),
    )
    try:
        connection = ConnectHandler(
            device_type="cisco_xe",
            host="127.0.0.1",
            port=router.port,
            username="admin",
            password="lab-password",
            secret="lab-password",
            fast_cli=False,
        )
        try:
            connection.enable()
            before = str(connection.send_command("show crypto ikev2 sa"))
            assert "READY" not in before
            lines = render("cisco_xe", "branch-01", vpn)["running-config"].splitlines()
            connection.send_config_set([ln for ln in lines if ln.strip() != "!"])
            after = str(connection.send_command("show crypto ikev2 sa"))
        finally:
            connection.disconnect()
    finally:
        router.stop()
    for peer in outside(vpn):
        rows = [ln for ln in after.splitlines() if f"{peer}/500" in ln]
        assert rows and "READY" in rows[0], after
    assert [s for s, _, _ in telemetry(vpn_id)] == ["UP", "UP"]
