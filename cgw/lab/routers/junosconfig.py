"""Junos configuration as a token tree: `set`/`delete` paths, set and curly-brace views, compare.

Statement syntax is checked against a schema of path patterns (the vocabulary cgw uses: security
ike/ipsec/zones/flow/policies, interfaces st0, protocols bgp, policy-options, routing-options).
"""

from __future__ import annotations

import copy
import re
from dataclasses import dataclass, field

V = r"\S+"
SCHEMA = [
    rf"system host-name {V}",
    r"system services (ssh|netconf ssh)",
    rf"security ike proposal {V} (authentication-method (pre-shared-keys|rsa-signatures)"
    r"|dh-group group\d+|authentication-algorithm (sha1|sha-256|sha-384|sha-512|md5)"
    r"|encryption-algorithm (aes-(128|192|256)-(cbc|gcm)|3des-cbc)|lifetime-seconds \d+"
    rf"|description {V})",
    rf"security ike policy {V} (mode (main|aggressive)|proposals {V}|proposal-set {V}"
    rf"|pre-shared-key (ascii-text|hexadecimal) {V}|description {V})",
    rf"security ike gateway {V} (ike-policy {V}|address {V}|external-interface {V}"
    r"|local-address \S+|version (v1-only|v2-only)|dead-peer-detection"
    r"( (interval \d+|threshold \d+|optimized|always-send|probe-idle-tunnel))?"
    r"|no-nat-traversal|nat-keepalive \d+|local-identity inet \S+|remote-identity inet \S+"
    r"|general-ikeid)",
    r"security ike (traceoptions .+|respond-bad-spi( \d+)?)",
    rf"security ipsec proposal {V} (protocol (esp|ah)|authentication-algorithm "
    r"(hmac-sha1-96|hmac-sha-256-128|hmac-sha-256-96|hmac-sha-384-192|hmac-sha-512-256)"
    r"|encryption-algorithm (aes-(128|192|256)-(cbc|gcm)|3des-cbc)|lifetime-seconds \d+"
    rf"|lifetime-kilobytes \d+|description {V})",
    rf"security ipsec policy {V} (perfect-forward-secrecy keys group\d+|proposals {V}"
    rf"|proposal-set {V})",
    rf"security ipsec vpn {V} (bind-interface st0\.\d+|ike (gateway {V}|ipsec-policy {V}"
    r"|idle-time \d+|no-anti-replay)|establish-tunnels (immediately|on-traffic)"
    rf"|df-bit (clear|set|copy)|vpn-monitor( (source-interface {V}|destination-ip {V}"
    r"|optimized))?)",
    r"security ipsec vpn-monitor-options .+",
    r"security flow tcp-mss (ipsec-vpn|all-tcp) mss \d+",
    r"security flow .+",
    rf"security zones security-zone {V} (interfaces {V}( host-inbound-traffic "
    rf"(system-services|protocols) {V})?|host-inbound-traffic (system-services|protocols) {V}"
    r"|address-book .+)",
    r"security (policies|nat) .+",
    r"interfaces (st0|lo0|ge-\d+/\d+/\d+|fxp0|irb|reth\d+) (unit \d+ (family inet"
    rf"( (address {V}|mtu \d+))?|description {V})|description {V}|mtu \d+)",
    rf"protocols bgp group {V} (type (external|internal)|peer-as \d+|local-as \d+"
    rf"|hold-time \d+|import {V}|export {V}|multipath|description {V}|local-address {V}"
    rf"|neighbor {V}( (peer-as \d+|local-as \d+|local-address {V}|hold-time \d+|import {V}"
    rf"|export {V}"
    r"|description \S+|bfd-liveness-detection .+))?)",
    r"protocols bgp (log-updown|hold-time \d+)",
    rf"policy-options policy-statement {V} (term {V} )?(from (protocol {V}|route-filter {V} "
    rf"(exact|orlonger|longer|upto {V})|prefix-list {V})|then (accept|reject|next-hop {V}"
    r"|local-preference \d+|metric \d+))",
    rf"policy-options prefix-list {V}( {V})?",
    rf"routing-options (static route {V} (next-hop {V}|discard|reject|metric \d+"
    rf"|preference \d+|qualified-next-hop {V}( (preference|metric) \d+)?)"
    r"|autonomous-system \d+|router-id \S+)",
]

# the order Junos prints top-level hierarchies in
TOP_LEVEL_ORDER = (
    "version",
    "system",
    "chassis",
    "services",
    "security",
    "interfaces",
    "snmp",
    "routing-options",
    "protocols",
    "policy-options",
    "firewall",
    "routing-instances",
)

