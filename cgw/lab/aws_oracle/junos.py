"""Juniper Junos `show configuration | display set` in the oracle's terms."""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import replace
from ipaddress import IPv4Interface, IPv4Network

from cgw.lab.aws_oracle.algorithms import (
    GCM,
    JUNOS_ENCRYPTION,
    JUNOS_ESP_INTEGRITY,
    JUNOS_IKE_INTEGRITY,
    group_number,
    unmapped,
)
from cgw.lab.aws_oracle.key_encodings import hex_text, junos_secret
from cgw.lab.aws_oracle.router import ConfigParser, Neighbor, Proposal, RouterConfig, RouterPeer

_TOKEN = re.compile(r'"((?:[^"\\]|\\.)*)"|(\S+)')


def _words(line: str) -> list[str]:
    return [m.group(1) if m.group(1) is not None else m.group(2) for m in _TOKEN.finditer(line)]


class _Junos:
    """`show configuration | display set` lines, queried by path prefix."""

    def __init__(self, text: str) -> None:
        self.lines = [
            tuple(words[1:])
            for words in (_words(line) for line in text.splitlines())
            if words[:1] == ["set"]
        ]

    def values(self, *prefix: str) -> list[str]:
        """The word after `prefix` on every line starting with it, in order, de-duplicated."""
        size = len(prefix)
        found = [ln[size] for ln in self.lines if ln[:size] == prefix and len(ln) > size]
        return list(dict.fromkeys(found))

    def value(self, *prefix: str) -> str | None:
        found = self.values(*prefix)
        return found[-1] if found else None

    def has(self, *prefix: str) -> bool:
        return any(ln[: len(prefix)] == prefix for ln in self.lines)

    def interface_address(self, name: str) -> IPv4Interface | None:
        device, _, unit = name.partition(".")
        address = self.value("interfaces", device, "unit", unit or "0", "family", "inet", "address")
        return IPv4Interface(address) if address else None

    def host_inbound(self, interface: str) -> tuple[bool, set[str]]:
        """(interface is in a zone, the services and protocols it accepts).

        An interface's own host-inbound-traffic replaces its zone's ("Interface configuration
        overrides that of the zone", Juniper); `X except` takes X out of the list.
        """
        for zone in self.values("security", "zones", "security-zone"):
            base = ("security", "zones", "security-zone", zone)
            if not self.has(*base, "interfaces", interface):
                continue
            for scope in ((*base, "interfaces", interface), base):
                if not self.has(*scope, "host-inbound-traffic"):
                    continue
                allowed: set[str] = set()
                for kind in ("system-services", "protocols"):
                    for name in self.values(*scope, "host-inbound-traffic", kind):
                        if not self.has(*scope, "host-inbound-traffic", kind, name, "except"):
                            allowed.add(name)
                return True, allowed
            return True, set()
        return False, set()


def parse_junos(text: str) -> RouterConfig:
    """Junos `show configuration | display set` → RouterConfig."""
    junos = _Junos(text)
    config = RouterConfig()
    vpns = {
        junos.value("security", "ipsec", "vpn", v, "ike", "gateway"): v
        for v in junos.values("security", "ipsec", "vpn")
    }
    for gateway in junos.values("security", "ike", "gateway"):
        peer = _gateway(junos, gateway)
        if peer is None:
            continue
        vpn = vpns.get(gateway)
        if vpn is None:
            peer.ipsec_problems.append(f"no IPsec VPN uses IKE gateway {gateway}")
        else:
            _ipsec_vpn(junos, peer, vpn)
        config.peers.append(peer)
    config.neighbors = _bgp(junos)
    return config


def _proposal(junos: _Junos, base: tuple[str, ...], integrity_words: Mapping[str, str]) -> Proposal:
    cipher = junos.value(*base, "encryption-algorithm") or "none"
    encryption = JUNOS_ENCRYPTION.get(cipher, unmapped(cipher))
    auth = junos.value(*base, "authentication-algorithm")
    if auth is None:
        integrity = None if encryption in GCM else frozenset[str]()
    else:
        integrity = frozenset({integrity_words.get(auth, unmapped(auth))})
    group = group_number(junos.value(*base, "dh-group") or "")
    return Proposal(
        frozenset({encryption}), integrity, frozenset({group}) if group else frozenset()
    )


# --------------------------------------------------------------------------- IKE


def _gateway(junos: _Junos, gateway: str) -> RouterPeer | None:
    base = ("security", "ike", "gateway", gateway)
    address = junos.value(*base, "address")
    if address is None:
        return None
    peer = RouterPeer(address=address, label=f"gateway {gateway}")
    version = junos.value(*base, "version") or "v1-only"
    peer.ike_versions = frozenset({2} if version == "v2-only" else {1})
    external = junos.value(*base, "external-interface")
    external_address = junos.interface_address(external) if external else None
    peer.local_address = junos.value(*base, "local-address") or (
        str(external_address.ip) if external_address else None
    )
    identity = junos.values(*base, "local-identity")
    if identity:
        peer.local_identity = junos.value(*base, "local-identity", "inet")
    else:
        peer.local_identity = peer.local_address
    _ike_zone(junos, peer, external)
    _ike_policy(junos, peer, junos.value(*base, "ike-policy"))
    return peer


