"""IOS-XE configuration as a tree, built by a grammar table: what each mode accepts, where it goes.

Statements are listed per mode in the order IOS prints them (its nvgen order); a statement's
`slot` says how many leading words name a setting, so re-entering it replaces the old value.
"""

from __future__ import annotations

import copy
import re
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field

IP = r"\d{1,3}(?:\.\d{1,3}){3}"
W = r"\S+"
N = r"\d+"


@dataclass(frozen=True)
class Statement:
    """One command form a mode accepts."""

    pattern: str
    enters: str | None = None  # sub-mode this command opens
    slot: int | None = None  # leading words that name the setting (None: the whole line)
    canon: Callable[[str], str] | None = None
    relocate: str | None = None  # "af": lives in address-family ipv4; "up": in the parent
    group: str | None = None  # statements sharing a group sort together by their 2nd word

    def matches(self, line: str) -> bool:
        return re.fullmatch(self.pattern, line) is not None


def _interface_name(line: str) -> str:
    m = re.fullmatch(r"interface\s+([A-Za-z-]+)\s*([\d/.:]+)", line)
    if not m:
        return line
    kind = m.group(1).lower()
    full = next((k for k in INTERFACE_TYPES if k.lower().startswith(kind)), m.group(1))
    return f"interface {full}{m.group(2)}"


def _isakmp_encr(line: str) -> str:
    words = line.split()
    words[0] = "encr"
    if words[1:] == ["aes", "128"]:
        words = ["encr", "aes"]
    return " ".join(words)


def _af(line: str) -> str:
    return "address-family ipv4"


def _virtual_reassembly(line: str) -> str:
    return "ip virtual-reassembly in"


INTERFACE_TYPES = ("GigabitEthernet", "Loopback", "Tunnel", "TenGigabitEthernet", "Vlan")