# keywords whose one value replaces the previous one (a leaf, not a list)
SINGLE_VALUED = {
    "host-name",
    "authentication-method",
    "dh-group",
    "authentication-algorithm",
    "encryption-algorithm",
    "lifetime-seconds",
    "lifetime-kilobytes",
    "mode",
    "ike-policy",
    "external-interface",
    "local-address",
    "version",
    "interval",
    "threshold",
    "nat-keepalive",
    "protocol",
    "bind-interface",
    "establish-tunnels",
    "df-bit",
    "gateway",
    "ipsec-policy",
    "keys",
    "type",
    "peer-as",
    "local-as",
    "hold-time",
    "mss",
    "mtu",
    "description",
    "autonomous-system",
    "router-id",
    "ascii-text",
    "hexadecimal",
    "idle-time",
    "address",
    "preference",
    "metric",
}
# `address` is a list under interfaces (several addresses), single under ike gateway
LIST_CONTEXTS = {("inet", "address")}
# keywords printed on one line with the name that follows them: `proposal P {`
NAMED = {
    "proposal",
    "policy",
    "gateway",
    "vpn",
    "security-zone",
    "group",
    "neighbor",
    "route",
    "unit",
    "family",
    "policy-statement",
    "term",
    "prefix-list",
    "from-zone",
    "to-zone",
    "interfaces",
    "address",
}
# containers Junos prints on one line with their only statement: `pre-shared-key ascii-text "x";`
ONE_LINE = {"pre-shared-key", "perfect-forward-secrecy"}


def tokens(text: str) -> list[str]:
    """Words of a Junos command; a quoted string is one word (quotes kept)."""
    return re.findall(r'"[^"]*"|\S+', text)


def valid(path: list[str]) -> bool:
    """Whether `set <path>` is in the schema."""
    line = " ".join("QUOTED" if w.startswith('"') else w for w in path)
    return any(re.fullmatch(p, line) for p in SCHEMA)


def _schema_words() -> tuple[set[str], set[str]]:
    words: set[str] = set()
    takes_value: set[str] = set()
    for pattern in SCHEMA:
        for m in re.finditer(r"([a-z][a-z0-9-]+)(?= (\\S\+|\{V\}|\\d\+|group\\d\+))", pattern):
            takes_value.add(m.group(1))
        words.update(re.findall(r"[a-z][a-z0-9-]+", pattern))
    return words, takes_value


KEYWORDS, TAKES_VALUE = _schema_words()


def error_position(path: list[str]) -> int:
    """Index of the word a Junos caret would point at for an invalid `set` path."""
    for i, word in enumerate(path):
        previous = path[i - 1] if i else ""
        if (
            word not in KEYWORDS
            and previous not in TAKES_VALUE
            and not previous.startswith(("st0", "ge-", "lo0"))
        ):
            return i
    return max(len(path) - 1, 0)


@dataclass(repr=False)
class JNode:
    """One word of the configuration hierarchy and the words configured beneath it."""

    children: dict[str, JNode] = field(default_factory=dict)


class JunosConfig:
    """A configuration database (candidate, active, or a rollback)."""

    def __init__(self) -> None:
        self.root = JNode()

    def copy(self) -> JunosConfig:
        return copy.deepcopy(self)

    def __eq__(self, other: object) -> bool:
        return isinstance(other, JunosConfig) and self.set_lines() == other.set_lines()

    __hash__ = None  # type: ignore[assignment]

    def set(self, path: list[str]) -> None:
        if path and path[0] not in self.root.children:
            self.root.children[path[0]] = JNode()
            order = {word: i for i, word in enumerate(TOP_LEVEL_ORDER)}
            self.root.children = dict(
                sorted(self.root.children.items(), key=lambda kv: order.get(kv[0], len(order)))
            )
        node = self.root
        for i, word in enumerate(path):
            is_value = i == len(path) - 1 and i > 0
            keyword = path[i - 1] if i else ""
            context = (path[i - 2] if i > 1 else "", keyword)
            if is_value and keyword in SINGLE_VALUED and context not in LIST_CONTEXTS:
                node.children = {word: node.children.get(word, JNode())}
                return
            node = node.children.setdefault(word, JNode())

    def delete(self, path: list[str]) -> bool:
        """Remove the statement or subtree at `path`; False if it is not configured."""
        node = self.root
        trail: list[tuple[JNode, str]] = []
        for word in path:
            if word not in node.children:
                return False
            trail.append((node, word))
            node = node.children[word]
        parent, word = trail[-1]
        del parent.children[word]
        for parent, word in reversed(trail[:-1]):  # prune containers left empty
            if not parent.children[word].children:
                del parent.children[word]
        return True

    def subtree(self, path: list[str]) -> JNode | None:
        node = self.root
        for word in path:
            if word not in node.children:
                return None
            node = node.children[word]
        return node

    def set_lines(self, path: list[str] | None = None) -> list[str]:
        """`show configuration | display set`."""
        start = self.subtree(path or []) or JNode()
        lines: list[str] = []

        def walk(node: JNode, trail: list[str]) -> None:
            if not node.children and trail:
                lines.append("set " + " ".join(trail))
            for word, child in node.children.items():
                walk(child, [*trail, word])

        walk(start, list(path or []))
        return lines

    def curly(self, path: list[str] | None = None) -> list[str]:
        """`show configuration` in the hierarchical brace form."""
        start = self.subtree(path or []) or JNode()
        return render_children(start, 0)

    def values(self, path: list[str]) -> list[str]:
        node = self.subtree(path)
        return list(node.children) if node else []


