"""PAN-OS `show config running` (set format) in the oracle's terms.

Written from PAN-OS's configuration hierarchy, independently of cgw's renderer: an IKE gateway
(peer address, version, crypto profile, key, local address and identity), the IPsec tunnel that
uses it (crypto profile, tunnel interface and its address, zone and router membership), BGP
peers and their export rules, and static routes into tunnel interfaces.
"""

from __future__ import annotations

import re
from ipaddress import IPv4Interface, IPv4Network

from cgw.lab.aws_oracle.algorithms import GCM, SHA, group_number, unmapped
from cgw.lab.aws_oracle.router import ConfigParser, Neighbor, Proposal, RouterConfig, RouterPeer
from cgw.lab.routers.panosconfig import decrypt_key

ENCRYPTION = {
    "aes-128-cbc": "AES128",
    "aes-256-cbc": "AES256",
    "aes-128-gcm": "AES128-GCM-16",
    "aes-256-gcm": "AES256-GCM-16",
}
_BGP = re.compile(
    r"network (?:virtual-router (?P<vr>\S+) protocol|logical-router (?P<lr>\S+) vrf (?P<vrf>\S+))"
    r" bgp$"
)


class _Panos:
    """Set-format statements: leaf path → its values (a `[ a b ]` list split into members)."""

    def __init__(self, text: str) -> None:
        self.leaves: dict[str, list[str]] = {}
        for raw in text.splitlines():
            line = " ".join(raw.split())
            if not line.startswith("set "):
                continue
            body = line[4:]
            if body.endswith(" ]") and " [ " in body:
                path, _, rest = body.partition(" [ ")
                values = rest[:-2].split()
            else:
                path, _, value = body.rpartition(" ")
                values = [value]
            self.leaves.setdefault(path, []).extend(values)

    def values(self, path: str) -> list[str]:
        return self.leaves.get(path, [])

    def value(self, path: str) -> str | None:
        found = self.values(path)
        return found[-1] if found else None

    def entries(self, root: str) -> list[str]:
        names = [
            k[len(root) + 1 :].split(" ", 1)[0] for k in self.leaves if k.startswith(f"{root} ")
        ]
        return list(dict.fromkeys(names))

    def interface_address(self, name: str) -> IPv4Interface | None:
        if name.startswith("tunnel."):
            found = self.values(f"network interface tunnel units {name} ip")
        else:
            found = self.values(f"network interface ethernet {name} layer3 ip")
        return IPv4Interface(found[0]) if found else None


def _words(values: list[str], table: dict[str, str]) -> frozenset[str]:
    return frozenset(table.get(v, unmapped(v)) for v in values)


def _groups(values: list[str]) -> frozenset[int]:
    return frozenset(g for v in values if (g := group_number(v)) is not None)


def parse_panos(text: str) -> RouterConfig:
    """PAN-OS set-format running configuration → RouterConfig."""
    panos = _Panos(text)
    config = RouterConfig()
    tunnels = {
        panos.value(f"network tunnel ipsec {t} auto-key ike-gateway"): t
        for t in panos.entries("network tunnel ipsec")
    }
    for gateway in panos.entries("network ike gateway"):
        peer = _gateway(panos, gateway)
        if peer is None:
            continue
        tunnel = tunnels.get(gateway)
        if tunnel is None:
            peer.ipsec_problems.append(f"no IPsec tunnel uses IKE gateway {gateway}")
        else:
            _tunnel(panos, peer, tunnel)
        config.peers.append(peer)
    config.neighbors = _bgp(panos)
    return config


def _gateway(panos: _Panos, gateway: str) -> RouterPeer | None:
    base = f"network ike gateway {gateway}"
    address = panos.value(f"{base} peer-address ip")
    if address is None:
        return None
    peer = RouterPeer(address=address, label=f"IKE gateway {gateway}")
    version = panos.value(f"{base} protocol version") or "ikev1"
    peer.ike_versions = frozenset({1, 2} if version == "ikev2-preferred" else {int(version[-1])})
    for number in sorted(peer.ike_versions):
        profile = panos.value(f"{base} protocol ikev{number} ike-crypto-profile") or "default"
        peer.ike_proposals[number] = _ike_profile(panos, profile)
        if number == 1 and panos.value(f"{base} protocol ikev1 exchange-mode") == "aggressive":
            peer.ike_problems.append(f"{peer.label} uses aggressive mode; AWS needs main mode")
    key = panos.value(f"{base} authentication pre-shared-key key")
    peer.psk = decrypt_key(key) if key is not None else None
    interface = panos.value(f"{base} local-address interface")
    local_ip = panos.value(f"{base} local-address ip")
    if local_ip is not None:
        peer.local_address = local_ip.split("/")[0]
    elif interface is not None and (address_of := panos.interface_address(interface)):
        peer.local_address = str(address_of.ip)
    if interface is None:
        peer.ike_problems.append(f"{peer.label} has no local-address interface")
    identity = panos.value(f"{base} local-id id")
    peer.local_identity = (
        identity
        if panos.value(f"{base} local-id type") == "ipaddr" and identity
        else peer.local_address
    )
    return peer


