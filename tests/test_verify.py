"""Tests for cgw.verify: matching rows to tunnels, verdicts, offline captures, output shapes."""

from __future__ import annotations

import importlib
import json
import subprocess
import sys
from dataclasses import replace
from ipaddress import IPv4Address, IPv4Network, ip_address, ip_network
from pathlib import Path
from types import ModuleType

import pytest

import cgw.platforms
from cgw import verify
from cgw.errors import CgwError
from cgw.model import (
    RESERVED_INSIDE_CIDRS,
    BgpNeighbor,
    BgpPeering,
    CustomerGateway,
    Gateway,
    IkeSa,
    IpsecSa,
    ParsedStatus,
    Proposal,
    Tunnel,
    TunnelTelemetry,
    VpnConnection,
)
from cgw.parsing import command_filename
from cgw.secrets import PreSharedKey
from cgw.verify import (
    STATUS_COLUMNS,
    CaptureError,
    load_captures,
    normalise_address,
    status_rows,
    status_to_json,
    tunnel_statuses,
    verify_offline,
)

V4_OUTSIDE = ("203.0.113.10", "203.0.113.20")
V6_OUTSIDE = ("2600:1f18:aaaa::10", "2600:1f18:aaaa::20")
INSIDE = ("169.254.10.0/30", "169.254.20.0/30")


def make_tunnel(
    number: int,
    outside: str,
    cgw_outside: str,
    routing: str,
    inside: str | None = None,
    aws_inside: str | None = None,
) -> Tunnel:
    cidr = IPv4Network(inside or INSIDE[number - 1])
    hosts = list(cidr.hosts())
    if aws_inside is not None:  # AWS's side is normally the first host; a capture may differ
        hosts.sort(key=lambda host: str(host) != aws_inside)
    aws_inside_ip, cgw_inside = hosts
    return Tunnel(
        number=number,
        aws_outside_ip=ip_address(outside),
        cgw_outside_ip=ip_address(cgw_outside),
        inside_cidr=cidr,
        aws_inside_ip=aws_inside_ip,
        cgw_inside_ip=cgw_inside,
        psk=PreSharedKey(f"tunnelkey{number}secret"),
        ike_versions=("ikev2",),
        phase1=Proposal(("AES256",), ("SHA2-256",), (14,), 28800, phase=1),
        phase2=Proposal(("AES256",), ("SHA2-256",), (14,), 3600, phase=2),
        bgp=BgpPeering(aws_asn=64512, cgw_asn=65000) if routing == "bgp" else None,
    )


def make_vpn(
    routing: str = "bgp",
    outside: tuple[str, str] = V4_OUTSIDE,
    telemetry: tuple[TunnelTelemetry, ...] = (),
    inside: tuple[str, str] = INSIDE,
    aws_inside: str | None = None,
) -> VpnConnection:
    cgw_outside = "2001:db8::1" if ":" in outside[0] else "198.51.100.1"
    return VpnConnection(
        id="vpn-0abc1234",
        type="ipsec.1",
        gateway=Gateway("vgw", "vgw-0abc1234"),
        customer_gateway=CustomerGateway("cgw-0abc1234", ip_address(cgw_outside), 65000),
        routing=routing,  # type: ignore[arg-type]
        tunnels=(
            make_tunnel(1, outside[0], cgw_outside, routing, inside[0], aws_inside),
            make_tunnel(2, outside[1], cgw_outside, routing, inside[1]),
        ),
        telemetry=telemetry,
    )


def ike(peer: str, up: bool = True, state: str = "READY") -> IkeSa:
    return IkeSa(peer=peer, local="198.51.100.1", state=state if up else "MM_NO_STATE", up=up)


def ipsec(peer: str, up: bool = True, packets: tuple[int, int] = (100, 200)) -> IpsecSa:
    state = "ACTIVE" if up else "DOWN"
    return IpsecSa(peer=peer, state=state, up=up, packets_in=packets[0], packets_out=packets[1])


