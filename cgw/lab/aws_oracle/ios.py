"""Cisco IOS-XE `show running-config` in the oracle's terms."""

from __future__ import annotations

from dataclasses import dataclass, field, replace
from ipaddress import IPv4Address, IPv4Interface, IPv4Network, ip_network

from cgw.lab.aws_oracle.algorithms import (
    AES_KEY_SIZES,
    GCM,
    IOS_ESP_ENCRYPTION,
    IOS_ESP_GCM_KEY_SIZES,
    IOS_ESP_INTEGRITY,
    IOS_IKEV2_ENCRYPTION,
    IOS_ISAKMP_HASH,
    SHA,
    group_number,
    unmapped,
)
from cgw.lab.aws_oracle.bgp import (
    apply_session_statements,
    neighbor_statements,
    remote_as_neighbors,
)
from cgw.lab.aws_oracle.key_encodings import ios_type7_decode
from cgw.lab.aws_oracle.router import (
    ConfigParser,
    Neighbor,
    Proposal,
    RouterConfig,
    RouterPeer,
    is_v4,
)

# IOS-XE's built-in IKEv2 proposal, used when no IKEv2 policy applies.
_DEFAULT_IKEV2 = Proposal(
    frozenset({"AES256"}), frozenset({"SHA2-512", "SHA2-384"}), frozenset({19, 14, 21, 5})
)
_DEFAULT_TRANSFORM = Proposal(frozenset({"AES128"}), frozenset({"SHA1"}), frozenset())


@dataclass
class _Node:
    line: str
    children: list[_Node] = field(default_factory=list)

    def words(self) -> list[str]:
        return self.line.split()

    def child_lines(self, prefix: str) -> list[str]:
        return [c.line for c in self.children if c.line.startswith(prefix)]

    def value(self, prefix: str) -> str | None:
        lines = self.child_lines(prefix)
        return lines[-1][len(prefix) :].strip() if lines else None


def _ios_tree(text: str) -> _Node:
    root = _Node("")
    stack: list[tuple[int, _Node]] = [(-1, root)]
    for raw in text.splitlines():
        stripped = raw.strip()
        if not stripped or stripped.startswith("!") or stripped == "end":
            continue
        if stripped.startswith(("Building configuration", "Current configuration")):
            continue
        indent = len(raw) - len(raw.lstrip(" "))
        while stack[-1][0] >= indent:
            stack.pop()
        node = _Node(stripped)
        stack[-1][1].children.append(node)
        stack.append((indent, node))
    return root


class _Ios:
    """Index of an IOS running-config's top-level sections by their first words."""

    def __init__(self, text: str) -> None:
        self.root = _ios_tree(text)

    def sections(self, prefix: str) -> dict[str, _Node]:
        """Sections `prefix NAME ...` by NAME."""
        found = {}
        for node in self.root.children:
            if node.line.startswith(prefix + " "):
                found[node.line[len(prefix) + 1 :].split()[0]] = node
        return found

    def interface_address(self, name: str) -> IPv4Interface | None:
        node = self.sections("interface").get(name)
        if node is None:
            return None
        value = node.value("ip address ")
        if value is None or len(value.split()) < 2:
            return None
        address, mask = value.split()[:2]
        try:
            return IPv4Interface(f"{address}/{mask}")
        except ValueError:
            return None

    def address_of(self, source: str | None) -> str | None:
        """An IP address, or the address of the interface named."""
        if not source:
            return None
        if is_v4(source):
            return source
        found = self.interface_address(source)
        return str(found.ip) if found else None


def parse_ios(text: str) -> RouterConfig:
    """IOS-XE `show running-config` → RouterConfig."""
    ios = _Ios(text)
    config = RouterConfig()
    for name, node in ios.sections("interface").items():
        if name.lower().startswith("tunnel"):
            peer = _tunnel_peer(ios, name, node)
            if peer is not None:
                config.peers.append(peer)
    _static_routes(ios, config.peers)
    config.neighbors = _bgp(ios)
    return config


# --------------------------------------------------------------------------- keys and proposals