def render_children(node: JNode, depth: int, parent_word: str = "") -> list[str]:
    lines: list[str] = []
    for word, child in node.children.items():
        lines.extend(render_node(word, child, depth, parent_word))
    return lines


def render_node(word: str, node: JNode, depth: int, parent_word: str = "") -> list[str]:
    pad = "    " * depth
    if not node.children:
        return [f"{pad}{word};"]
    if word in NAMED and word != "interfaces":
        lines: list[str] = []
        for name, child in node.children.items():
            if child.children:
                lines.append(f"{pad}{word} {name} {{")
                lines.extend(render_children(child, depth + 1, word))
                lines.append(f"{pad}}}")
            else:
                lines.append(f"{pad}{word} {name};")
        return lines
    only = next(iter(node.children.items())) if len(node.children) == 1 else None
    if word in ONE_LINE and only is not None:
        inner = render_node(only[0], only[1], 0)
        if len(inner) == 1:
            return [f"{pad}{word} {inner[0]}"]
    if only is not None and not only[1].children:
        suffix = "; ## SECRET-DATA" if word in ("ascii-text", "hexadecimal") else ";"
        return [f"{pad}{word} {only[0]}{suffix}"]
    return [f"{pad}{word} {{", *render_children(node, depth + 1, word), f"{pad}}}"]


def compare(old: JunosConfig, new: JunosConfig) -> list[str]:
    """`show | compare`: per changed level, `[edit path]` then -/+ lines in brace form."""
    out: list[str] = []

    def walk(a: JNode, b: JNode, trail: list[str]) -> None:
        removed = [w for w in a.children if w not in b.children]
        added = [w for w in b.children if w not in a.children]
        if removed or added:
            out.append("[edit" + "".join(" " + w for w in trail) + "]")
            for word in removed:
                out.extend("-   " + line for line in render_node(word, a.children[word], 0))
            for word in added:
                out.extend("+   " + line for line in render_node(word, b.children[word], 0))
        for word in a.children:
            if word in b.children:
                walk(a.children[word], b.children[word], [*trail, word])

    walk(old.root, new.root, [])
    return out


def check(config: JunosConfig) -> list[str]:
    """Commit-time validation of references; returns Junos-style error blocks (empty: ok)."""
    errors: list[str] = []
    ike = ["security", "ike"]
    ipsec = ["security", "ipsec"]
    for gateway in config.values([*ike, "gateway"]):
        base = [*ike, "gateway", gateway]
        for mandatory in ("ike-policy", "external-interface"):
            if not config.values([*base, mandatory]):
                errors += [
                    f"[edit {' '.join(base)}]",
                    f"  '{mandatory}'",
                    f"    Missing mandatory statement: '{mandatory}'",
                ]
        for policy in config.values([*base, "ike-policy"]):
            if policy not in config.values([*ike, "policy"]):
                errors += [
                    f"[edit {' '.join(base)}]",
                    f"  'ike-policy {policy}'",
                    "    Referenced IKE policy is not defined",
                ]
    for kind, root in (("IKE", ike), ("IPsec", ipsec)):
        for policy in config.values([*root, "policy"]):
            for proposal in config.values([*root, "policy", policy, "proposals"]):
                if proposal not in config.values([*root, "proposal"]):
                    errors += [
                        f"[edit {' '.join([*root, 'policy', policy])}]",
                        f"  'proposals {proposal}'",
                        f"    Referenced {kind} proposal is not defined",
                    ]
    if not config.values(["routing-options", "autonomous-system"]):
        # "you must configure an AS number before you specify the local-as number"
        for group in config.values(["protocols", "bgp", "group"]):
            base = ["protocols", "bgp", "group", group]
            for where in [base] + [
                [*base, "neighbor", n] for n in config.values([*base, "neighbor"])
            ]:
                for local_as in config.values([*where, "local-as"]):
                    errors += [
                        f"[edit {' '.join(where)}]",
                        f"  'local-as {local_as}'",
                        "    local-as requires the autonomous-system at [edit routing-options]",
                    ]
    for vpn in config.values([*ipsec, "vpn"]):
        base = [*ipsec, "vpn", vpn]
        for gateway in config.values([*base, "ike", "gateway"]):
            if gateway not in config.values([*ike, "gateway"]):
                errors += [
                    f"[edit {' '.join(base)} ike]",
                    f"  'gateway {gateway}'",
                    "    Referenced IKE gateway is not defined",
                ]
        for interface in config.values([*base, "bind-interface"]):
            unit = interface.split(".")[1]
            if unit not in config.values(["interfaces", "st0", "unit"]):
                errors += [
                    f"[edit {' '.join(base)}]",
                    f"  'bind-interface {interface}'",
                    f"    Interface {interface} is not configured",
                ]
    return errors
