"""Everything cgw prints: one masking printer for people and the JSON shapes for programs."""

from __future__ import annotations

import json
import os
import sys
from collections.abc import Callable, Sequence
from typing import TYPE_CHECKING, Any, Literal, TextIO

from rich.console import Console
from rich.markup import escape
from rich.table import Table

from cgw.model import Proposal, Tunnel, VpnConnection
from cgw.secrets import Masker, current_masker

if TYPE_CHECKING:
    from cgw.fleet import Outcome


SCHEMA_VERSION = 1
# Where each item of an envelope stands (see cgw/schema/envelope.schema.json and README).
ItemStatus = Literal["ok", "error", "not-started", "abandoned"]
_ITEM_STATUS: dict[str, ItemStatus] = {
    "done": "ok",
    "failed": "error",
    "not-started": "not-started",
    "abandoned": "abandoned",
}


def _columns() -> int | None:
    try:
        return int(os.environ["COLUMNS"])
    except (KeyError, ValueError):
        return None


class Printer:
    """Prints to stdout through a Masker, so no secret leaves cgw unless the user asked for it."""

    def __init__(
        self, *, show_secrets: bool = False, stream: TextIO | None = None, color: bool | None = None
    ) -> None:
        self.show_secrets = show_secrets
        self.masker = current_masker()
        self._stream = stream or sys.stdout
        # Piped output (CI logs, `| less`) gets a wide console rather than rich's 80 columns.
        width = None if self._stream.isatty() else (_columns() or 160)
        # NO_COLOR (https://no-color.org): any non-empty value turns colour off.
        no_color = color is False or bool(os.environ.get("NO_COLOR"))
        self.console = Console(
            file=self._stream,
            width=width,
            highlight=False,
            soft_wrap=True,
            force_terminal=color if not no_color else None,
            no_color=no_color,
        )

    def know(self, masker: Masker) -> None:
        """Add secrets (a VPN's PSKs) that must be masked from now on."""
        self.masker.extend(masker)

    def mask(self, text: str) -> str:
        return text if self.show_secrets else self.masker.mask(text)

    def text(self, text: str) -> None:
        """Plain text, exactly as given (configs), masked."""
        self._stream.write(self.mask(text))
        if not text.endswith("\n"):
            self._stream.write("\n")
        self._stream.flush()

    def rich(self, markup: str) -> None:
        """A line with rich markup, masked; values in it must come through `plain()`."""
        self.console.print(self.mask(markup))

    def styled(self, text: str, style: str = "") -> None:
        """Config or device text in one style: masked, then escaped, so `[` or a trailing `\\`
        prints as it is instead of being read as markup."""
        escaped = escape(self.mask(text))
        self.console.print(f"[{style}]{escaped}[/{style}]" if style else escaped)

    def table(self, table: Table) -> None:
        """A rich table; cells are masked before they are added, by the caller's data."""
        self.console.print(table)

    def envelope(
        self,
        command: str,
        results: Sequence[dict[str, Any]],
        exit_code: int,
        *,
        interrupted: bool = False,
        warnings: Sequence[str] = (),
    ) -> None:
        """The one JSON shape every command prints with --json (cgw/schema/envelope.schema.json)."""
        self.json(envelope(command, results, exit_code, interrupted=interrupted, warnings=warnings))

    def json_line(self, data: Any) -> None:
        """One JSON document on one line (a stream of them: `verify --watch --json`)."""
        self._stream.write(json.dumps(self.masked_tree(data), default=str) + "\n")
        self._stream.flush()

    def warning(self, message: str) -> None:
        """A one-line warning on stderr, masked."""
        sys.stderr.write(self.mask(f"cgw: warning: {message}") + "\n")
        sys.stderr.flush()

    def error(self, device: str, message: str) -> None:
        """A device's one-line error, on stderr, masked."""
        sys.stderr.write(self.mask(f"cgw: {device}: error: {message}") + "\n")
        sys.stderr.flush()

    def json(self, data: Any) -> None:
        """JSON for programs; every string masked before it is encoded (masking JSON text
        would see escapes such as `\\n` as part of a value)."""
        self._stream.write(json.dumps(self.masked_tree(data), indent=2, default=str) + "\n")
        self._stream.flush()

    def masked_tree(self, data: Any) -> Any:
        """`data` with every string in it (keys too) masked."""
        if isinstance(data, str):
            return self.mask(data)
        if isinstance(data, dict):
            return {self.masked_tree(k): self.masked_tree(v) for k, v in data.items()}
        if isinstance(data, list | tuple):
            return [self.masked_tree(v) for v in data]
        if data is None or isinstance(data, bool | int | float):
            return data
        return self.mask(str(data))


def envelope(
    command: str,
    results: Sequence[dict[str, Any]],
    exit_code: int,
    *,
    interrupted: bool = False,
    warnings: Sequence[str] = (),
) -> dict[str, Any]:
    """`{schema_version, command, exit_code, interrupted, warnings, results: [...]}`."""
    return {
        "schema_version": SCHEMA_VERSION,
        "command": command,
        "exit_code": exit_code,
        "interrupted": interrupted,
        "warnings": list(warnings),
        "results": list(results),
    }


