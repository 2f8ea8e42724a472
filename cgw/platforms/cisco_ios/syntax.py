"""How IOS writes a value in its configuration (shared by the renderer and the planner)."""

from __future__ import annotations

from ipaddress import IPv4Network


def bgp_network(prefix: IPv4Network) -> str:
    """A `network` statement's argument; IOS omits the mask of a classful network."""
    first_octet = int(prefix.network_address) >> 24
    classful_length = 8 if first_octet < 128 else 16 if first_octet < 192 else 24
    if prefix.prefixlen == classful_length or prefix.prefixlen == 0:
        return str(prefix.network_address)
    return f"{prefix.network_address} mask {prefix.netmask}"
