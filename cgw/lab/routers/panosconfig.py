"""A PAN-OS configuration as the simulated firewall keeps it: leaf paths with their values.

Every statement is `set <path> <value>`; a leaf of a list kind (zone interfaces, crypto
algorithms, rule members) holds several members and prints them as `[ a b ]`. The schema
below is the part of PAN-OS's hierarchy the simulator accepts (what cgw and a plain branch
configuration use); anything else is "Invalid syntax.", as the real CLI answers.
"""

from __future__ import annotations

import base64
import hashlib
import re
from dataclasses import dataclass, field

_N = r"[A-Za-z0-9][A-Za-z0-9_.:-]{0,62}"
_IP = r"\d{1,3}(?:\.\d{1,3}){3}"
_PFX = rf"{_IP}/\d{{1,2}}"
_NUM = r"\d{1,10}"
_YN = r"yes|no"
_IF = r"ethernet\d+/\d+(?:\.\d+)?|tunnel\.\d+|loopback\.\d+"
_BGP = rf"(?:network virtual-router {_N} protocol bgp|network logical-router {_N} vrf {_N} bgp)"
_ROUTER = rf"(?:network virtual-router {_N}|network logical-router {_N} vrf {_N})"
_CP = "network ike crypto-profiles"

# (path regex, value regex, list leaf)
SCHEMA: tuple[tuple[str, str, bool], ...] = (
    ("deviceconfig system hostname", _N, False),
    (r"network interface ethernet ethernet\d+/\d+ layer3 ip", _PFX, True),
    (r"network interface tunnel units tunnel\.\d+ ip", _PFX, True),
    (r"network interface tunnel units tunnel\.\d+ mtu", _NUM, False),
    (r"network interface tunnel units tunnel\.\d+ comment", r"\S+", False),
    (r"network interface tunnel units tunnel\.\d+ adjust-tcp-mss enable", _YN, False),
    (r"network interface tunnel units tunnel\.\d+ adjust-tcp-mss ipv4-mss-adjustment", _NUM, False),
    (r"network interface tunnel units tunnel\.\d+ interface-management-profile", _N, False),
    (rf"{_CP} ike-crypto-profiles {_N} hash", r"md5|sha1|sha256|sha384|sha512|non-auth", True),
    (rf"{_CP} ike-crypto-profiles {_N} dh-group", r"group(?:1|2|5|14|16|19|20|21)", True),
    (
        rf"{_CP} ike-crypto-profiles {_N} encryption",
        r"des|3des|aes-128-cbc|aes-192-cbc|aes-256-cbc|aes-128-gcm|aes-256-gcm",
        True,
    ),
    (rf"{_CP} ike-crypto-profiles {_N} lifetime (?:seconds|minutes|hours)", _NUM, False),
    (
        rf"{_CP} ipsec-crypto-profiles {_N} esp authentication",
        r"none|md5|sha1|sha256|sha384|sha512",
        True,
    ),
    (
        rf"{_CP} ipsec-crypto-profiles {_N} esp encryption",
        r"des|3des|null|aes-128-cbc|aes-192-cbc|aes-256-cbc|aes-128-ccm|aes-128-gcm|aes-256-gcm",
        True,
    ),
    (rf"{_CP} ipsec-crypto-profiles {_N} lifetime (?:seconds|minutes|hours)", _NUM, False),
    (rf"{_CP} ipsec-crypto-profiles {_N} dh-group", r"no-pfs|group(?:1|2|5|14|16|19|20|21)", False),
    (rf"network ike gateway {_N} authentication pre-shared-key key", r"\S+", False),
    (rf"network ike gateway {_N} protocol ikev[12] ike-crypto-profile", _N, False),
    (rf"network ike gateway {_N} protocol ikev1 exchange-mode", r"main|aggressive|auto", False),
    (rf"network ike gateway {_N} protocol ikev[12] dpd enable", _YN, False),
    (rf"network ike gateway {_N} protocol ikev[12] dpd interval", _NUM, False),
    (rf"network ike gateway {_N} protocol ikev1 dpd retry", _NUM, False),
    (rf"network ike gateway {_N} protocol version", r"ikev1|ikev2|ikev2-preferred", False),
    (rf"network ike gateway {_N} protocol-common nat-traversal enable", _YN, False),
    (rf"network ike gateway {_N} protocol-common fragmentation enable", _YN, False),
    (rf"network ike gateway {_N} local-address interface", _IF, False),
    (rf"network ike gateway {_N} local-address ip", rf"{_PFX}|{_IP}|{_N}", False),
    (rf"network ike gateway {_N} peer-address ip", _IP, False),
    (rf"network ike gateway {_N} local-id type", r"ipaddr|fqdn|ufqdn|keyid", False),
    (rf"network ike gateway {_N} local-id id", r"\S+", False),
    (rf"network tunnel ipsec {_N} auto-key ike-gateway", _N, False),
    (rf"network tunnel ipsec {_N} auto-key ipsec-crypto-profile", _N, False),
    (rf"network tunnel ipsec {_N} tunnel-interface", r"tunnel\.\d+", False),
    (rf"network tunnel ipsec {_N} anti-replay", _YN, False),
    (rf"zone {_N} network layer3", _IF, True),
    (rf"{_ROUTER} interface", _IF, True),
    (rf"{_ROUTER} routing-table ip static-route {_N} destination", _PFX, False),
    (rf"{_ROUTER} routing-table ip static-route {_N} interface", _IF, False),
    (rf"{_ROUTER} routing-table ip static-route {_N} nexthop ip-address", _IP, False),
    (rf"{_ROUTER} routing-table ip static-route {_N} metric", _NUM, False),
    (rf"{_BGP} enable", _YN, False),
    (rf"{_BGP} router-id", _IP, False),
    (rf"{_BGP} local-as", _NUM, False),
    (rf"{_BGP} network ipv4 network", _PFX, True),
    (rf"{_BGP} peer-group {_N} type", r"ebgp|ibgp", False),
    (rf"{_BGP} peer-group {_N} enable", _YN, False),
    (rf"{_BGP} peer-group {_N} connection-options timers", _N, False),
    (rf"{_BGP} peer-group {_N} peer {_N} enable", _YN, False),
    (rf"{_BGP} peer-group {_N} peer {_N} peer-as", _NUM, False),
    (rf"{_BGP} peer-group {_N} peer {_N} local-address interface", _IF, False),
    (rf"{_BGP} peer-group {_N} peer {_N} local-address ip", _PFX, False),
    (rf"{_BGP} peer-group {_N} peer {_N} peer-address ip", _IP, False),
    (
        rf"{_BGP} peer-group {_N} peer {_N} connection-options (?:keep-alive-interval|hold-time)",
        _NUM,
        False,
    ),
    (rf"{_BGP} policy export rules {_N} enable", _YN, False),
    (rf"{_BGP} policy export rules {_N} used-by", _N, True),
    (rf"{_BGP} policy export rules {_N} match address-prefix {_PFX} exact", _YN, False),
    (rf"{_BGP} policy export rules {_N} action", r"allow|deny", False),
    (
        rf"network routing-profile bgp timer-profile {_N} (?:keep-alive-interval|hold-time)",
        _NUM,
        False,
    ),
    (
        rf"rulebase security rules {_N} (?:from|to|source|destination|application|service)",
        r"\S+",
        True,
    ),
    (rf"rulebase security rules {_N} action", r"allow|deny|drop", False),
    (rf"rulebase security rules {_N} description", r"\S+", False),
)
_COMPILED = tuple((re.compile(p), re.compile(v), is_list) for p, v, is_list in SCHEMA)
KEY_LEAF = re.compile(r"network ike gateway \S+ authentication pre-shared-key key$")