S = Statement
GRAMMAR: dict[str, list[Statement]] = {
    "config": [
        S(r"hostname \S+", slot=1),
        S(r"archive", enters="config-archive"),
        S(rf"crypto ikev2 proposal {W}", enters="config-ikev2-proposal"),
        S(rf"crypto ikev2 policy {W}", enters="config-ikev2-policy"),
        S(rf"crypto ikev2 keyring {W}", enters="config-ikev2-keyring"),
        S(rf"crypto ikev2 profile {W}", enters="config-ikev2-profile"),
        S(rf"crypto ikev2 dpd {N} {N} (on-demand|periodic)", slot=3),
        S(rf"crypto ikev2 nat keepalive {N}", slot=4),
        S(rf"crypto keyring {W}", enters="conf-keyring"),
        S(rf"crypto isakmp policy {N}", enters="config-isakmp"),
        S(rf"crypto isakmp keepalive {N}( {N})?( (on-demand|periodic))?", slot=3),
        S(rf"crypto isakmp nat keepalive {N}", slot=4),
        S(rf"crypto isakmp profile {W}", enters="conf-isa-prof"),
        S(rf"crypto ipsec security-association replay window-size {N}", slot=5),
        S(r"crypto ipsec security-association replay disable", slot=5),
        S(rf"crypto ipsec security-association lifetime (seconds|kilobytes) {N}", slot=5),
        S(rf"crypto ipsec transform-set {W}( {W}){{1,3}}", enters="cfg-crypto-trans", slot=4),
        S(r"crypto ipsec df-bit (clear|set|copy)", slot=3),
        S(r"crypto ipsec fragmentation (before|after)-encryption", slot=3),
        S(rf"crypto ipsec profile {W}", enters="ipsec-profile"),
        S(r"interface [A-Za-z-]+ ?[\d/.:]+", enters="config-if", canon=_interface_name),
        S(rf"router bgp {N}", enters="config-router"),
        S(rf"ip route {IP} {IP}( {W}){{1,4}}", slot=5),
        S(rf"ip prefix-list {W}( seq {N})? (permit|deny) {IP}/{N}( (ge|le) {N})*"),
        S(rf"route-map {W} (permit|deny) {N}", enters="config-route-map"),
    ],
    "config-if": [
        S(r"description .+", slot=1),
        S(rf"bandwidth {N}", slot=1),
        S(rf"ip address {IP} {IP}", slot=2),
        S(rf"ip unnumbered {W}", slot=2),
        S(rf"ip mtu {N}", slot=2),
        S(r"ip nat (inside|outside)", slot=2),
        S(r"ip virtual-reassembly( in)?", canon=_virtual_reassembly),
        S(rf"ip tcp adjust-mss {N}", slot=3),
        S(r"shutdown"),
        S(r"negotiation auto"),
        S(rf"tunnel source {W}", slot=2),
        S(r"tunnel mode ipsec ipv4", slot=2),
        S(rf"tunnel destination {IP}", slot=2),
        S(rf"tunnel vrf {W}", slot=2),
        S(rf"tunnel protection ipsec profile {W}( shared)?", slot=3),
    ],
    "config-ikev2-proposal": [
        S(rf"encryption( {W}){{1,6}}", slot=1),
        S(rf"integrity( {W}){{1,6}}", slot=1),
        S(rf"prf( {W}){{1,6}}", slot=1),
        S(rf"group( {N}){{1,8}}", slot=1),
    ],
    "config-ikev2-policy": [
        S(rf"match fvrf {W}", slot=2),
        S(rf"match address local {IP}"),
        S(rf"proposal {W}"),
    ],
    "config-ikev2-keyring": [S(rf"peer {W}", enters="config-ikev2-keyring-peer")],
    "config-ikev2-keyring-peer": [
        S(r"description .+", slot=1),
        S(rf"address {IP}( {IP})?", slot=1),
        S(rf"identity address {IP}", slot=1),
        S(rf"pre-shared-key (local|remote) {W}", slot=2),
        S(rf"pre-shared-key( 0| 6| 7)? {W}", slot=1),
    ],
    "config-ikev2-profile": [
        S(r"description .+", slot=1),
        S(rf"match fvrf {W}", slot=2),
        S(rf"match address local {IP}", slot=3),
        S(rf"match address local interface {W}", slot=3),
        S(rf"match identity remote address {IP}( {IP})?"),
        S(rf"identity local address {IP}", slot=2),
        S(r"authentication (remote|local) pre-share", slot=2),
        S(rf"keyring local {W}", slot=1),
        S(rf"lifetime {N}", slot=1),
        S(rf"dpd {N} {N} (on-demand|periodic)", slot=1),
        S(rf"nat keepalive {N}", slot=2),
    ],
    "config-isakmp": [
        S(r"encr(yption)? (aes( 128| 192| 256)?|3des|des)", slot=1, canon=_isakmp_encr),
        S(r"hash (sha|sha256|sha384|sha512|md5)", slot=1),
        S(r"authentication (pre-share|rsa-sig)", slot=1),
        S(rf"group {N}", slot=1),
        S(rf"lifetime {N}", slot=1),
    ],
    "conf-isa-prof": [
        S(r"description .+", slot=1),
        S(rf"keyring {W}", slot=1),
        S(rf"match identity address {IP}( {IP})?( {W})?"),
        S(rf"keepalive {N} retry {N}", slot=1),
        S(rf"local-address {W}", slot=1),
    ],
    "conf-keyring": [
        S(r"description .+", slot=1),
        S(rf"local-address {W}", slot=1),
        S(rf"pre-shared-key address {IP}( {IP})? key {W}", slot=3),
    ],
    "cfg-crypto-trans": [S(r"mode (tunnel|transport)", slot=1)],
    "ipsec-profile": [
        S(r"description .+", slot=1),
        S(rf"set security-association lifetime (seconds|kilobytes) {N}", slot=4),
        S(rf"set security-association replay window-size {N}", slot=4),
        S(rf"set transform-set( {W}){{1,6}}", slot=2),
        S(r"set pfs( group\d+)?", slot=2),
        S(rf"set ikev2-profile {W}", slot=2),
        S(rf"set isakmp-profile {W}", slot=2),
    ],
    "config-router": [
        S(r"bgp log-neighbor-changes"),
        S(rf"bgp router-id {IP}", slot=2),
        S(r"no bgp default ipv4-unicast", slot=4),
        S(rf"timers bgp {N} {N}( {N})?", slot=2),
        S(rf"neighbor {IP} remote-as {N}", slot=3, group="neighbor"),
        S(rf"neighbor {IP} description .+", slot=3, group="neighbor"),
        S(rf"neighbor {IP} password .+", slot=3, group="neighbor"),
        S(rf"neighbor {IP} ebgp-multihop( {N})?", slot=3, group="neighbor"),
        S(rf"neighbor {IP} update-source {W}", slot=3, group="neighbor"),
        S(rf"neighbor {IP} timers {N} {N}( {N})?", slot=3, group="neighbor"),
        S(rf"neighbor {IP} shutdown", group="neighbor"),
        S(r"address-family ipv4( unicast)?", enters="config-router-af", canon=_af),
    ],
    "config-router-af": [
        S(rf"network {IP}( mask {IP})?( route-map {W})?"),
        S(rf"redistribute (connected|static)( route-map {W})?"),
        S(rf"maximum-paths {N}", slot=1),
        S(rf"neighbor {IP} remote-as {N}", slot=3, relocate="up", group="neighbor"),
        S(rf"neighbor {IP} timers {N} {N}( {N})?", slot=3, relocate="up", group="neighbor"),
        S(rf"neighbor {IP} activate", group="neighbor"),
        S(rf"neighbor {IP} default-originate( route-map {W})?", slot=3, group="neighbor"),
        S(rf"neighbor {IP} soft-reconfiguration inbound", group="neighbor"),
        S(rf"neighbor {IP} next-hop-self", group="neighbor"),
        S(rf"neighbor {IP} prefix-list {W} (in|out)", group="neighbor"),
        S(rf"neighbor {IP} route-map {W} (in|out)", group="neighbor"),
        S(rf"neighbor {IP} maximum-prefix {N}( {N})?", slot=3, group="neighbor"),
    ],
    "config-archive": [
        S(rf"path {W}", slot=1),
        S(rf"maximum {N}", slot=1),
        S(r"write-memory"),
        S(rf"time-period {N}", slot=1),
    ],
    "config-route-map": [S(r"match .+"), S(r"set .+")],
}

