"""Per-tunnel status of a VPN connection from a device's parsed show output and AWS telemetry.

A tunnel is matched to the device's rows by address, never by position: an IKE/IPsec SA by its
peer (the tunnel's AWS outside IP), a BGP neighbour by the tunnel's AWS inside IP. Every verdict
is three-valued: True, False, or None when the output that would decide it was not available.

The device's view decides whether a tunnel is up; AWS telemetry is shown beside it and a
disagreement is reported in `reason`. The device sees its SAs and BGP session first-hand and now,
while AWS's VgwTelemetry is sampled and lags a state change by minutes (and the lab emulator
reports a fixed value), so trusting it would flap the verdict after every push.
"""

from __future__ import annotations

import dataclasses
import ipaddress
import logging
import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Protocol, TypeVar, runtime_checkable

from cgw.errors import CgwError
from cgw.model import (
    BgpNeighbor,
    IpAddress,
    ParsedStatus,
    Routing,
    Tunnel,
    TunnelTelemetry,
    VpnConnection,
)
from cgw.parsing import command_filename
from cgw.platforms.base import DeviceStatus, Overall, TunnelStatus

LOG = logging.getLogger(__name__)

EXIT_UP = 0
EXIT_NOT_UP = 2  # DESIGN: 2 = tunnel down; DEGRADED and UNKNOWN alike, since neither proves both up

STATUS_COLUMNS = (
    "Tunnel",
    "AWS outside IP",
    "Inside (AWS/CGW)",
    "IKE",
    "IPsec",
    "Routing",
    "Packets in/out",
    "AWS",
    "Up",
    "Reason",
)


class CaptureError(CgwError):
    """An offline capture folder or file that cannot be read as device output."""


@runtime_checkable
class VerifiablePlatform(Protocol):
    """The part of a platform `verify` needs: which commands to run and how to read them."""

    name: str
    verify_commands: tuple[str, ...]

    def parse_status(self, outputs: Mapping[str, str]) -> ParsedStatus:
        """Normalised status from command → output; an absent command leaves its field None."""
        ...


# --- matching rows to tunnels -------------------------------------------------------------------

_BRACKET_PORT = re.compile(r"\[\d+\]$")  # swanctl: 203.0.113.1[4500]
_SLASH_PORT = re.compile(r"/\d+$")  # IOS IKEv2: 203.0.113.1/4500


def normalise_address(text: str) -> IpAddress | None:
    """The address in a device's peer column, ports and IPv6 brackets stripped; None if not one."""
    value = text.strip()
    if value.startswith("["):  # [2001:db8::1]:500
        value = value[1:].partition("]")[0]
    else:
        value = _SLASH_PORT.sub("", _BRACKET_PORT.sub("", value))
        if value.count(":") == 1:  # 203.0.113.1:4500
            value = value.partition(":")[0]
    value = value.partition("%")[0]  # an IPv6 zone never identifies an AWS endpoint
    try:
        return ipaddress.ip_address(value)
    except ValueError:
        return None


class _HasPeer(Protocol):
    @property
    def peer(self) -> str: ...


_Sa = TypeVar("_Sa", bound=_HasPeer)


def _sas_towards(tunnel: Tunnel, sas: tuple[_Sa, ...]) -> list[_Sa]:
    """The SAs whose peer is this tunnel's AWS endpoint."""
    return [sa for sa in sas if normalise_address(sa.peer) == tunnel.aws_outside_ip]


def _bgp_for(tunnel: Tunnel, neighbors: tuple[BgpNeighbor, ...]) -> BgpNeighbor | None:
    return next(
        (n for n in neighbors if normalise_address(n.neighbor) == tunnel.aws_inside_ip), None
    )


def _telemetry_for(tunnel: Tunnel, vpn: VpnConnection) -> TunnelTelemetry | None:
    return next((t for t in vpn.telemetry if t.aws_outside_ip == tunnel.aws_outside_ip), None)


def _counter_sum(values: Sequence[int | None]) -> int | None:
    known = [v for v in values if v is not None]
    return sum(known) if known else None


# --- one tunnel -----------------------------------------------------------------------------------


@dataclass(frozen=True)
class _Check:
    """One condition a tunnel needs: its verdict and what to say when it is not met."""

    up: bool | None
    failure: str
    unknown: str


