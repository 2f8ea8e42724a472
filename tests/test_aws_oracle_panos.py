"""The lab oracle judging the simulated PAN-OS firewall: a correct render is UP; a wrong or
swapped key, or a tunnel unit outside every zone, is DOWN with a reason."""

from __future__ import annotations

from collections.abc import Iterator
from ipaddress import IPv4Network
from typing import TYPE_CHECKING

import pytest

from cgw.lab.aws_oracle import AwsOracle, reason_of
from cgw.lab.aws_server import lab_vpn, set_tunnel_status
from cgw.lab.routers import OracleVerdict
from cgw.lab.routers.clock import SimClock
from cgw.lab.routers.faults import Faults
from cgw.lab.routers.oracle import DownOracle
from cgw.lab.routers.panos import DEFAULT_PANOS_CONFIG, PanosState
from cgw.lab.routers.shell import RouterContext
from cgw.model import Device, LocalSettings, VpnConnection, VpnSelector
from cgw.platforms import get_platform

if TYPE_CHECKING:
    from cgw.lab.aws_server import LabAws

KIND = "paloalto_panos"
SEED_CGW = {f"branch-0{n}": f"203.0.113.1{n}" for n in (1, 2, 3, 4)}
LAN = IPv4Network("10.50.0.0/16")
VPC = "10.100.0.0/16"


@pytest.fixture(scope="module")
def seeded(lab_aws: LabAws) -> dict[str, VpnConnection]:
    from cgw.aws import AwsContext, fetch_vpn_connections

    vpns = fetch_vpn_connections(AwsContext(region="us-east-1"), vpn_ids=lab_aws.vpn_ids.values())
    names = {v: k for k, v in lab_aws.vpn_ids.items()}
    return {names[v.id]: v for v in vpns}


@pytest.fixture(autouse=True)
def telemetry_reset(lab_aws: LabAws) -> Iterator[None]:
    yield
    for vpn_id in lab_aws.vpn_ids.values():
        for tunnel in lab_vpn(vpn_id).lab_tunnels:
            set_tunnel_status(vpn_id, tunnel.outside_ip, "DOWN")


def rendered(branch: str, vpn: VpnConnection) -> str:
    static = vpn.routing == "static"
    device = Device(
        name=branch,
        host="127.0.0.1",
        platform=KIND,
        vpn=VpnSelector(customer_gateway_ip=vpn.customer_gateway.ip),
        local=LocalSettings(
            wan_interface="ethernet1/1",
            advertised_prefixes=() if static else (LAN,),
            static_routes=(IPv4Network(VPC),) if static else (),
        ),
    )
    return get_platform(KIND).render(device, vpn).text


def evaluate(lab_aws: LabAws, branch: str, text: str) -> OracleVerdict:
    """The verdict on `text` loaded into a simulated firewall (keys stored encrypted)."""
    context = RouterContext(
        kind=KIND, hostname="branch", clock=SimClock(), oracle=DownOracle(), faults=Faults()
    )
    state = PanosState(context)
    values = {"hostname": "branch", "outside_ip": SEED_CGW[branch], "gw": "203.0.113.1"}
    state.load_initial(DEFAULT_PANOS_CONFIG.format(**values) + text)
    assert "pre-shared-key key -AQ==" in state.running_config()
    return AwsOracle([lab_aws.vpn_ids[branch]]).evaluate(KIND, state.running_config())


def peers(vpn: VpnConnection) -> tuple[str, str]:
    return str(vpn.tunnels[0].aws_outside_ip), str(vpn.tunnels[1].aws_outside_ip)


@pytest.mark.parametrize("branch", ["branch-01", "branch-02", "branch-03"])
def test_correct_bgp_render_brings_everything_up(
    lab_aws: LabAws, seeded: dict[str, VpnConnection], branch: str
) -> None:
    vpn = seeded[branch]
    verdict = evaluate(lab_aws, branch, rendered(branch, vpn))
    for peer in peers(vpn):
        tunnel = verdict.tunnel(peer)
        assert (tunnel.ike_up, tunnel.ipsec_up, reason_of(tunnel)) == (True, True, "")
    for tunnel in vpn.tunnels:
        bgp = verdict.neighbor(str(tunnel.aws_inside_ip))
        assert bgp.established, reason_of(bgp)
        assert bgp.prefixes_received == (VPC,)


def test_correct_static_render_brings_tunnels_up(
    lab_aws: LabAws, seeded: dict[str, VpnConnection]
) -> None:
    vpn = seeded["branch-04"]
    verdict = evaluate(lab_aws, "branch-04", rendered("branch-04", vpn))
    for peer in peers(vpn):
        assert (verdict.tunnel(peer).ipsec_up, reason_of(verdict.tunnel(peer))) == (True, "")


def test_wrong_psk_on_tunnel_1_takes_only_tunnel_1_down(
    lab_aws: LabAws, seeded: dict[str, VpnConnection]
) -> None:
    vpn = seeded["branch-01"]
    text = rendered("branch-01", vpn).replace(vpn.tunnels[0].psk.reveal(), "Wrong.Key_123456")
    verdict = evaluate(lab_aws, "branch-01", text)
    first, second = peers(vpn)
    assert not verdict.tunnel(first).ike_up
    assert reason_of(verdict.tunnel(first)).startswith("PSK mismatch")
    assert verdict.tunnel(second).ipsec_up
    assert "Wrong.Key_123456" not in reason_of(verdict.tunnel(first))


def test_swapped_tunnel_keys_take_both_down(
    lab_aws: LabAws, seeded: dict[str, VpnConnection]
) -> None:
    vpn = seeded["branch-02"]
    one, two = (t.psk.reveal() for t in vpn.tunnels)
    text = rendered("branch-02", vpn).replace(one, "@@").replace(two, one).replace("@@", two)
    verdict = evaluate(lab_aws, "branch-02", text)
    for peer in peers(vpn):
        assert not verdict.tunnel(peer).ike_up
    assert not any(b.established for b in verdict.bgp.values())


def test_a_tunnel_unit_in_no_zone_keeps_bgp_down(
    lab_aws: LabAws, seeded: dict[str, VpnConnection]
) -> None:
    vpn = seeded["branch-01"]
    text = "".join(
        f"{line}\n"
        for line in rendered("branch-01", vpn).splitlines()
        if not line.startswith("set zone")
    )
    verdict = evaluate(lab_aws, "branch-01", text)
    bgp = verdict.neighbor(str(vpn.tunnels[0].aws_inside_ip))
    assert not bgp.established
    assert "in no zone" in reason_of(bgp)