# router-level forms of address-family commands: IOS stores them under `address-family ipv4`
ROUTER_TO_AF = [s for s in GRAMMAR["config-router-af"] if s.relocate is None]
PARENT_MODE = {
    "config-ikev2-keyring-peer": "config-ikev2-keyring",
    "config-router-af": "config-router",
}


def keywords(mode: str) -> set[str]:
    """Literal words of a mode's statements (to place the `^` of an invalid-input error)."""
    words: set[str] = set()
    statements = GRAMMAR.get(mode, []) + (ROUTER_TO_AF if mode == "config-router" else [])
    for statement in statements:
        for token in statement.pattern.split():
            if re.fullmatch(r"[a-z][a-z0-9-]*", token):
                words.add(token)
    return words


def _natural(text: str) -> tuple[object, ...]:
    parts = re.split(r"(\d+)", text)
    return tuple(int(p) if p.isdigit() else p for p in parts)


@dataclass(repr=False)
class Node:
    """One configuration line and the lines nested under it."""

    line: str
    mode: str | None = None  # the sub-mode this line opens
    children: list[Node] = field(default_factory=list)
    rank: tuple[object, ...] = ()
    seq: int = 0
    verbatim: str | None = None  # a loaded line outside the grammar, printed as it came

    def find(self, line: str) -> Node | None:
        return next((c for c in self.children if c.line == line), None)

    def sorted_children(self) -> list[Node]:
        return sorted(self.children, key=lambda c: (c.rank, c.seq))

    def walk(self) -> Iterator[Node]:
        for child in self.sorted_children():
            yield child
            yield from child.walk()


class ConfigError(Exception):
    """A command the current mode does not accept (`position`: word index of the error)."""

    def __init__(self, position: int, incomplete: bool = False) -> None:
        super().__init__(position)
        self.position = position
        self.incomplete = incomplete


@dataclass
class Applied:
    """Where a command landed: the node it entered (if any) and the mode stack after it."""

    stack: list[Node]