def _ike_check(tunnel: Tunnel, parsed: ParsedStatus) -> tuple[dict[str, Any], _Check]:
    if parsed.ike_sas is None:
        return {}, _Check(None, "", "IKE state unknown")
    rows = _sas_towards(tunnel, parsed.ike_sas)
    # During a rekey or after a failed attempt a peer can have several SAs; one up is enough.
    chosen = next((sa for sa in rows if sa.up), rows[0] if rows else None)
    if chosen is None:
        return {"ike_up": False}, _Check(False, "IKE SA not established (no SA)", "")
    fields = {"ike_state": chosen.state, "ike_up": chosen.up}
    return fields, _Check(chosen.up, f"IKE SA not established ({chosen.state})", "")


def _ipsec_check(tunnel: Tunnel, parsed: ParsedStatus) -> tuple[dict[str, Any], _Check]:
    if parsed.ipsec_sas is None:
        return {}, _Check(None, "", "IPsec state unknown")
    rows = _sas_towards(tunnel, parsed.ipsec_sas)
    if not rows:
        return {"ipsec_up": False}, _Check(False, "IPsec SA not established (no SA)", "")
    chosen = next((sa for sa in rows if sa.up), rows[0])
    fields = {
        "ipsec_state": chosen.state,
        "ipsec_up": chosen.up,
        "packets_in": _counter_sum([sa.packets_in for sa in rows]),
        "packets_out": _counter_sum([sa.packets_out for sa in rows]),
    }
    return fields, _Check(chosen.up, f"IPsec SA not established ({chosen.state})", "")


def _bgp_check(tunnel: Tunnel, parsed: ParsedStatus) -> tuple[dict[str, Any], _Check]:
    if parsed.bgp is None:
        return {}, _Check(None, "", "BGP state unknown")
    neighbor = _bgp_for(tunnel, parsed.bgp)
    if neighbor is None:
        failure = f"BGP neighbor {tunnel.aws_inside_ip} not configured"
        return {"bgp_established": False}, _Check(False, failure, "")
    fields = {
        "bgp_state": neighbor.state,
        "bgp_established": neighbor.established,
        "prefixes_received": neighbor.prefixes_received,
    }
    return fields, _Check(neighbor.established, f"BGP {neighbor.state}", "")


def _static_check(interface: str | None, parsed: ParsedStatus) -> tuple[dict[str, Any], _Check]:
    if interface is None:
        # Policy-based (no tunnel interface): the installed IPsec SA is the route; nothing more.
        return {}, _Check(True, "", "")
    if parsed.interfaces_up is None:
        return {"tunnel_interface": interface}, _Check(None, "", f"{interface} state unknown")
    present = interface.casefold() in {name.casefold() for name in parsed.interfaces_up}
    fields = {"tunnel_interface": interface, "static_route_present": present}
    return fields, _Check(present, f"{interface} down", "")


def _combine(checks: Sequence[_Check]) -> tuple[bool | None, str]:
    """All must hold: any False decides down (first failure is the cause), else any None unknown."""
    failed = [c.failure for c in checks if c.up is False]
    if failed:
        return False, failed[0]
    unknown = [c.unknown for c in checks if c.up is None]
    if unknown:
        return None, ", ".join(unknown)
    return True, ""


def _telemetry_fields(telemetry: TunnelTelemetry | None) -> dict[str, Any]:
    if telemetry is None:
        return {}
    return {
        "aws_status": telemetry.status,
        "aws_status_message": telemetry.status_message,
        "aws_accepted_routes": telemetry.accepted_route_count,
        "aws_last_change": telemetry.last_status_change,
    }


def _disagreement(up: bool | None, telemetry: TunnelTelemetry | None) -> str:
    """What AWS says when it contradicts the device's verdict; empty when they agree."""
    if telemetry is None or up is None:
        return ""
    aws_up = telemetry.status.upper() == "UP"
    if aws_up == up:
        return ""
    message = f": {telemetry.status_message}" if telemetry.status_message else ""
    return f"AWS reports {telemetry.status.upper()}{message}"


