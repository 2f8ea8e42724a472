"""Everything cgw prints: one masking printer for people and the JSON shapes for programs."""

from __future__ import annotations

import json
import os
import sys
from typing import Any, TextIO

from rich.console import Console
from rich.table import Table

from cgw.model import Proposal, Tunnel, VpnConnection
from cgw.secrets import Masker


class Printer:
    """Prints to stdout through a Masker, so no secret leaves cgw unless the user asked for it."""

    def __init__(
        self, *, show_secrets: bool = False, stream: TextIO | None = None, color: bool | None = None
    ) -> None:
        self.show_secrets = show_secrets
        self.masker = Masker()
        self._stream = stream or sys.stdout
        # Piped output (CI logs, `| less`) gets a wide console rather than rich's 80 columns.
        width = None if self._stream.isatty() else int(os.environ.get("COLUMNS", "160"))
        self.console = Console(
            file=self._stream,
            width=width,
            highlight=False,
            soft_wrap=True,
            force_terminal=color,
            no_color=color is False,
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
        """A line with rich markup, masked."""
        self.console.print(self.mask(markup))

    def table(self, table: Table) -> None:
        """A rich table; cells are masked before they are added, by the caller's data."""
        self.console.print(table)

    def error(self, device: str, message: str) -> None:
        """A device's one-line error, on stderr, masked."""
        sys.stderr.write(self.mask(f"cgw: {device}: error: {message}") + "\n")
        sys.stderr.flush()

    def json(self, data: Any) -> None:
        """JSON for programs; masked like everything else."""
        self.text(json.dumps(data, indent=2, sort_keys=False, default=str))


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