def bgp(neighbor: str, state: str = "Established", prefixes: int | None = 3) -> BgpNeighbor:
    established = state == "Established"
    return BgpNeighbor(neighbor, "64512", state, established, prefixes if established else None)


def all_up(vpn: VpnConnection) -> ParsedStatus:
    t1, t2 = vpn.tunnels
    return ParsedStatus(
        ike_sas=(ike(str(t1.aws_outside_ip)), ike(str(t2.aws_outside_ip))),
        ipsec_sas=(ipsec(str(t1.aws_outside_ip)), ipsec(str(t2.aws_outside_ip))),
        bgp=(bgp(str(t1.aws_inside_ip)), bgp(str(t2.aws_inside_ip))),
    )


def judge(vpn: VpnConnection, parsed: ParsedStatus, **kwargs: object) -> verify.DeviceStatus:
    return tunnel_statuses(vpn, parsed, device_name="branch1", platform="cisco_ios", **kwargs)  # type: ignore[arg-type]


# --- overall states -------------------------------------------------------------------------------


def test_both_tunnels_up_is_up_with_exit_0() -> None:
    vpn = make_vpn()
    status = judge(vpn, all_up(vpn))
    assert status.overall == "UP"
    assert verify.exit_code(status) == 0
    assert [t.up for t in status.tunnels] == [True, True]
    assert [t.reason for t in status.tunnels] == ["", ""]
    first = status.tunnels[0]
    assert (first.ike_state, first.ipsec_state, first.bgp_state) == (
        "READY",
        "ACTIVE",
        "Established",
    )
    assert (first.packets_in, first.packets_out, first.prefixes_received) == (100, 200, 3)


def test_one_tunnel_ike_down_is_degraded() -> None:
    vpn = make_vpn()
    parsed = all_up(vpn)
    parsed = replace(parsed, ike_sas=(ike(V4_OUTSIDE[0]), ike(V4_OUTSIDE[1], up=False)))
    status = judge(vpn, parsed)
    assert status.overall == "DEGRADED"
    assert verify.exit_code(status) == 2
    assert status.tunnels[0].up is True
    assert status.tunnels[1].up is False
    assert status.tunnels[1].reason == "IKE SA not established (MM_NO_STATE)"


def test_both_bgp_active_is_down() -> None:
    vpn = make_vpn()
    t1, t2 = vpn.tunnels
    parsed = replace(
        all_up(vpn),
        bgp=(bgp(str(t1.aws_inside_ip), "Active"), bgp(str(t2.aws_inside_ip), "Idle (Admin)")),
    )
    status = judge(vpn, parsed)
    assert status.overall == "DOWN"
    assert verify.exit_code(status) == 2
    assert [t.reason for t in status.tunnels] == ["BGP Active", "BGP Idle (Admin)"]
    assert [t.bgp_established for t in status.tunnels] == [False, False]


def test_nothing_read_is_unknown_with_exit_2() -> None:
    status = judge(make_vpn(), ParsedStatus())
    assert status.overall == "UNKNOWN"
    assert verify.exit_code(status) == 2
    assert [t.up for t in status.tunnels] == [None, None]
    assert status.tunnels[0].reason == "IKE state unknown, IPsec state unknown, BGP state unknown"
    assert status.tunnels[0].ike_up is None


def test_known_failure_beats_unknown_sections() -> None:
    vpn = make_vpn()
    parsed = ParsedStatus(ike_sas=(ike(V4_OUTSIDE[0], up=False),))
    status = judge(vpn, parsed)
    assert [t.up for t in status.tunnels] == [False, False]
    assert status.tunnels[0].reason == "IKE SA not established (MM_NO_STATE)"
    assert status.tunnels[1].reason == "IKE SA not established (no SA)"
    assert status.overall == "DOWN"