def tunnel_status(
    tunnel: Tunnel,
    vpn: VpnConnection,
    parsed: ParsedStatus,
    interface: str | None = None,
) -> TunnelStatus:
    """One tunnel: IKE and IPsec up, plus BGP established (bgp) or its interface up (static)."""
    ike_fields, ike = _ike_check(tunnel, parsed)
    ipsec_fields, ipsec = _ipsec_check(tunnel, parsed)
    if vpn.routing == "bgp":
        routing_fields, routing = _bgp_check(tunnel, parsed)
    else:
        routing_fields, routing = _static_check(interface, parsed)
    up, reason = _combine([ike, ipsec, routing])
    telemetry = _telemetry_for(tunnel, vpn)
    disagreement = _disagreement(up, telemetry)
    reason = "; ".join(part for part in (reason, disagreement) if part)
    return TunnelStatus(
        number=tunnel.number,
        aws_outside_ip=tunnel.aws_outside_ip,
        aws_inside_ip=tunnel.aws_inside_ip,
        cgw_inside_ip=tunnel.cgw_inside_ip,
        up=up,
        reason=reason,
        **ike_fields,
        **ipsec_fields,
        **routing_fields,
        **_telemetry_fields(telemetry),
    )


def overall_state(tunnels: Sequence[TunnelStatus]) -> Overall:
    """UP both up, DEGRADED one up, DOWN none up; UNKNOWN when no tunnel is up and any is unknown.

    One tunnel up and the other unknown is DEGRADED: redundancy is not confirmed.
    """
    up_count = sum(1 for t in tunnels if t.up is True)
    if up_count == len(tunnels) and tunnels:
        return "UP"
    if up_count:
        return "DEGRADED"
    if any(t.up is None for t in tunnels) or not tunnels:
        return "UNKNOWN"
    return "DOWN"


def exit_code(status: DeviceStatus) -> int:
    """0 when both tunnels are up; 2 otherwise (DEGRADED, DOWN, or UNKNOWN: nothing proves up)."""
    return EXIT_UP if status.overall == "UP" else EXIT_NOT_UP


def tunnel_statuses(
    vpn: VpnConnection,
    parsed: ParsedStatus,
    *,
    device_name: str,
    platform: str,
    interface_names: tuple[str, str] | None = None,
) -> DeviceStatus:
    """Both tunnels of `vpn` as `parsed` shows them; `interface_names` are tunnel 1's and 2's."""
    interfaces: tuple[str | None, str | None] = interface_names or (None, None)
    tunnels = tuple(
        tunnel_status(tunnel, vpn, parsed, interface)
        for tunnel, interface in zip(vpn.tunnels, interfaces, strict=True)
    )
    return DeviceStatus(
        device=device_name,
        platform=platform,
        vpn_id=vpn.id,
        routing=vpn.routing,
        tunnels=tunnels,
        overall=overall_state(tunnels),
        parsed=parsed,
    )


# --- platforms, captures, offline ---------------------------------------------------------------


def verifiable(platform: object) -> VerifiablePlatform:
    """`platform` as a VerifiablePlatform, or an error saying it cannot verify yet."""
    if not isinstance(platform, VerifiablePlatform):
        name = getattr(platform, "name", type(platform).__name__)
        raise CgwError(f"platform {name} has no verify commands/parser yet")
    return platform


def device_status(
    platform: VerifiablePlatform,
    outputs: Mapping[str, str],
    vpn: VpnConnection,
    *,
    device_name: str,
    interface_names: tuple[str, str] | None = None,
) -> DeviceStatus:
    """Parse `outputs` (command → text) with `platform` and judge both tunnels of `vpn`.

    A command whose output cannot be parsed leaves its part unknown (with a warning naming it);
    the other commands are still judged.
    """
    parsed, warnings = parse_degrading(platform, outputs, device_name=device_name)
    status = tunnel_statuses(
        vpn,
        parsed,
        device_name=device_name,
        platform=platform.name,
        interface_names=interface_names,
    )
    return dataclasses.replace(status, warnings=warnings)


