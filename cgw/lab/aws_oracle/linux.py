"""The Linux host (swanctl files charon loaded, then FRR's running config) in the oracle's terms."""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass, field
from ipaddress import IPv4Interface, IPv4Network
from typing import Any

from cgw.lab.aws_oracle.algorithms import (
    GCM,
    SWAN_CIPHERS,
    SWAN_DEFAULT_ESP,
    SWAN_DEFAULT_IKE,
    SWAN_DEFAULT_IKE_AEAD,
    SWAN_DH_GROUPS,
    SWAN_INTEGRITY,
    unmapped,
)
from cgw.lab.aws_oracle.frr import frr_bgp
from cgw.lab.aws_oracle.key_encodings import swan_secret
from cgw.lab.aws_oracle.router import ConfigParser, Proposal, RouterConfig, RouterPeer, is_v4


def parse_linux(text: str) -> RouterConfig:
    """The Linux host (swanctl files charon loaded, then FRR's running config) → RouterConfig."""
    swan_text, frr_text = _split(text)
    tree = _swanctl_sections(swan_text)
    links = _links(text)
    secrets = tree.get("secrets") if isinstance(tree.get("secrets"), dict) else {}
    connections = tree.get("connections") if isinstance(tree.get("connections"), dict) else {}
    config = RouterConfig()
    for name, conn in (connections or {}).items():
        if isinstance(conn, dict):
            config.peers += _peers(name, conn, secrets or {}, links)
    config.neighbors = frr_bgp(frr_text)
    return config


def _split(text: str) -> tuple[str, str]:
    """(swanctl files as charon loaded them, FRR running config)."""
    match = re.search(r"^frr (version|defaults)\b", text, flags=re.M)
    if match is None:
        match = re.search(r"^router bgp \d+", text, flags=re.M)
    if match is None:
        return text, ""
    return text[: match.start()], text[match.start() :]


# --------------------------------------------------------------------------- swanctl syntax


def _swanctl_sections(text: str) -> dict[str, Any]:
    """swanctl.conf syntax → nested dicts; sections met twice are merged (several files)."""
    root: dict[str, Any] = {}
    stack = [root]
    for raw in text.splitlines():
        line = raw.split("#", 1)[0]
        for statement in _swanctl_statements(line):
            _swanctl_apply(stack, statement)
    return root


def _swanctl_statements(line: str) -> list[str]:
    spaced = line.replace("{", "{\n").replace("}", "\n}\n")
    return [s.strip() for s in spaced.splitlines() if s.strip()]


def _swanctl_apply(stack: list[dict[str, Any]], statement: str) -> None:
    if statement.endswith("{"):
        name = statement[:-1].strip()
        section = stack[-1].get(name)
        if not isinstance(section, dict):
            section = {}
            stack[-1][name] = section
        stack.append(section)
    elif statement == "}":
        if len(stack) > 1:
            stack.pop()
    elif "=" in statement:
        key, value = statement.split("=", 1)
        stack[-1][key.strip()] = value.strip().strip('"')


# --------------------------------------------------------------------------- proposals


def swan_proposals(text: str, *, esp: bool) -> tuple[Proposal, ...]:
    """strongSwan `proposals`/`esp_proposals` → Proposals (`default` as strongSwan 5.9 means)."""
    parts: list[Proposal] = []
    for item in (p.strip() for p in text.split(",") if p.strip()):
        if item == "default":
            defaults = SWAN_DEFAULT_ESP if esp else f"{SWAN_DEFAULT_IKE_AEAD},{SWAN_DEFAULT_IKE}"
            parts += swan_proposals(defaults, esp=esp)
        else:
            parts.append(_proposal(item, esp))
    return tuple(parts)


def _proposal(item: str, esp: bool) -> Proposal:
    encryption, integrity, prf, groups = set(), set(), set(), set()
    for word in item.split("-"):
        if word in SWAN_CIPHERS:
            encryption.add(SWAN_CIPHERS[word])
        elif word in SWAN_INTEGRITY:
            integrity.add(SWAN_INTEGRITY[word])
        elif word.startswith("prf") and word[3:] in SWAN_INTEGRITY:
            prf.add(SWAN_INTEGRITY[word[3:]])
        elif word in SWAN_DH_GROUPS:
            groups.add(SWAN_DH_GROUPS[word])
        elif word not in ("esn", "noesn"):
            encryption.add(unmapped(word))
    aead = bool(encryption & GCM)
    if esp or not aead:
        chosen: frozenset[str] | None = frozenset(integrity) if not aead else None
    else:
        chosen = frozenset(prf) or None
    return Proposal(frozenset(encryption), chosen, frozenset(groups))


# --------------------------------------------------------------------------- tunnel links


@dataclass
class _Links:
    """Tunnel interfaces, addresses and routes, when the host's config shows them."""

    addresses: dict[str, IPv4Interface] = field(default_factory=dict)
    xfrm_ids: dict[str, str] = field(default_factory=dict)  # if_id → device
    vti_keys: dict[str, str] = field(default_factory=dict)  # key → device
    routes: dict[str, set[IPv4Network]] = field(default_factory=dict)

    @property
    def known(self) -> bool:
        return bool(self.addresses or self.xfrm_ids or self.vti_keys)