def test_one_up_one_unknown_is_degraded_and_down_plus_unknown_is_unknown() -> None:
    vpn = make_vpn()
    t1, _ = vpn.tunnels
    up_one = ParsedStatus(
        ike_sas=(ike(V4_OUTSIDE[0]), ike(V4_OUTSIDE[1])),
        ipsec_sas=(ipsec(V4_OUTSIDE[0]), ipsec(V4_OUTSIDE[1])),
        bgp=(bgp(str(t1.aws_inside_ip)),),
    )
    status = judge(vpn, up_one)
    assert [t.up for t in status.tunnels] == [True, False]
    assert status.tunnels[1].reason == f"BGP neighbor {vpn.tunnels[1].aws_inside_ip} not configured"

    unknown_two = replace(up_one, bgp=None)
    assert judge(vpn, unknown_two).overall == "UNKNOWN"
    with_one_up = replace(unknown_two, ike_sas=(ike(V4_OUTSIDE[0], up=False), ike(V4_OUTSIDE[1])))
    tunnels = judge(vpn, with_one_up).tunnels
    assert [t.up for t in tunnels] == [False, None]
    assert verify.overall_state(tunnels) == "UNKNOWN"
    assert verify.overall_state((tunnels[1], replace(tunnels[0], up=True))) == "DEGRADED"


# --- matching by address --------------------------------------------------------------------------


def test_rows_match_by_address_not_position() -> None:
    vpn = make_vpn()
    t1, t2 = vpn.tunnels
    parsed = ParsedStatus(
        ike_sas=(ike(f"{t2.aws_outside_ip}/4500", up=False), ike(f"{t1.aws_outside_ip}/4500")),
        ipsec_sas=(
            ipsec(f"{t2.aws_outside_ip}[4500]", packets=(7, 8)),
            ipsec(f"{t1.aws_outside_ip}:4500", packets=(1, 2)),
        ),
        bgp=(bgp(str(t2.aws_inside_ip), "Connect"), bgp(str(t1.aws_inside_ip), prefixes=5)),
    )
    first, second = judge(vpn, parsed).tunnels
    assert (first.up, first.packets_in, first.packets_out, first.prefixes_received) == (
        True,
        1,
        2,
        5,
    )
    assert (second.up, second.packets_in, second.bgp_state) == (False, 7, "Connect")
    assert second.reason == "IKE SA not established (MM_NO_STATE)"


def test_rows_of_other_peers_are_ignored() -> None:
    vpn = make_vpn()
    parsed = replace(
        all_up(vpn),
        ike_sas=(ike("192.0.2.99"), ike(V4_OUTSIDE[0])),
    )
    first, second = judge(vpn, parsed).tunnels
    assert first.up is True
    assert (second.ike_up, second.ike_state) == (False, None)


def test_several_sas_for_one_peer_one_up_is_enough_and_counters_add() -> None:
    vpn = make_vpn()
    parsed = replace(
        all_up(vpn),
        ike_sas=(ike(V4_OUTSIDE[0], up=False), ike(V4_OUTSIDE[0]), ike(V4_OUTSIDE[1])),
        ipsec_sas=(
            ipsec(V4_OUTSIDE[0], packets=(10, 20)),
            ipsec(V4_OUTSIDE[0], packets=(1, 2)),
            ipsec(V4_OUTSIDE[1]),
        ),
    )
    first = judge(vpn, parsed).tunnels[0]
    assert (first.ike_up, first.ike_state) == (True, "READY")
    assert (first.packets_in, first.packets_out) == (11, 22)