def parse_degrading(
    platform: VerifiablePlatform, outputs: Mapping[str, str], *, device_name: str = ""
) -> tuple[ParsedStatus, tuple[str, ...]]:
    """`platform.parse_status` over the outputs that parse; one warning per output that does not.

    Each output is tried alone first, so one odd layout (a new release's extra line, a
    truncated capture) makes only the field it feeds unknown instead of aborting the verify.
    """
    readable: dict[str, str] = {}
    warnings: list[str] = []
    for command, output in outputs.items():
        problem = _parse_problem(platform, {command: output})
        if problem is None:
            readable[command] = output
            continue
        where = f"{device_name}: " if device_name else ""
        warning = f"{where}cannot read `{command}` output ({problem}); that part is unknown"
        LOG.warning("%s", warning)
        warnings.append(warning)
    problem = _parse_problem(platform, readable)
    if problem is not None:  # each parsed alone but not together: judge nothing rather than abort
        warnings.append(f"{device_name or platform.name}: cannot combine show outputs ({problem})")
        LOG.warning("%s", warnings[-1])
        return ParsedStatus(), tuple(warnings)
    return platform.parse_status(readable), tuple(warnings)


def _parse_problem(platform: VerifiablePlatform, outputs: Mapping[str, str]) -> str | None:
    """Why `outputs` cannot be parsed (one line), or None when they can."""
    try:
        platform.parse_status(outputs)
    except (CgwError, ValueError, KeyError, IndexError, TypeError) as error:
        text = str(error).splitlines()[0] if str(error) else type(error).__name__
        return text[:200]
    return None


def load_captures(directory: Path, commands: Sequence[str]) -> dict[str, str]:
    """Saved outputs by command, from `command_filename(command)` files; missing ones are absent."""
    if not directory.is_dir():
        raise CaptureError(f"capture folder {directory} does not exist")
    outputs: dict[str, str] = {}
    for command in commands:
        path = directory / command_filename(command)
        if not path.exists():
            continue
        outputs[command] = _read_capture(path)
    return outputs


def _read_capture(path: Path) -> str:
    try:
        data = path.read_bytes()
    except OSError as exc:
        raise CaptureError(f"cannot read capture {path}: {exc.strerror or exc}") from None
    if b"\x00" in data:
        raise CaptureError(f"capture {path} is binary, not saved device output")
    try:
        text = data.decode("utf-8")
    except UnicodeDecodeError:
        raise CaptureError(f"capture {path} is not UTF-8 text") from None
    # Captures saved from a terminal often carry CRLF; templates expect bare newlines.
    return text.replace("\r\n", "\n")


def verify_offline(
    platform_name: str,
    directory: Path,
    vpn: VpnConnection | None = None,
    *,
    device_name: str | None = None,
    interface_names: tuple[str, str] | None = None,
) -> dict[str, Any]:
    """Parse the captures in `directory` as `platform_name` output; judge tunnels when `vpn` given.

    The device name defaults to the folder's name.
    """
    if vpn is None:
        return parsed_to_json(offline_parsed(platform_name, directory))
    return status_to_json(
        offline_status(
            platform_name, directory, vpn, device_name=device_name, interface_names=interface_names
        )
    )


def offline_parsed(platform_name: str, directory: Path) -> ParsedStatus:
    """The normalised rows of the captures in `directory` (a missing file: that part unknown)."""
    platform = _offline_platform(platform_name)
    parsed, _ = parse_degrading(
        platform, load_captures(directory, platform.verify_commands), device_name=directory.name
    )
    return parsed


def offline_status(
    platform_name: str,
    directory: Path,
    vpn: VpnConnection,
    *,
    device_name: str | None = None,
    interface_names: tuple[str, str] | None = None,
) -> DeviceStatus:
    """Both tunnels of `vpn` judged from the captures in `directory`."""
    platform = _offline_platform(platform_name)
    return device_status(
        platform,
        load_captures(directory, platform.verify_commands),
        vpn,
        device_name=device_name or directory.name,
        interface_names=interface_names,
    )


def _offline_platform(platform_name: str) -> VerifiablePlatform:
    from cgw.platforms import get_platform

    return verifiable(get_platform(platform_name))


# --- output ---------------------------------------------------------------------------------------