def _key(words: list[str]) -> tuple[str | None, str]:
    """(key, problem) from the words after `pre-shared-key` / `key`."""
    if len(words) >= 2 and words[0] in ("0", "6", "7"):
        if words[0] == "6":
            return None, "the pre-shared key is type-6 encrypted; the lab cannot read it"
        if words[0] == "7":
            try:
                return ios_type7_decode(words[1]), ""
            except ValueError:
                return None, "the type-7 pre-shared key is malformed"
        return words[1], ""
    return (words[0], "") if words else (None, "")


def _ikev2_proposal(node: _Node) -> Proposal:
    encryption = {
        IOS_IKEV2_ENCRYPTION.get(w, unmapped(w))
        for line in node.child_lines("encryption ")
        for w in line.split()[1:]
    }
    integrity_words = [w for ln in node.child_lines("integrity ") for w in ln.split()[1:]]
    prf_words = [w for ln in node.child_lines("prf ") for w in ln.split()[1:]]
    gcm = bool(encryption & GCM)
    words = (prf_words or None) if gcm else integrity_words
    integrity = None if words is None else frozenset(SHA.get(w, unmapped(w)) for w in words)
    groups = {int(w) for ln in node.child_lines("group ") for w in ln.split()[1:] if w.isdigit()}
    return Proposal(frozenset(encryption), integrity, frozenset(groups))


def _isakmp_proposal(node: _Node) -> Proposal:
    encr = (node.value("encr ") or "des").split()
    if encr[0] == "aes":
        size = encr[1] if len(encr) > 1 else "128"
        encryption = AES_KEY_SIZES.get(size, unmapped(f"aes-{size}"))
    else:
        encryption = unmapped(encr[0])
    hash_word = node.value("hash ") or "sha"
    integrity = IOS_ISAKMP_HASH.get(hash_word, unmapped(hash_word))
    group = int(node.value("group ") or "1")
    return Proposal(frozenset({encryption}), frozenset({integrity}), frozenset({group}))


def _transform(line: str) -> Proposal:
    words = line.split()[3:]
    encryption: set[str] = set()
    integrity: set[str] = set()
    for index, word in enumerate(words):
        following = words[index + 1] if index + 1 < len(words) else ""
        if word in IOS_ESP_ENCRYPTION:
            encryption.add(_esp_cipher(word, following))
        elif word in IOS_ESP_INTEGRITY:
            integrity.add(IOS_ESP_INTEGRITY[word])
        elif word.startswith("esp-"):
            encryption.add(unmapped(word))
    return Proposal(frozenset(encryption), frozenset(integrity), frozenset())


def _esp_cipher(word: str, size: str) -> str:
    """`esp-aes [SIZE]` or `esp-gcm [SIZE]` in AWS's words."""
    if word == "esp-gcm":
        return IOS_ESP_GCM_KEY_SIZES.get(
            size if size.isdigit() else "", unmapped(f"esp-gcm-{size}")
        )
    if not size.isdigit():
        return "AES128"
    return AES_KEY_SIZES.get(size, unmapped(f"{word}-{size}"))


def _covers(address: str, spec: list[str]) -> bool:
    """Whether `address MASK` / `address` / `any` words cover `address`."""
    if not spec:
        return False
    if spec[0] == "any":
        return True
    try:
        network = IPv4Network(f"{spec[0]}/{spec[1] if len(spec) > 1 else '32'}", strict=False)
        return IPv4Address(address) in network
    except ValueError:
        return False


# --------------------------------------------------------------------------- tunnels


def _tunnel_peer(ios: _Ios, name: str, node: _Node) -> RouterPeer | None:
    destination = node.value("tunnel destination ")
    if destination is None:
        return None
    peer = RouterPeer(address=destination, label=name, interface=name)
    peer.inside = ios.interface_address(name)
    peer.local_address = ios.address_of(node.value("tunnel source "))
    if node.child_lines("shutdown"):
        peer.ike_problems.append(f"{name} is shut down")
    if node.value("tunnel mode ") != "ipsec ipv4":
        peer.ike_problems.append(f"{name} is not in tunnel mode ipsec ipv4 (AWS speaks no GRE)")
    profile_name = node.value("tunnel protection ipsec profile ")
    profile = ios.sections("crypto ipsec profile").get(profile_name or "")
    if profile is None:
        peer.ike_problems.append(f"{name} has no tunnel protection ipsec profile")
        return peer
    _phase2(ios, peer, profile)
    ikev2_profile = profile.value("set ikev2-profile ")
    if ikev2_profile is not None:
        _ikev2(ios, peer, ikev2_profile)
    else:
        _ikev1(ios, peer, profile.value("set isakmp-profile "))
    return peer