def test_ipv6_peers_match_in_any_spelling() -> None:
    vpn = make_vpn(outside=V6_OUTSIDE)
    t1, t2 = vpn.tunnels
    parsed = ParsedStatus(
        ike_sas=(ike("2600:1F18:AAAA:0:0:0:0:20/500"), ike("2600:1f18:aaaa::10")),
        ipsec_sas=(ipsec("[2600:1f18:aaaa::20]:4500"), ipsec("2600:1F18:AAAA::10[500]")),
        bgp=(bgp(str(t1.aws_inside_ip)), bgp(str(t2.aws_inside_ip))),
    )
    status = judge(vpn, parsed)
    assert status.overall == "UP"
    assert str(status.tunnels[1].aws_outside_ip) == "2600:1f18:aaaa::20"


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("203.0.113.10", "203.0.113.10"),
        (" 203.0.113.10/500 ", "203.0.113.10"),
        ("203.0.113.10:4500", "203.0.113.10"),
        ("203.0.113.10[4500]", "203.0.113.10"),
        ("[2001:DB8::1]:500", "2001:db8::1"),
        ("2001:db8:0:0::1/4500", "2001:db8::1"),
        ("fe80::1%eth0", "fe80::1"),
        ("vpn-peer", None),
        ("", None),
    ],
)
def test_normalise_address(text: str, expected: str | None) -> None:
    result = normalise_address(text)
    assert (str(result) if result is not None else None) == expected


# --- static routing -------------------------------------------------------------------------------


def static_status(interfaces_up: tuple[str, ...] | None) -> ParsedStatus:
    return ParsedStatus(
        ike_sas=(ike(V4_OUTSIDE[0]), ike(V4_OUTSIDE[1])),
        ipsec_sas=(ipsec(V4_OUTSIDE[0]), ipsec(V4_OUTSIDE[1])),
        interfaces_up=interfaces_up,
    )


def test_static_routing_needs_the_tunnel_interface_up() -> None:
    vpn = make_vpn(routing="static")
    status = judge(
        vpn, static_status(("GigabitEthernet1", "tunnel2")), interface_names=("Tunnel1", "Tunnel2")
    )
    assert status.overall == "DEGRADED"
    first, second = status.tunnels
    assert (first.static_route_present, first.up, first.reason) == (False, False, "Tunnel1 down")
    assert (second.static_route_present, second.up) == (True, True)
    assert first.bgp_state is None and first.bgp_established is None
    assert status_rows(status)[0][5] == "static Tunnel1 down"


def test_static_routing_with_unknown_interfaces_is_unknown() -> None:
    vpn = make_vpn(routing="static")
    status = judge(vpn, static_status(None), interface_names=("st0.1", "st0.2"))
    assert status.overall == "UNKNOWN"
    assert status.tunnels[0].reason == "st0.1 state unknown"


def test_static_policy_based_without_interfaces_decides_on_sas() -> None:
    vpn = make_vpn(routing="static")
    status = judge(vpn, static_status(None))
    assert status.overall == "UP"
    assert status.tunnels[0].static_route_present is None
    assert status_rows(status)[0][5] == "static (policy)"


def test_static_routing_ignores_bgp_rows() -> None:
    vpn = make_vpn(routing="static")
    parsed = replace(static_status(("Tunnel1", "Tunnel2")), bgp=(bgp("169.254.10.1", "Active"),))
    status = judge(vpn, parsed, interface_names=("Tunnel1", "Tunnel2"))
    assert status.overall == "UP"


# --- AWS telemetry --------------------------------------------------------------------------------


def telemetry(outside: str, status: str, message: str = "") -> TunnelTelemetry:
    return TunnelTelemetry(ip_address(outside), status, message, 2, "2024-05-01T10:00:00Z")


def test_aws_down_while_device_up_is_reported_but_device_decides() -> None:
    vpn = make_vpn(
        telemetry=(
            telemetry(V4_OUTSIDE[1], "UP", "2 BGP ROUTES"),
            telemetry(V4_OUTSIDE[0], "DOWN", "IPSEC IS DOWN"),
        )
    )
    status = judge(vpn, all_up(vpn))
    assert status.overall == "UP"
    first, second = status.tunnels
    assert first.up is True
    assert first.reason == "AWS reports DOWN: IPSEC IS DOWN"
    assert (first.aws_status, first.aws_status_message) == ("DOWN", "IPSEC IS DOWN")
    assert (first.aws_accepted_routes, first.aws_last_change) == (2, "2024-05-01T10:00:00Z")
    assert (second.aws_status, second.reason) == ("UP", "")