# The lab firewall's "master key": keys are stored encrypted with it, as PAN-OS stores them
# (`-AQ==` + a hash + the ciphertext). Only the lab's oracle knows how to read them back.
_MASTER = b"cgw-lab-panos-master-key"
ENCRYPTED_PREFIX = "-AQ=="


def _keystream(length: int) -> bytes:
    stream = b""
    block = 0
    while len(stream) < length:
        stream += hashlib.sha256(_MASTER + block.to_bytes(4, "big")).digest()
        block += 1
    return stream[:length]


def encrypt_key(clear: str) -> str:
    """A key as the firewall shows it once stored."""
    data = clear.encode()
    digest = base64.b64encode(hashlib.sha1(data).digest()).decode()  # 28 characters
    cipher = bytes(a ^ b for a, b in zip(data, _keystream(len(data)), strict=True))
    return ENCRYPTED_PREFIX + digest + base64.b64encode(cipher).decode()


def decrypt_key(stored: str) -> str:
    """The clear key of an `encrypt_key` value (the lab's oracle reads keys with it)."""
    if not stored.startswith(ENCRYPTED_PREFIX):
        return stored
    cipher = base64.b64decode(stored[len(ENCRYPTED_PREFIX) + 28 :])
    return bytes(a ^ b for a, b in zip(cipher, _keystream(len(cipher)), strict=True)).decode()


def words(line: str) -> list[str]:
    """A command's words; a double-quoted value stays one word (without its quotes)."""
    return [
        m.group(1) if m.group(1) is not None else m.group(2)
        for m in re.finditer(r'"([^"]*)"|(\S+)', line)
    ]


def leaf_kind(path: str) -> tuple[re.Pattern[str], bool] | None:
    """The value pattern of a schema leaf, and whether it holds a list; None if unknown."""
    for pattern, value, is_list in _COMPILED:
        if pattern.fullmatch(path):
            return value, is_list
    return None