def _ike_zone(junos: _Junos, peer: RouterPeer, external: str | None) -> None:
    if external is None:
        peer.ike_problems.append(f"{peer.label} has no external-interface")
        return
    problem = _host_inbound_problem(junos, external, "system-services", "ike")
    if problem:
        peer.ike_problems.append(problem)


def _host_inbound_problem(junos: _Junos, interface: str, kind: str, name: str) -> str:
    """Why the SRX drops `name` traffic to itself arriving on `interface` ('' when it accepts)."""
    in_zone, allowed = junos.host_inbound(interface)
    if not in_zone:
        return f"{interface} is in no security zone"
    if not allowed & {name, "all"}:
        return f"{interface} does not accept {name.upper()} (host-inbound-traffic {kind} {name})"
    return ""


def _ike_policy(junos: _Junos, peer: RouterPeer, policy: str | None) -> None:
    base = ("security", "ike", "policy", policy or "")
    if policy is None or not junos.has(*base):
        peer.ike_problems.append(f"{peer.label} has no IKE policy")
        return
    if junos.value(*base, "mode") == "aggressive":
        peer.ike_problems.append(f"IKE policy {policy} uses aggressive mode; AWS needs main mode")
    proposals = []
    for name in junos.values(*base, "proposals"):
        prop = ("security", "ike", "proposal", name)
        if junos.value(*prop, "authentication-method") != "pre-shared-keys":
            continue
        proposals.append(_proposal(junos, prop, JUNOS_IKE_INTEGRITY))
    peer.ike_proposals = {v: tuple(proposals) for v in peer.ike_versions}
    ascii_key = junos.value(*base, "pre-shared-key", "ascii-text")
    hex_key = junos.value(*base, "pre-shared-key", "hexadecimal")
    if ascii_key is not None:
        peer.psk = junos_secret(ascii_key)
    elif hex_key is not None:
        peer.psk = hex_text(junos_secret(hex_key).removeprefix("0x"))


# --------------------------------------------------------------------------- IPsec


def _ipsec_vpn(junos: _Junos, peer: RouterPeer, vpn: str) -> None:
    base = ("security", "ipsec", "vpn", vpn)
    policy = junos.value(*base, "ike", "ipsec-policy")
    pbase = ("security", "ipsec", "policy", policy or "")
    group = group_number(junos.value(*pbase, "perfect-forward-secrecy", "keys") or "")
    groups = frozenset({group}) if group else frozenset()
    proposals = []
    for name in junos.values(*pbase, "proposals"):
        prop = ("security", "ipsec", "proposal", name)
        if junos.value(*prop, "protocol") not in (None, "esp"):
            continue
        proposals.append(replace(_proposal(junos, prop, JUNOS_ESP_INTEGRITY), groups=groups))
    peer.esp_proposals = tuple(proposals)
    # Junos's default `establish-tunnels on-traffic` negotiates only when traffic needs the SA.
    peer.initiates = junos.value(*base, "establish-tunnels") == "immediately"
    bind = junos.value(*base, "bind-interface")
    peer.interface = bind
    if bind is None:
        return
    peer.inside = junos.interface_address(bind)
    peer.label = f"{peer.label} ({bind})"
    problem = _host_inbound_problem(junos, bind, "protocols", "bgp")
    if problem:
        peer.bgp_problems.append(problem)
    _static_routes(junos, peer)


def _static_routes(junos: _Junos, peer: RouterPeer) -> None:
    for route in junos.values("routing-options", "static", "route"):
        base = ("routing-options", "static", "route", route)
        hops = junos.values(*base, "next-hop") + junos.values(*base, "qualified-next-hop")
        if any(peer.reached_via(hop) for hop in hops):
            peer.routes.add(IPv4Network(route))


# --------------------------------------------------------------------------- BGP


def _bgp(junos: _Junos) -> dict[str, Neighbor]:
    neighbors = {}
    system_as = junos.value("routing-options", "autonomous-system")
    for group in junos.values("protocols", "bgp", "group"):
        gbase = ("protocols", "bgp", "group", group)
        for address in junos.values(*gbase, "neighbor"):
            nbase = (*gbase, "neighbor", address)
            peer_as = junos.value(*nbase, "peer-as") or junos.value(*gbase, "peer-as") or "unset"
            local_as = junos.value(*nbase, "local-as") or junos.value(*gbase, "local-as")
            local = local_as or system_as
            exports = junos.values(*nbase, "export") or junos.values(*gbase, "export")
            advertised = tuple(p for e in exports for p in _exported(junos, e))
            neighbors[address] = Neighbor(
                address, peer_as, int(local) if local else None, advertised=advertised
            )
    return neighbors


def _exported(junos: _Junos, policy: str) -> list[str]:
    base = ("policy-options", "policy-statement", policy)
    prefixes = []
    for term in junos.values(*base, "term"):
        tbase = (*base, "term", term)
        if "accept" in junos.values(*tbase, "then"):
            prefixes += junos.values(*tbase, "from", "route-filter")
    return prefixes


PARSER = ConfigParser(kind="juniper_junos", parse=parse_junos)