class IosConfig:
    """The running configuration tree and the rules to change it."""

    def __init__(self) -> None:
        self.root = Node("", mode="config")
        self._seq = 0

    def copy(self) -> IosConfig:
        return copy.deepcopy(self)

    def mode_of(self, stack: list[Node]) -> str:
        return stack[-1].mode or "config"

    def apply(self, stack: list[Node], command: str) -> list[Node]:
        """Apply one config-mode command at the mode `stack`; returns the new stack."""
        line = " ".join(command.split())
        if line.startswith("no "):
            for depth in range(len(stack) - 1, 0, -1):
                if self._negatable(stack[depth], line[3:]):
                    return self._negate(stack[: depth + 1], line[3:])
            return self._negate(stack[:1], line[3:])
        for depth in range(len(stack) - 1, -1, -1):
            mode = self.mode_of(stack[: depth + 1])
            hit = self._statement(mode, line)
            if hit is not None:
                return self._place(stack[: depth + 1], hit, line)
        raise ConfigError(
            self._error_position(self.mode_of(stack), line), self._incomplete(stack, line)
        )

    def _statement(self, mode: str, line: str) -> Statement | None:
        statements = GRAMMAR.get(mode, [])
        if mode == "config-router":
            statements = statements + [
                Statement(s.pattern, slot=s.slot, relocate="af", group=s.group)
                for s in ROUTER_TO_AF
            ]
        return next((s for s in statements if s.matches(line)), None)

    def _place(self, stack: list[Node], statement: Statement, line: str) -> list[Node]:
        if statement.canon is not None:
            line = statement.canon(line)
        parent = stack[-1]
        mode = self.mode_of(stack)
        if (mode, line) in HIDDEN_DEFAULTS:
            # The default value: it replaces a set value and then is not printed.
            words = line.split()[: statement.slot or len(line.split())]
            parent.children = [c for c in parent.children if c.line.split()[: len(words)] != words]
            return stack
        if statement.relocate == "af":
            parent = self._ensure_child(parent, "address-family ipv4", "config-router-af")
            mode = "config-router-af"
        elif statement.relocate == "up":
            parent = stack[-2]
            mode = self.mode_of(stack[:-1])
        if mode == "config" and statement.pattern.startswith("router bgp"):
            existing = next((c for c in parent.children if c.line.startswith("router bgp ")), None)
            if existing is not None and existing.line != line:
                raise BgpAlreadyRunning(existing.line.split()[2])
        node = self._set(parent, mode, statement, line)
        if statement.enters is not None:
            if statement.pattern.startswith("router bgp") and not node.children:
                self._set(
                    node, "config-router", GRAMMAR["config-router"][0], "bgp log-neighbor-changes"
                )
            return [*stack, node]
        return stack

    def _ensure_child(self, parent: Node, line: str, mode: str) -> Node:
        found = parent.find(line)
        if found is not None:
            return found
        statement = next(s for s in GRAMMAR[self._mode_of_node(parent)] if s.matches(line))
        return self._set(parent, self._mode_of_node(parent), statement, line)

    def _mode_of_node(self, node: Node) -> str:
        return node.mode or "config"

    def _set(self, parent: Node, mode: str, statement: Statement, line: str) -> Node:
        words = line.split()
        if statement.slot is not None:
            key = words[: statement.slot]
            for child in parent.children:
                if child.line.split()[: statement.slot] == key and self._same_statement(
                    mode, child.line, statement
                ):
                    child.line = line
                    return child
        found = parent.find(line)
        if found is not None:
            return found
        self._seq += 1
        node = Node(
            line, mode=statement.enters, rank=self._rank(mode, statement, line), seq=self._seq
        )
        parent.children.append(node)
        return node

    def _same_statement(self, mode: str, line: str, statement: Statement) -> bool:
        return statement.matches(line) or self._statement(mode, line) is statement

    def _rank(self, mode: str, statement: Statement, line: str) -> tuple[object, ...]:
        statements = GRAMMAR[mode]
        index = next((i for i, s in enumerate(statements) if s.pattern == statement.pattern), 0)
        if statement.group is not None:
            first = next(i for i, s in enumerate(statements) if s.group == statement.group)
            address = tuple(int(p) for p in line.split()[1].split("."))
            return (first, address, index)
        if statement.enters == "config-if":
            return (index, _natural(line))
        return (index,)

    def _negatable(self, node: Node, line: str) -> bool:
        """Whether `no <line>` belongs to `node`'s mode (else IOS tries the parent modes)."""
        mode = self._mode_of_node(node)
        if mode == "config-if" and line == "shutdown":
            return True
        configured = any(c.line == line or c.line.startswith(line + " ") for c in node.children)
        return configured or self._statement(mode, line) is not None

    def _negate(self, stack: list[Node], line: str) -> list[Node]:
        parent = stack[-1]
        mode = self.mode_of(stack)
        if line == "shutdown" and mode == "config-if":
            parent.children = [c for c in parent.children if c.line != "shutdown"]
            return stack
        if mode == "config-router" and line == "bgp default ipv4-unicast":
            self._seq += 1
            return self.apply(stack, "no bgp default ipv4-unicast")
        statement = self._statement(mode, line)
        if statement is not None and statement.canon is not None:
            line = statement.canon(line)
        targets = [parent]
        if mode == "config-router":
            af = parent.find("address-family ipv4")
            if af is not None:
                targets.append(af)
        removed = False
        for target in targets:
            before = len(target.children)
            target.children = [
                c for c in target.children if not (c.line == line or c.line.startswith(line + " "))
            ]
            removed = removed or len(target.children) != before
        if removed or statement is not None:
            return stack
        first = line.split()[0] if line.split() else ""
        if first in keywords(mode):
            return stack
        raise ConfigError(self._error_position(mode, line) + 1)

    def _error_position(self, mode: str, line: str) -> int:
        known = keywords(mode)
        words = line.split()
        for i, word in enumerate(words):
            if not re.fullmatch(rf"{IP}|\d+|[A-Z]\S*|\S*[\d:/]\S*", word) and word not in known:
                return i
        return max(len(words) - 1, 0)

    def _incomplete(self, stack: list[Node], line: str) -> bool:
        words = line.split()
        mode = self.mode_of(stack)
        statements = GRAMMAR.get(mode, []) + (ROUTER_TO_AF if mode == "config-router" else [])
        prefix = " ".join(words)
        return bool(words) and any(
            s.pattern.startswith(prefix + " ") or re.match(re.escape(prefix) + " ", s.pattern)
            for s in statements
        )

    def render(self) -> list[str]:
        """The configuration lines in IOS form, `!` between top-level sections."""
        out: list[str] = []
        for node in self.root.sorted_children():
            if node.verbatim is not None:
                out.extend(_verbatim_lines(node))
                continue
            out.extend(self._render_node(node, 0))
            if node.mode is not None:
                out.append("!")
        return out

    def _render_node(self, node: Node, depth: int) -> list[str]:
        pad = " " * depth
        lines = [pad + node.line]
        children = node.sorted_children()
        if node.mode == "config-if" and not any(
            c.line.startswith(("ip address", "ip unnumbered")) for c in children
        ):
            lines.append(pad + " no ip address")
        for child in children:
            if child.verbatim is not None:
                lines.extend(_verbatim_lines(child))
                continue
            if child.mode is None:
                lines.append(pad + " " + child.line)
                continue
            if child.mode == "config-router-af":
                lines.append(pad + " !")
            lines.extend(self._render_node(child, depth + 1))
            if child.mode == "config-router-af":
                lines.append(pad + " exit-address-family")
            else:
                lines.append(pad + " !")
        return lines

    def load(self, text: str, *, keep_unknown: bool = False) -> list[str]:
        """Build the tree from `show running-config` text; returns the lines it could not apply.

        With `keep_unknown`, a line outside the grammar (and everything indented under it) is
        kept verbatim where it stood: a real router's own configuration, which the simulator
        does not model, survives load, configure replace and show running-config unchanged.
        """
        rejected: list[str] = []
        stack: list[Node] = [self.root]
        for raw in text.splitlines():
            if not raw.strip() or raw.strip().startswith("!") or raw.strip() in IGNORED_LINES:
                continue
            if any(raw.startswith(p) for p in IGNORED_PREFIXES):
                continue
            depth = len(raw) - len(raw.lstrip(" \t"))
            stack = stack[: depth + 1] if depth + 1 <= len(stack) else stack
            if keep_unknown and stack[-1].verbatim is not None:
                stack = [*stack, self._keep(stack[-1], raw)]
                continue
            try:
                stack = self.apply(stack, raw.strip())
            except (ConfigError, BgpAlreadyRunning):
                if not keep_unknown:
                    rejected.append(raw)
                    continue
                stack = [*stack[: depth + 1], self._keep(stack[min(depth, len(stack) - 1)], raw)]
        return rejected

    def _keep(self, parent: Node, raw: str) -> Node:
        """A verbatim node under `parent`, sorted right after its current last child."""
        self._seq += 1
        rank = parent.children[-1].rank if parent.children else ()
        node = Node(raw.strip(), mode="verbatim", rank=rank, seq=self._seq, verbatim=raw.rstrip())
        parent.children.append(node)
        return node


def _verbatim_lines(node: Node) -> list[str]:
    assert node.verbatim is not None
    return [node.verbatim, *(line for c in node.children for line in _verbatim_lines(c))]


class BgpAlreadyRunning(Exception):
    """IOS runs one BGP process: `router bgp` with another ASN is refused."""

    def __init__(self, asn: str) -> None:
        super().__init__(asn)
        self.asn = asn


# (mode, line) pairs `show running-config` never prints: the defaults (see ios_profiles).
HIDDEN_DEFAULTS = {
    ("config-isakmp", "hash sha"),
    ("config-isakmp", "lifetime 86400"),
    ("ipsec-profile", "set security-association lifetime seconds 3600"),
}

IGNORED_LINES = {
    "end",
    "exit-address-family",
    "boot-start-marker",
    "boot-end-marker",
    "no ip address",
    "Building configuration...",
}
IGNORED_PREFIXES = ("Current configuration", "version ", "service timestamps", "! Last")