@dataclass
class PanosConfig:
    """Leaf path → its values (one, or a list's members), in the order first set."""

    leaves: dict[str, list[str]] = field(default_factory=dict)

    def copy(self) -> PanosConfig:
        return PanosConfig({k: list(v) for k, v in self.leaves.items()})

    def set(self, tokens: list[str]) -> bool:
        """`set` a statement (without `set`); False when the schema refuses it."""
        if "[" in tokens and tokens[-1] == "]":
            start = tokens.index("[")
            path, values = " ".join(tokens[:start]), tokens[start + 1 : -1]
        elif len(tokens) >= 2:
            path, values = " ".join(tokens[:-1]), tokens[-1:]
        else:
            return False
        kind = leaf_kind(path)
        if kind is None or not values or not all(kind[0].fullmatch(v) for v in values):
            return False
        is_list = kind[1]
        if KEY_LEAF.match(path):
            values = [v if v.startswith(ENCRYPTED_PREFIX) else encrypt_key(v) for v in values]
        if is_list:
            members = self.leaves.setdefault(path, [])
            members.extend(v for v in values if v not in members)
        else:
            if len(values) != 1:
                return False
            self.leaves[path] = values
        return True

    def delete(self, tokens: list[str]) -> None:
        """`delete` a leaf, one member of a list, or everything under a path."""
        path = " ".join(tokens)
        parent, _, member = path.rpartition(" ")
        if parent in self.leaves and member in self.leaves[parent]:
            self.leaves[parent].remove(member)
            if not self.leaves[parent]:
                del self.leaves[parent]
            return
        for leaf in [k for k in self.leaves if k == path or k.startswith(f"{path} ")]:
            del self.leaves[leaf]

    def set_lines(self) -> list[str]:
        """`show config running` in set format."""
        lines = []
        for path, values in self.leaves.items():
            value = values[0] if len(values) == 1 else f"[ {' '.join(values)} ]"
            lines.append(f"set {path} {value}")
        return lines

    def value(self, path: str) -> str | None:
        values = self.leaves.get(path)
        return values[0] if values else None

    def values(self, path: str) -> list[str]:
        return list(self.leaves.get(path, ()))

    def entries(self, root: str) -> list[str]:
        """Names of the entries under `root` (`network ike gateway` → gateway names)."""
        names = [
            k[len(root) + 1 :].split(" ", 1)[0] for k in self.leaves if k.startswith(f"{root} ")
        ]
        return list(dict.fromkeys(names))

    def has(self, root: str) -> bool:
        return any(k == root or k.startswith(f"{root} ") for k in self.leaves)


def validate(config: PanosConfig) -> list[str]:
    """Commit-time reference errors, in PAN-OS's `a -> b -> c` path notation."""
    errors = []
    cp = "network ike crypto-profiles"

    def arrow(path: str) -> str:
        return " -> ".join(path.split())

    for gateway in config.entries("network ike gateway"):
        for version in ("ikev1", "ikev2"):
            leaf = f"network ike gateway {gateway} protocol {version} ike-crypto-profile"
            profile = config.value(leaf)
            if (
                profile
                and profile != "default"
                and not config.has(f"{cp} ike-crypto-profiles {profile}")
            ):
                errors.append(f"{arrow(leaf)} '{profile}' is not a valid reference")
        if config.value(f"network ike gateway {gateway} peer-address ip") is None:
            errors.append(f"{arrow(f'network ike gateway {gateway}')} peer-address is missing")
    for tunnel in config.entries("network tunnel ipsec"):
        base = f"network tunnel ipsec {tunnel}"
        used = config.value(f"{base} auto-key ike-gateway")
        if used and not config.has(f"network ike gateway {used}"):
            errors.append(
                f"{arrow(base)} -> auto-key -> ike-gateway '{used}' is not a valid reference"
            )
        profile = config.value(f"{base} auto-key ipsec-crypto-profile")
        if (
            profile
            and profile != "default"
            and not config.has(f"{cp} ipsec-crypto-profiles {profile}")
        ):
            reference = f"{arrow(base)} -> auto-key -> ipsec-crypto-profile '{profile}'"
            errors.append(f"{reference} is not a valid reference")
        unit = config.value(f"{base} tunnel-interface")
        if unit and not config.has(f"network interface tunnel units {unit}"):
            errors.append(f"{arrow(base)} -> tunnel-interface '{unit}' is not a valid reference")
    for leaf, members in config.leaves.items():
        if leaf.startswith("zone ") or re.fullmatch(rf"{_ROUTER} interface", leaf):
            for member in members:
                if member.startswith("tunnel.") and not config.has(
                    f"network interface tunnel units {member}"
                ):
                    errors.append(f"{arrow(leaf)} '{member}' is not a valid reference")
    zones = set(config.entries("zone")) | {"any"}
    for rule in config.entries("rulebase security rules"):
        for side in ("from", "to"):
            for zone in config.values(f"rulebase security rules {rule} {side}"):
                if zone not in zones:
                    reference = f"rulebase -> security -> rules -> {rule} -> {side} '{zone}'"
                    errors.append(f"{reference} is not a valid reference")
    return errors