def parsed_to_json(parsed: ParsedStatus) -> dict[str, Any]:
    """The normalised rows as JSON-ready data; a section is null when its output was unknown."""
    ike = None
    if parsed.ike_sas is not None:
        ike = [
            {"peer": s.peer, "local": s.local, "state": s.state, "up": s.up} for s in parsed.ike_sas
        ]
    ipsec = None
    if parsed.ipsec_sas is not None:
        ipsec = [
            {
                "peer": s.peer,
                "state": s.state,
                "up": s.up,
                "packets_in": s.packets_in,
                "packets_out": s.packets_out,
            }
            for s in parsed.ipsec_sas
        ]
    bgp = None
    if parsed.bgp is not None:
        bgp = [
            {
                "neighbor": n.neighbor,
                "remote_as": n.remote_as,
                "state": n.state,
                "established": n.established,
                "prefixes_received": n.prefixes_received,
            }
            for n in parsed.bgp
        ]
    return {"ike_sas": ike, "ipsec_sas": ipsec, "bgp": bgp}


def tunnel_to_json(tunnel: TunnelStatus) -> dict[str, Any]:
    """One tunnel's status as JSON-ready data (addresses as strings)."""
    return {
        "tunnel": tunnel.number,
        "aws_outside_ip": str(tunnel.aws_outside_ip),
        "aws_inside_ip": str(tunnel.aws_inside_ip),
        "cgw_inside_ip": str(tunnel.cgw_inside_ip),
        "ike_state": tunnel.ike_state,
        "ike_up": tunnel.ike_up,
        "ipsec_state": tunnel.ipsec_state,
        "ipsec_up": tunnel.ipsec_up,
        "packets_in": tunnel.packets_in,
        "packets_out": tunnel.packets_out,
        "bgp_state": tunnel.bgp_state,
        "bgp_established": tunnel.bgp_established,
        "prefixes_received": tunnel.prefixes_received,
        "static_route_present": tunnel.static_route_present,
        "tunnel_interface": tunnel.tunnel_interface,
        "aws_status": tunnel.aws_status,
        "aws_status_message": tunnel.aws_status_message,
        "aws_accepted_routes": tunnel.aws_accepted_routes,
        "aws_last_change": tunnel.aws_last_change,
        "up": tunnel.up,
        "reason": tunnel.reason,
    }


def status_to_json(status: DeviceStatus) -> dict[str, Any]:
    """A device's verdict, its tunnels and the parsed rows behind them, as JSON-ready data."""
    return {
        "device": status.device,
        "platform": status.platform,
        "vpn_id": status.vpn_id,
        "routing": status.routing,
        "overall": status.overall,
        "tunnels": [tunnel_to_json(t) for t in status.tunnels],
        **parsed_to_json(status.parsed),
        "warnings": list(status.warnings),
    }


def _verdict(value: bool | None, yes: str = "up", no: str = "down") -> str:
    return "?" if value is None else (yes if value else no)


def _state_cell(state: str | None, up: bool | None) -> str:
    if up is None:
        return "?"
    if state is None:
        return "up" if up else "none"
    return state


def _routing_cell(tunnel: TunnelStatus, routing: Routing) -> str:
    if routing == "bgp":
        if tunnel.bgp_established is None:
            return "BGP ?"
        pfx = tunnel.prefixes_received
        prefixes = f" ({pfx} pfx)" if tunnel.bgp_established and pfx is not None else ""
        return f"BGP {tunnel.bgp_state or 'no neighbor'}{prefixes}"
    if tunnel.tunnel_interface is None:
        return "static (policy)"
    return f"static {tunnel.tunnel_interface} {_verdict(tunnel.static_route_present)}"


def _counter_cell(value: int | None) -> str:
    return "?" if value is None else str(value)


def _aws_cell(tunnel: TunnelStatus) -> str:
    if tunnel.aws_status is None:
        return "?"
    routes = f" ({tunnel.aws_accepted_routes} routes)" if tunnel.aws_accepted_routes else ""
    return f"{tunnel.aws_status}{routes}"


def status_rows(status: DeviceStatus) -> list[tuple[str, ...]]:
    """One row of strings per tunnel, in STATUS_COLUMNS order; `?` marks unknown."""
    return [
        (
            str(t.number),
            str(t.aws_outside_ip),
            f"{t.aws_inside_ip}/{t.cgw_inside_ip}",
            _state_cell(t.ike_state, t.ike_up),
            _state_cell(t.ipsec_state, t.ipsec_up),
            _routing_cell(t, status.routing),
            f"{_counter_cell(t.packets_in)}/{_counter_cell(t.packets_out)}",
            _aws_cell(t),
            _verdict(t.up, "yes", "no"),
            t.reason,
        )
        for t in status.tunnels
    ]