def _ike_profile(panos: _Panos, profile: str) -> tuple[Proposal, ...]:
    base = f"network ike crypto-profiles ike-crypto-profiles {profile}"
    ciphers = panos.values(f"{base} encryption")
    if not ciphers:
        return ()
    encryption = _words(ciphers, ENCRYPTION)
    hashes = panos.values(f"{base} hash")
    integrity = None if encryption <= GCM else _words(hashes, SHA)
    return (Proposal(encryption, integrity, _groups(panos.values(f"{base} dh-group"))),)


def _esp_profile(panos: _Panos, profile: str) -> tuple[Proposal, ...]:
    base = f"network ike crypto-profiles ipsec-crypto-profiles {profile}"
    ciphers = panos.values(f"{base} esp encryption")
    if not ciphers:
        return ()
    encryption = _words(ciphers, ENCRYPTION)
    auth = [a for a in panos.values(f"{base} esp authentication") if a != "none"]
    integrity = None if encryption <= GCM else _words(auth, SHA)
    group = panos.value(f"{base} dh-group") or "group2"
    groups = frozenset() if group == "no-pfs" else _groups([group])
    return (Proposal(encryption, integrity, groups),)


def _tunnel(panos: _Panos, peer: RouterPeer, tunnel: str) -> None:
    base = f"network tunnel ipsec {tunnel}"
    profile = panos.value(f"{base} auto-key ipsec-crypto-profile") or "default"
    peer.esp_proposals = _esp_profile(panos, profile)
    unit = panos.value(f"{base} tunnel-interface")
    peer.interface = unit
    if unit is None:
        peer.ipsec_problems.append(f"IPsec tunnel {tunnel} has no tunnel-interface")
        return
    peer.inside = panos.interface_address(unit)
    peer.label = f"{peer.label} ({unit})"
    if not any(
        unit in members for path, members in panos.leaves.items() if path.startswith("zone ")
    ):
        peer.bgp_problems.append(f"{unit} is in no zone: the firewall drops its traffic")
    routers = [
        p
        for p, m in panos.leaves.items()
        if p.endswith(" interface")
        and unit in m
        and p.startswith(("network virtual-router", "network logical-router"))
    ]
    if not routers:
        peer.bgp_problems.append(f"{unit} is in no virtual or logical router")
    for leaf, members in panos.leaves.items():
        m = re.fullmatch(r"(.*routing-table ip static-route \S+) interface", leaf)
        if m and peer.reached_via(members[0]):
            destination = panos.value(f"{m.group(1)} destination")
            if destination:
                peer.routes.add(IPv4Network(destination))


def _bgp(panos: _Panos) -> dict[str, Neighbor]:
    neighbors: dict[str, Neighbor] = {}
    for path in list(panos.leaves):
        if not path.endswith(" enable"):
            continue
        root = path.removesuffix(" enable")
        if _BGP.fullmatch(root) is None or panos.value(path) != "yes":
            continue
        local_as = panos.value(f"{root} local-as")
        exports = _exports(panos, root)
        for group in panos.entries(f"{root} peer-group"):
            gbase = f"{root} peer-group {group}"
            for name in panos.entries(f"{gbase} peer"):
                pbase = f"{gbase} peer {name}"
                address = panos.value(f"{pbase} peer-address ip")
                if address is None or panos.value(f"{pbase} enable") == "no":
                    continue
                advertised = tuple(exports.get(group, ())) + tuple(
                    panos.values(f"{root} network ipv4 network")
                )
                neighbors[address] = Neighbor(
                    address,
                    panos.value(f"{pbase} peer-as") or "unset",
                    int(local_as) if local_as else None,
                    advertised=advertised,
                )
    return neighbors


def _exports(panos: _Panos, root: str) -> dict[str, list[str]]:
    """Peer group → the prefixes its export rules allow."""
    found: dict[str, list[str]] = {}
    for rule in panos.entries(f"{root} policy export rules"):
        base = f"{root} policy export rules {rule}"
        if panos.value(f"{base} action") != "allow" or panos.value(f"{base} enable") == "no":
            continue
        prefixes = [
            m.group(1)
            for path in panos.leaves
            if (m := re.fullmatch(rf"{re.escape(base)} match address-prefix (\S+) exact", path))
        ]
        for group in panos.values(f"{base} used-by"):
            found.setdefault(group, []).extend(prefixes)
    return found


PARSER = ConfigParser(kind="paloalto_panos", parse=parse_panos)