def _phase2(ios: _Ios, peer: RouterPeer, profile: _Node) -> None:
    names = [w for line in profile.child_lines("set transform-set ") for w in line.split()[2:]]
    sets = ios.sections("crypto ipsec transform-set")
    proposals = []
    for transform in names:
        node = sets.get(transform)
        if node is None:
            continue
        if node.value("mode ") not in (None, "tunnel"):
            continue
        proposals.append(_transform(node.line))
    if not names:
        proposals.append(_DEFAULT_TRANSFORM)
    pfs = group_number(profile.value("set pfs ") or "")
    groups = frozenset({pfs}) if pfs is not None else frozenset()
    peer.esp_proposals = tuple(replace(p, groups=groups) for p in proposals)


def _ikev2_remotes(profile: _Node) -> list[list[str]]:
    """The remote peers an IKEv2 profile matches, as `_covers` specs."""
    remotes = [ln.split()[4:] for ln in profile.child_lines("match identity remote address ")]
    return remotes + [["any"] for _ in profile.child_lines("match identity remote any")]


def _isakmp_remotes(profile: _Node) -> list[list[str]]:
    """The remote peers an ISAKMP profile matches, as `_covers` specs."""
    return [ln.split()[3:] for ln in profile.child_lines("match identity address ")]


# `crypto KIND profile`: the name reasons give it, and the peers it matches.
_PROFILES = {"ikev2": ("IKEv2", _ikev2_remotes), "isakmp": ("ISAKMP", _isakmp_remotes)}


def _profile(ios: _Ios, peer: RouterPeer, kind: str, name: str) -> _Node | None:
    """The `crypto ikev2|isakmp profile NAME` section, noting on `peer` why it does not apply."""
    title, remotes = _PROFILES[kind]
    label = f"{title} profile {name}"
    profile = ios.sections(f"crypto {kind} profile").get(name)
    if profile is None:
        peer.ike_problems.append(f"{label} does not exist")
    elif not any(_covers(peer.address, spec) for spec in remotes(profile)):
        peer.ike_problems.append(f"{label} does not match {peer.address}")
    return profile


def _ikev2(ios: _Ios, peer: RouterPeer, profile_name: str) -> None:
    peer.ike_versions = frozenset({2})
    profile = _profile(ios, peer, "ikev2", profile_name)
    if profile is None:
        return
    for side in ("local", "remote"):
        if profile.value(f"authentication {side} ") != "pre-share":
            peer.ike_problems.append(f"IKEv2 profile {profile_name}: {side} auth is not pre-share")
    identity = (profile.value("identity local address ") or "").split()
    peer.local_identity = identity[0] if identity else peer.local_address
    if profile.value("identity local ") and not identity:
        peer.local_identity = None
    _ikev2_key(ios, peer, profile.value("keyring local "))
    peer.ike_proposals = {2: _ikev2_proposals(ios, peer.local_address)}


def _ikev2_key(ios: _Ios, peer: RouterPeer, keyring_name: str | None) -> None:
    keyring = ios.sections("crypto ikev2 keyring").get(keyring_name or "")
    if keyring is None:
        peer.psk_problem = f"no IKEv2 keyring for {peer.address}"
        return
    for block in keyring.children:
        addresses = [line.split()[1:] for line in block.child_lines("address ")]
        if not any(_covers(peer.address, spec) for spec in addresses):
            continue
        keys = {"local": None, "remote": None} | _ikev2_block_keys(block, peer)
        if keys["local"] != keys["remote"]:
            peer.psk_problem = f"PSK mismatch for {peer.address} (local and remote keys differ)"
        peer.psk = keys["local"]
        return
    peer.psk_problem = f"IKEv2 keyring {keyring_name} has no peer for {peer.address}"


def _ikev2_block_keys(block: _Node, peer: RouterPeer) -> dict[str, str | None]:
    keys: dict[str, str | None] = {}
    for line in block.child_lines("pre-shared-key "):
        words = line.split()[1:]
        sides: tuple[str, ...] = ("local", "remote")
        if words and words[0] in sides:
            sides, words = (words[0],), words[1:]
        key, problem = _key(words)
        if problem:
            peer.psk_problem = problem
        for side in sides:
            keys[side] = key
    return keys