def test_aws_up_while_device_down_joins_both_reasons() -> None:
    vpn = make_vpn(telemetry=(telemetry(V4_OUTSIDE[0], "UP"), telemetry(V4_OUTSIDE[1], "UP")))
    parsed = replace(all_up(vpn), ipsec_sas=(ipsec(V4_OUTSIDE[0]), ipsec(V4_OUTSIDE[1], up=False)))
    second = judge(vpn, parsed).tunnels[1]
    assert second.up is False
    assert second.reason == "IPsec SA not established (DOWN); AWS reports UP"


def test_no_telemetry_leaves_aws_fields_empty() -> None:
    vpn = make_vpn()
    first = judge(vpn, all_up(vpn)).tunnels[0]
    assert (first.aws_status, first.aws_accepted_routes) == (None, None)
    assert status_rows(judge(vpn, all_up(vpn)))[0][7] == "?"


# --- output shapes --------------------------------------------------------------------------------


def test_status_to_json_round_trips_through_json() -> None:
    vpn = make_vpn(telemetry=(telemetry(V4_OUTSIDE[0], "DOWN"),))
    data = json.loads(json.dumps(status_to_json(judge(vpn, all_up(vpn)))))
    assert data["overall"] == "UP"
    assert data["vpn_id"] == "vpn-0abc1234"
    assert data["tunnels"][0]["aws_outside_ip"] == "203.0.113.10"
    assert data["tunnels"][0]["reason"] == "AWS reports DOWN"
    assert data["ike_sas"][0] == {
        "peer": "203.0.113.10",
        "local": "198.51.100.1",
        "state": "READY",
        "up": True,
    }
    assert set(data["ipsec_sas"][0]) == {"peer", "state", "up", "packets_in", "packets_out"}
    assert set(data["bgp"][0]) == {
        "neighbor",
        "remote_as",
        "state",
        "established",
        "prefixes_received",
    }


def test_status_rows_have_one_cell_per_column_and_mark_unknown() -> None:
    vpn = make_vpn()
    rows = status_rows(judge(vpn, ParsedStatus()))
    assert len(rows) == 2
    assert all(len(row) == len(STATUS_COLUMNS) for row in rows)
    assert rows[0][:5] == ("1", "203.0.113.10", "169.254.10.1/169.254.10.2", "?", "?")
    assert rows[0][8] == "?"
    up_rows = status_rows(judge(vpn, all_up(vpn)))
    assert up_rows[1][3:9] == ("READY", "ACTIVE", "BGP Established (3 pfx)", "100/200", "?", "yes")


def test_no_pre_shared_key_in_status_output() -> None:
    vpn = make_vpn()
    status = judge(vpn, all_up(vpn))
    text = json.dumps(status_to_json(status)) + repr(status) + repr(status_rows(status))
    assert "tunnelkey1secret" not in text
    assert "tunnelkey2secret" not in text


# --- offline captures -----------------------------------------------------------------------------

COMMANDS = ("show crypto ikev2 sa", "show crypto ipsec sa", "show ip bgp summary")


def test_load_captures_reads_present_files_and_skips_missing(tmp_path: Path) -> None:
    (tmp_path / command_filename(COMMANDS[0])).write_bytes(b"line one\r\nline two\r\n")
    outputs = load_captures(tmp_path, COMMANDS)
    assert outputs == {COMMANDS[0]: "line one\nline two\n"}


def test_load_captures_refuses_binary_and_non_utf8(tmp_path: Path) -> None:
    path = tmp_path / command_filename(COMMANDS[1])
    path.write_bytes(b"\x1f\x8b\x08\x00\x00\x00")
    with pytest.raises(CaptureError, match="binary") as info:
        load_captures(tmp_path, COMMANDS)
    assert "\n" not in str(info.value)
    path.write_bytes(b"peer \xff\xfe state")
    with pytest.raises(CaptureError, match="not UTF-8"):
        load_captures(tmp_path, COMMANDS)


