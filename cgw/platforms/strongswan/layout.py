"""Where cgw's files for a VPN live on a strongSwan host, and which template makes each."""

from __future__ import annotations

from cgw.model import Device, VpnConnection
from cgw.platforms._common import object_prefix, options_of
from cgw.platforms.strongswan.options import StrongswanOptions


def interface_script_path(vpn: VpnConnection) -> str:
    """The VPN's interface script on the host (also the children's `updown` with libipsec)."""
    return f"/etc/cgw/{object_prefix(vpn)}-interfaces.sh"


def host_files(device: Device, vpn: VpnConnection) -> list[tuple[str, str, int]]:
    """(path on the host, template, mode) of every file this VPN needs on the host."""
    prefix = object_prefix(vpn)
    files = [
        (f"/etc/swanctl/conf.d/{prefix}.conf", "swanctl.conf.j2", 0o600),
        (f"/etc/strongswan.d/{prefix}.conf", "strongswan.conf.j2", 0o600),
        # Secrets-free, but a root-only script all the same.
        (interface_script_path(vpn), "interfaces.sh.j2", 0o700),
    ]
    if vpn.routing == "bgp" and options_of(device, StrongswanOptions).strongswan_bgp == "frr":
        files.append((f"/etc/frr/cgw-{prefix}.conf", "frr.conf.j2", 0o600))
    return files