def _ikev2_proposals(ios: _Ios, local: str | None) -> tuple[Proposal, ...]:
    proposals = ios.sections("crypto ikev2 proposal")
    names: list[str] = []
    for policy in ios.sections("crypto ikev2 policy").values():
        matches = [ln.split()[3] for ln in policy.child_lines("match address local ")]
        if matches and local not in matches:
            continue
        names += [ln.split()[1] for ln in policy.child_lines("proposal ")]
    if not names and not ios.sections("crypto ikev2 policy"):
        return (_DEFAULT_IKEV2,)
    return tuple(_ikev2_proposal(proposals[n]) for n in names if n in proposals)


def _ikev1(ios: _Ios, peer: RouterPeer, profile_name: str | None) -> None:
    peer.ike_versions = frozenset({1})
    keyrings = ios.sections("crypto keyring")
    local = peer.local_address
    names = list(keyrings)
    if profile_name is not None:
        profile = _profile(ios, peer, "isakmp", profile_name)
        if profile is None:
            return
        names = [ln.split()[1] for ln in profile.child_lines("keyring ")] or names
        local = ios.address_of(profile.value("local-address ")) or local
    chosen = [keyrings[n] for n in names if n in keyrings]
    _ikev1_key(ios, peer, chosen)
    for keyring in chosen:
        local = ios.address_of(keyring.value("local-address ")) or local
    peer.local_address = local
    identity = [n.line for n in ios.root.children if n.line.startswith("crypto isakmp identity ")]
    peer.local_identity = None if identity and "address" not in identity[-1] else local
    policies = [
        _isakmp_proposal(node)
        for node in ios.sections("crypto isakmp policy").values()
        if node.value("authentication ") == "pre-share"
    ]
    peer.ike_proposals = {1: tuple(policies)}


def _ikev1_key(ios: _Ios, peer: RouterPeer, keyrings: list[_Node]) -> None:
    for keyring in keyrings:
        for line in keyring.child_lines("pre-shared-key address "):
            words = line.split()
            key_at = words.index("key") if "key" in words else len(words)
            if _covers(peer.address, words[2:key_at] or [""]):
                peer.psk, peer.psk_problem = _key(words[key_at + 1 :])
                return
    for node in ios.root.children:
        words = node.words()
        if words[:3] == ["crypto", "isakmp", "key"] and "address" in words:
            spec = words[words.index("address") + 1 :]
            if _covers(peer.address, spec):
                peer.psk, peer.psk_problem = _key(words[3 : words.index("address")])
                return
    peer.psk_problem = f"no ISAKMP key for {peer.address}"


def _static_routes(ios: _Ios, peers: list[RouterPeer]) -> None:
    for node in ios.root.children:
        words = node.words()
        if words[:2] != ["ip", "route"] or len(words) < 5:
            continue
        try:
            prefix = IPv4Network(f"{words[2]}/{words[3]}")
        except ValueError:
            continue
        for peer in peers:
            if peer.reached_via(words[4]):
                peer.routes.add(prefix)


# --------------------------------------------------------------------------- BGP


def _bgp(ios: _Ios) -> dict[str, Neighbor]:
    router = next((n for n in ios.root.children if n.line.startswith("router bgp ")), None)
    if router is None:
        return {}
    asn = int(router.words()[2])
    lines = [c.line for c in router.children]
    families = [c for c in router.children if c.line.startswith("address-family ipv4")]
    for family in families:
        lines += [c.line for c in family.children]
    default_off = "no bgp default ipv4-unicast" in lines
    networks = tuple(_network(line) for line in lines if line.startswith("network "))
    neighbors = remote_as_neighbors(lines, asn, advertised=networks)
    for address, neighbor in neighbors.items():
        apply_session_statements(neighbor, neighbor_statements(lines, address))
        if default_off and f"neighbor {address} activate" not in lines:
            neighbor.problems.append(f"neighbour {address} is not activated for IPv4 unicast")
    return neighbors


def _network(line: str) -> str:
    words = line.split()
    if len(words) >= 4 and words[2] == "mask":
        return str(IPv4Network(f"{words[1]}/{words[3]}", strict=False))
    return str(ip_network(words[1], strict=False))


PARSER = ConfigParser(kind="cisco_xe", parse=parse_ios)