def test_load_captures_missing_folder_is_an_error(tmp_path: Path) -> None:
    with pytest.raises(CgwError, match="does not exist"):
        load_captures(tmp_path / "nope", COMMANDS)


def test_load_captures_unreadable_file_is_one_line_error(tmp_path: Path) -> None:
    (tmp_path / command_filename(COMMANDS[2])).mkdir()  # a folder where a file should be
    with pytest.raises(CaptureError, match="cannot read capture") as info:
        load_captures(tmp_path, COMMANDS)
    assert "\n" not in str(info.value)


class FakePlatform:
    """A platform whose parser says only which commands it was given."""

    name = "fake_os"
    netmiko_device_type = "fake_os"
    template_dir = "fake_os"
    verify_commands = COMMANDS

    def __init__(self) -> None:
        self.seen: dict[str, str] = {}

    def render(self, device: object, vpn: object) -> object:
        raise NotImplementedError

    def parse_status(self, outputs: dict[str, str]) -> ParsedStatus:
        self.seen = dict(outputs)
        ike_sas = None
        if COMMANDS[0] in outputs:
            ike_sas = tuple(ike(line.split()[0]) for line in outputs[COMMANDS[0]].splitlines())
        return ParsedStatus(ike_sas=ike_sas)


@pytest.fixture
def fake_platform(monkeypatch: pytest.MonkeyPatch) -> FakePlatform:
    platform = FakePlatform()

    def get_platform(name: str) -> object:
        assert name == "fake_os"
        return platform

    monkeypatch.setattr(cgw.platforms, "get_platform", get_platform)
    return platform


def test_verify_offline_without_vpn_gives_null_for_missing_sections(
    tmp_path: Path, fake_platform: FakePlatform
) -> None:
    (tmp_path / command_filename(COMMANDS[0])).write_text("203.0.113.10 READY\n")
    result = verify_offline("fake_os", tmp_path)
    assert fake_platform.seen == {COMMANDS[0]: "203.0.113.10 READY\n"}
    assert result == {
        "ike_sas": [
            {"peer": "203.0.113.10", "local": "198.51.100.1", "state": "READY", "up": True}
        ],
        "ipsec_sas": None,
        "bgp": None,
    }


def test_verify_offline_with_vpn_adds_tunnels_and_overall(
    tmp_path: Path, fake_platform: FakePlatform
) -> None:
    (tmp_path / command_filename(COMMANDS[0])).write_text("203.0.113.20 READY\n")
    result = verify_offline("fake_os", tmp_path, make_vpn())
    assert result["overall"] == "UNKNOWN"  # tunnel 1 has no IKE SA; tunnel 2 may yet be up
    assert result["device"] == tmp_path.name
    assert result["platform"] == "fake_os"
    assert [t["up"] for t in result["tunnels"]] == [False, None]
    assert result["tunnels"][1]["reason"] == "IPsec state unknown, BGP state unknown"


def test_verify_offline_on_an_empty_folder_is_unknown(
    tmp_path: Path, fake_platform: FakePlatform
) -> None:
    result = verify_offline("fake_os", tmp_path, make_vpn())
    assert result["overall"] == "UNKNOWN"
    assert result["ike_sas"] is None