def _links(text: str) -> _Links:
    links = _Links()
    for line in text.splitlines():
        words = line.replace("||", " ").split()
        for start in (i for i, w in enumerate(words) if w == "ip"):
            _ip_command(links, words[start + 1 :])
    return links


def _ip_command(links: _Links, words: list[str]) -> None:
    device = words[words.index("dev") + 1] if "dev" in words[:-1] else ""
    if words[:2] == ["link", "add"] and len(words) > 2:
        name = words[2]
        if "if_id" in words[:-1]:
            links.xfrm_ids[words[words.index("if_id") + 1]] = name
        if "key" in words[:-1]:
            links.vti_keys[words[words.index("key") + 1]] = name
    elif words[:1] in (["address"], ["addr"]) and words[1:2] in (["add"], ["replace"]):
        local = words[2]
        mask = words[words.index("peer") + 1].partition("/")[2] if "peer" in words else ""
        if "/" not in local:
            local = f"{local}/{mask or '32'}"
        links.addresses[device] = IPv4Interface(local)
    elif words[:1] == ["route"] and words[1:2] in (["add"], ["replace"]) and device:
        links.routes.setdefault(device, set()).add(IPv4Network(words[2]))


# --------------------------------------------------------------------------- connections


def _psk(secrets: Mapping[str, Any], remote_id: str, local_id: str | None) -> str | None:
    """The IKE secret charon would pick for this pair of identities."""
    best: tuple[int, str] | None = None
    for name, section in secrets.items():
        if not name.startswith("ike") or not isinstance(section, dict):
            continue
        ids = {str(v) for k, v in section.items() if k == "id" or k.startswith("id-")}
        score = 3 if remote_id in ids and (local_id in ids or len(ids) == 1) else 0
        score = score or (2 if remote_id in ids else 1 if local_id in ids else 0)
        score = score or (1 if not ids else 0)
        if score and (best is None or score > best[0]):
            best = (score, swan_secret(str(section.get("secret", ""))))
    return best[1] if best else None


def _side(conn: Mapping[str, Any], side: str) -> dict[str, Any]:
    for key, value in conn.items():
        if (key == side or key.startswith(side + "-")) and isinstance(value, dict):
            return value
    return {}


def _peers(
    name: str, conn: Mapping[str, Any], secrets: Mapping[str, Any], links: _Links
) -> list[RouterPeer]:
    version = str(conn.get("version", "0"))
    versions = {"1": {1}, "2": {2}}.get(version, {1, 2})
    local_addrs = [a.strip() for a in str(conn.get("local_addrs", "")).split(",") if a.strip()]
    local, remote = _side(conn, "local"), _side(conn, "remote")
    local_address = local_addrs[0] if local_addrs and is_v4(local_addrs[0]) else None
    ike = swan_proposals(str(conn.get("proposals", "default")), esp=False)
    peers = []
    for address in (a.strip() for a in str(conn.get("remote_addrs", "")).split(",")):
        if not is_v4(address):
            continue
        peer = RouterPeer(address=address, label=f"connection {name}")
        peer.ike_versions = frozenset(versions)
        peer.local_address = local_address
        peer.local_identity = str(local.get("id", "")) or local_address
        peer.ike_proposals = {v: ike for v in versions}
        _auth(peer, local, remote, conn)
        peer.psk = _psk(secrets, str(remote.get("id") or address), peer.local_identity)
        _child(peer, conn, links)
        peers.append(peer)
    return peers


def _auth(
    peer: RouterPeer, local: Mapping[str, Any], remote: Mapping[str, Any], conn: Mapping[str, Any]
) -> None:
    for side, section in (("local", local), ("remote", remote)):
        if str(section.get("auth", "pubkey")) != "psk":
            peer.ike_problems.append(f"{peer.label}: {side} auth is not psk")
    remote_id = str(remote.get("id", "%any"))
    if remote_id not in ("%any", peer.address):
        peer.ike_problems.append(f"{peer.label}: remote id {remote_id} is not {peer.address}")
    if str(conn.get("aggressive", "no")) == "yes":
        peer.ike_problems.append(f"{peer.label} uses aggressive mode; AWS needs main mode")


def _child(peer: RouterPeer, conn: Mapping[str, Any], links: _Links) -> None:
    children = conn.get("children")
    child = next((c for c in (children or {}).values() if isinstance(c, dict)), None)
    if not isinstance(children, dict) or child is None:
        peer.ipsec_problems.append(f"{peer.label} has no CHILD_SA")
        return
    peer.esp_proposals = swan_proposals(str(child.get("esp_proposals", "default")), esp=True)
    peer.interface_known = links.known
    if not links.known:
        return
    if "if_id_out" in child:
        peer.interface = links.xfrm_ids.get(str(child["if_id_out"]))
    elif "mark_out" in child:
        peer.interface = links.vti_keys.get(str(child["mark_out"]).split("/")[0])
    else:
        peer.interface = "ipsec0" if "ipsec0" in links.addresses else None
    if peer.interface is not None:
        peer.inside = links.addresses.get(peer.interface)
        peer.routes = set(links.routes.get(peer.interface, set()))


PARSER = ConfigParser(kind="linux", parse=parse_linux)