def result_item(
    name: str,
    *,
    data: dict[str, Any] | None = None,
    error: str | None = None,
    status: ItemStatus | None = None,
) -> dict[str, Any]:
    """One device's (or VPN's) entry of an envelope: its status, its data or its error."""
    return {
        "name": name,
        "status": status or ("error" if error is not None else "ok"),
        "error": error,
        "data": data,
    }


def outcome_item(outcome: Outcome[Any], data: Callable[[Any], dict[str, Any]]) -> dict[str, Any]:
    """An envelope entry from a fleet outcome."""
    return result_item(
        outcome.device,
        data=data(outcome.value) if outcome.value is not None else None,
        error=outcome.error,
        status=_ITEM_STATUS[outcome.state],
    )


def _proposal_json(proposal: Proposal) -> dict[str, Any]:
    return {
        "encryption": list(proposal.encryption),
        "integrity": list(proposal.integrity),
        "dh_groups": list(proposal.dh_groups),
        "lifetime_s": proposal.lifetime_s,
    }


def tunnel_json(tunnel: Tunnel, *, show_secrets: bool) -> dict[str, Any]:
    """The `cgw fetch --json` shape of one tunnel; the PSK masked unless asked for."""
    return {
        "number": tunnel.number,
        "aws_outside_ip": str(tunnel.aws_outside_ip),
        "cgw_outside_ip": str(tunnel.cgw_outside_ip),
        "inside_cidr": str(tunnel.inside_cidr),
        "inside_ipv6_cidr": str(tunnel.inside_ipv6_cidr) if tunnel.inside_ipv6_cidr else None,
        "aws_inside_ip": str(tunnel.aws_inside_ip),
        "cgw_inside_ip": str(tunnel.cgw_inside_ip),
        "psk": tunnel.psk.reveal() if show_secrets else f"<psk:{tunnel.name}>",
        "ike_versions": list(tunnel.ike_versions),
        "phase1": _proposal_json(tunnel.phase1),
        "phase2": _proposal_json(tunnel.phase2),
        "rekey_margin_s": tunnel.rekey_margin_s,
        "rekey_fuzz_pct": tunnel.rekey_fuzz_pct,
        "replay_window": tunnel.replay_window,
        "dpd": {"timeout_s": tunnel.dpd.timeout_s, "action": tunnel.dpd.action},
        "startup_action": tunnel.startup_action,
        "bgp": (
            {
                "aws_asn": tunnel.bgp.aws_asn,
                "cgw_asn": tunnel.bgp.cgw_asn,
                "hold_time_s": tunnel.bgp.hold_time_s,
            }
            if tunnel.bgp
            else None
        ),
    }


def vpn_json(vpn: VpnConnection, *, show_secrets: bool) -> dict[str, Any]:
    """The `cgw fetch --json` shape of one VPN connection."""
    return {
        "vpn_connection_id": vpn.id,
        "state": vpn.state,
        "type": vpn.type,
        "gateway": {"kind": vpn.gateway.kind, "id": vpn.gateway.id},
        "customer_gateway_id": vpn.customer_gateway.id,
        "customer_gateway_ip": str(vpn.customer_gateway.ip),
        "customer_gateway_asn": vpn.customer_gateway.asn,
        "amazon_side_asn": vpn.amazon_side_asn,
        "outside_ip_address_type": vpn.outside_ip_type,
        "routing": vpn.routing,
        "static_routes": [str(r) for r in vpn.static_routes],
        "tunnels": [tunnel_json(t, show_secrets=show_secrets) for t in vpn.tunnels],
    }


def vpn_table(vpn: VpnConnection, *, show_secrets: bool) -> Table:
    """A two-column-per-tunnel table for people."""
    table = Table(
        title=f"{vpn.id}  {vpn.gateway.id}  CGW {vpn.customer_gateway.ip} "
        f"(AS {vpn.customer_gateway.asn})  routing {vpn.routing}",
        title_justify="left",
    )
    table.add_column("")
    for tunnel in vpn.tunnels:
        table.add_column(f"Tunnel {tunnel.number}")
    t1, t2 = (tunnel_json(t, show_secrets=show_secrets) for t in vpn.tunnels)

    def both(label: str, key: str) -> None:
        table.add_row(label, str(t1[key]), str(t2[key]))

    both("AWS outside IP", "aws_outside_ip")
    both("CGW outside IP", "cgw_outside_ip")
    both("Inside CIDR", "inside_cidr")
    both("AWS inside IP", "aws_inside_ip")
    both("CGW inside IP", "cgw_inside_ip")
    both("Pre-shared key", "psk")
    table.add_row("IKE", *(",".join(t.ike_versions) for t in vpn.tunnels))
    for phase in ("phase1", "phase2"):
        table.add_row(
            phase.capitalize(),
            *(
                f"{'/'.join(t[phase]['encryption'])} {'/'.join(t[phase]['integrity'])} "
                f"DH {','.join(map(str, t[phase]['dh_groups']))} {t[phase]['lifetime_s']}s"
                for t in (t1, t2)
            ),
        )
    table.add_row("DPD", *(f"{t['dpd']['timeout_s']}s {t['dpd']['action']}" for t in (t1, t2)))
    both("Startup", "startup_action")
    table.add_row(
        "BGP",
        *(
            f"AS {t.bgp.aws_asn} ↔ AS {t.bgp.cgw_asn}, hold {t.bgp.hold_time_s}s" if t.bgp else "-"
            for t in vpn.tunnels
        ),
    )
    return table