def test_platform_without_verify_hooks_is_a_clear_error(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    class RenderOnly:
        name = "render_only"

    monkeypatch.setattr(cgw.platforms, "get_platform", lambda name: RenderOnly())
    with pytest.raises(CgwError, match="render_only has no verify"):
        verify_offline("render_only", tmp_path)


# --- end to end through the real platform parsers -------------------------------------------------

REPO = Path(__file__).resolve().parent.parent
DATA = REPO / "tests" / "data"
PLATFORM_PACKAGES = ("cisco_ios", "juniper_junos", "strongswan")
SPARE_V4, SPARE_V6 = "198.18.0.2", "2001:db8:ffff::2"


def real_status_module(package: str) -> ModuleType:
    try:
        return importlib.import_module(f"cgw.platforms.{package}.status")
    except ModuleNotFoundError:
        pytest.skip(f"cgw.platforms.{package}.status not written yet")


def real_captures(package: str, module: ModuleType) -> list[tuple[str, Path]]:
    found = [
        (command, raw)
        for command in module.VERIFY_COMMANDS
        for raw in sorted((DATA / package / command_filename(command)[:-4]).glob("*.raw"))
    ]
    if not found:
        pytest.skip(f"no tests/data/{package} captures yet")
    return found


def single_row_peers(peers: list[str]) -> list[str]:
    addresses = [normalise_address(p) for p in peers]
    return [p for p, a in zip(peers, addresses, strict=True) if a and addresses.count(a) == 1]


def vpn_towards(
    peer: str, routing: str = "static", inside: tuple[str, str] = INSIDE
) -> VpnConnection:
    address = normalise_address(peer)
    assert address is not None
    spare = SPARE_V6 if address.version == 6 else SPARE_V4
    return make_vpn(routing=routing, outside=(str(address), spare), inside=inside)


@pytest.mark.parametrize("package", PLATFORM_PACKAGES)
def test_real_sa_rows_land_on_the_tunnel_with_that_peer(package: str) -> None:
    module = real_status_module(package)
    checked = 0
    for command, raw in real_captures(package, module):
        parsed = module.parse_outputs({command: raw.read_text(encoding="utf-8")})
        for sa in parsed.ike_sas or ():
            if sa.peer not in single_row_peers([s.peer for s in parsed.ike_sas or ()]):
                continue
            first, second = judge(vpn_towards(sa.peer), parsed).tunnels
            assert (first.ike_state, first.ike_up) == (sa.state, sa.up), raw
            assert (second.ike_up, second.up) == (False, False), raw
            checked += 1
        for sa in parsed.ipsec_sas or ():
            if sa.peer not in single_row_peers([s.peer for s in parsed.ipsec_sas or ()]):
                continue
            first = judge(vpn_towards(sa.peer), parsed).tunnels[0]
            assert (first.ipsec_up, first.packets_in, first.packets_out) == (
                sa.up,
                sa.packets_in,
                sa.packets_out,
            ), raw
            checked += 1
    assert checked, f"no SA row of {package} matched a tunnel by its peer address"


def aws_inside_cidr(neighbor: str) -> str | None:
    """The /30 an AWS-side inside address belongs to, if the neighbour could be one."""
    address = normalise_address(neighbor)
    if not isinstance(address, IPv4Address) or address not in ip_network("169.254.0.0/16"):
        return None
    cidr = IPv4Network(f"{address}/30", strict=False)
    if address not in list(cidr.hosts()) or cidr in RESERVED_INSIDE_CIDRS:
        return None
    return str(cidr)


@pytest.mark.parametrize("package", PLATFORM_PACKAGES)
def test_real_bgp_rows_land_on_the_tunnel_with_that_inside_address(package: str) -> None:
    module = real_status_module(package)
    for command, raw in real_captures(package, module):
        parsed = module.parse_outputs({command: raw.read_text(encoding="utf-8")})
        for neighbor in parsed.bgp or ():
            cidr = aws_inside_cidr(neighbor.neighbor)
            if cidr is None or cidr == INSIDE[1]:
                continue
            vpn = make_vpn(inside=(cidr, INSIDE[1]), aws_inside=neighbor.neighbor)
            first, second = judge(vpn, parsed).tunnels
            assert (first.bgp_state, first.bgp_established, first.prefixes_received) == (
                neighbor.state,
                neighbor.established,
                neighbor.prefixes_received,
            ), raw
            assert second.bgp_established is False, raw


class StatusModulePlatform:
    """A platform made of a status module, for as long as PLATFORM lacks the verify hooks."""

    def __init__(self, name: str, module: ModuleType) -> None:
        self.name = name
        self.verify_commands: tuple[str, ...] = module.VERIFY_COMMANDS
        self._module = module

    def parse_status(self, outputs: dict[str, str]) -> ParsedStatus:
        parsed: ParsedStatus = self._module.parse_outputs(outputs)
        return parsed


@pytest.mark.parametrize("package", PLATFORM_PACKAGES)
def test_verify_offline_reads_real_captures_through_the_platform(
    package: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    module = real_status_module(package)
    platform = importlib.import_module(f"cgw.platforms.{package}").PLATFORM
    if not isinstance(platform, verify.VerifiablePlatform):
        platform = StatusModulePlatform(platform.name, module)
        monkeypatch.setattr(cgw.platforms, "get_platform", lambda name: platform)
    outputs: dict[str, str] = {}
    for command, raw in real_captures(package, module):
        if command not in outputs:  # one capture per command, the first by name
            outputs[command] = raw.read_text(encoding="utf-8")
            (tmp_path / command_filename(command)).write_text(outputs[command], encoding="utf-8")
    result = verify_offline(platform.name, tmp_path)
    assert result == verify.parsed_to_json(module.parse_outputs(outputs))
    assert all(result[key] is not None for key in ("ike_sas", "ipsec_sas", "bgp"))


def test_parse_benchmark_runs_with_a_small_count() -> None:
    script = REPO / "benchmarks" / "parse.py"
    done = subprocess.run(
        [sys.executable, str(script), "--count", "20"],
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    if done.returncode == 1 and "no captures" in done.stderr:
        pytest.skip("no platform captures with a status module yet")
    assert done.returncode == 0, done.stderr
    assert "cgw parse_command" in done.stdout
    assert "captures/s" in done.stdout


# --- one unreadable output degrades, never aborts ---------------------------------------------

DATA = Path(__file__).parent / "data"


def _real_outputs(platform_name: str) -> dict[str, str]:
    """One real capture per verify command of a platform, from tests/data/<platform>/<command>/."""
    platform = cgw.platforms.get_platform(platform_name)
    outputs = {}
    for command in verify.verifiable(platform).verify_commands:
        folder = DATA / platform_name / command_filename(command).removesuffix(".txt")
        raws = sorted(folder.glob("*.raw"))
        if raws:
            outputs[command] = raws[0].read_text(encoding="utf-8")
    return outputs


def _unreadable_cases() -> list[tuple[str, str, str]]:
    """(platform, command, real output of another command that the command's parser refuses)."""
    cases = []
    for name in ("cisco_ios", "juniper_junos", "strongswan"):
        platform = verify.verifiable(cgw.platforms.get_platform(name))
        outputs = _real_outputs(name)
        for command in outputs:
            for other, text in outputs.items():
                if other == command:
                    continue
                try:
                    platform.parse_status({command: text})
                except CgwError:
                    cases.append((name, command, other))
                    break
    return cases


UNREADABLE = _unreadable_cases()


def test_every_platform_has_a_command_whose_parser_refuses_foreign_output() -> None:
    assert {platform for platform, _, _ in UNREADABLE} == {
        "cisco_ios",
        "juniper_junos",
        "strongswan",
    }


@pytest.mark.parametrize(("platform_name", "command", "other"), UNREADABLE)
def test_one_unparsable_output_makes_only_its_part_unknown_with_a_warning(
    platform_name: str, command: str, other: str, caplog: pytest.LogCaptureFixture
) -> None:
    platform = verify.verifiable(cgw.platforms.get_platform(platform_name))
    outputs = _real_outputs(platform_name)
    with pytest.raises(CgwError):
        platform.parse_status({**outputs, command: outputs[other]})  # the old abort
    rest = {c: o for c, o in outputs.items() if c != command}
    status = verify.device_status(
        platform, {**outputs, command: outputs[other]}, make_vpn(), device_name="edge1"
    )
    assert status.parsed == platform.parse_status(rest)  # the other commands still judged
    assert len(status.warnings) == 1
    assert f"`{command}`" in status.warnings[0] and "\n" not in status.warnings[0]
    assert status.warnings[0] in caplog.text
    assert status_to_json(status)["warnings"] == list(status.warnings)
