"""cgw's IOS diff rules as data: what it owns, the order to change things, what changes in place.

hier_config's cisco_ios driver parses and computes the remediation; the tables here extend it:

- ownership: which top-level sections belong to one VPN (objects named after it, its tunnel
  interfaces, routes into them) and which lines cgw owns inside shared sections (`router bgp`);
- ordering: crypto objects are created before whatever references them, references change
  before the objects they used to name are removed;
- in place: single-value commands are re-entered with the new value, never negated first;
- negation trimming: a negation that removes a whole object drops the negations of its parts.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from dataclasses import dataclass
from ipaddress import IPv4Network

from hier_config import HConfig, HConfigChild, MatchRule
from hier_config.models import IdempotentCommandsRule, NegationSubRule, OrderingRule
from hier_config.platforms.cisco_ios.driver import HConfigDriverCiscoIOS
from hier_config.platforms.driver_base import HConfigDriverRules

# ----------------------------------------------------------------------------- ownership


@dataclass(frozen=True)
class OwnedSection:
    """A top-level line (and all it holds) cgw owns; `{prefix}`/`{tunnels}`/... are filled in.

    `proof`: a line the section must hold to be cgw's (an interface number alone proves
    nothing: Tunnel1 may be another VPN's).
    """

    pattern: str
    proof: str | None = None


@dataclass(frozen=True)
class SharedSection:
    """A section others use too: cgw owns only the lines matching `children` (at any depth)."""

    pattern: str
    children: tuple[str, ...]


# Objects are named `<prefix>` or `<prefix>-<suffix>` (aws-vpn-0abc-t1, aws-vpn-0abc-t1-2).
_NAME = r"{prefix}(?:-\S+)?"
# The name stem of any VPN's objects (`--prune`: an old VPN of this device is cgw's too).
ANY_VPN = r"aws-vpn-(?:[0-9a-f]{17}|[0-9a-f]{8})"
OWNED_SECTIONS: tuple[OwnedSection, ...] = (
    OwnedSection(rf"^crypto ikev2 proposal {_NAME}$"),
    OwnedSection(rf"^crypto ikev2 policy {_NAME}$"),
    OwnedSection(rf"^crypto ikev2 keyring {_NAME}$"),
    OwnedSection(rf"^crypto ikev2 profile {_NAME}$"),
    OwnedSection(rf"^crypto keyring {_NAME}$"),
    OwnedSection(r"^crypto isakmp policy (?:{isakmp_policies})$"),
    OwnedSection(rf"^crypto isakmp profile {_NAME}$"),
    OwnedSection(rf"^crypto ipsec transform-set {_NAME} "),
    OwnedSection(rf"^crypto ipsec profile {_NAME}$"),
    OwnedSection(r"^crypto ipsec df-bit clear$"),
    OwnedSection(r"^ip prefix-list {prefix}-networks "),
    OwnedSection(r"^interface Tunnel\d+$", proof=rf"^description {_NAME}$"),
    OwnedSection(rf"^ip route \S+ \S+ Tunnel\d+(?: \d+)? name {_NAME}$"),
)
SHARED_SECTIONS: tuple[SharedSection, ...] = (
    SharedSection(
        r"^router bgp \d+$",
        children=(r"^neighbor (?:{neighbours}) ", r"^network (?:{networks})$"),
    ),
)
# Sections that stay when cgw's lines leave them: never negated as a whole.
SHARED_PARENTS: tuple[tuple[MatchRule, ...], ...] = (
    (MatchRule(startswith="router bgp "),),
    (MatchRule(startswith="router bgp "), MatchRule(startswith="address-family ")),
)


@dataclass(frozen=True)
class Scope:
    """The values that name what cgw owns for one VPN on one device."""

    prefix: str
    tunnels: tuple[int, ...]
    isakmp_policies: tuple[int, ...]
    neighbours: tuple[str, ...]
    networks: tuple[str, ...]
    names: str = ""  # a regex for the name stem instead of `prefix` (ANY_VPN with --prune)

    def fill(self, pattern: str) -> re.Pattern[str]:
        """A scope pattern with this VPN's names, numbers and addresses filled in."""
        values = {
            "prefix": self.names or re.escape(self.prefix),
            "tunnels": _alternatives(str(n) for n in self.tunnels),
            "isakmp_policies": _alternatives(str(n) for n in self.isakmp_policies),
            "neighbours": _alternatives(self.neighbours),
            "networks": _alternatives(self.networks),
        }
        return re.compile(pattern.format(**values))


def _alternatives(values: Iterable[str]) -> str:
    escaped = [re.escape(v) for v in values]
    return "|".join(escaped) if escaped else r"(?!)"


# IOS-XE nvgen quirk (seen on Catalyst 9500 StackWise Virtual): after an interface holding
# `stackwise-virtual link N` the following interfaces are printed with one space of indentation,
# as if inside it. Such a line starts a top-level section of its own.
_MISINDENTED_SECTION = re.compile(r"^ (interface \S+)\s*$")


def top_level_blocks(text: str) -> list[list[str]]:
    """`show running-config` text cut into top-level sections (first line, then its body)."""
    blocks: list[list[str]] = []
    for raw in text.splitlines():
        line = raw.rstrip()
        if not line.strip():
            continue
        quirk = _MISINDENTED_SECTION.match(line)
        if quirk and blocks and blocks[-1][0].startswith("interface "):
            blocks.append([quirk.group(1)])
        elif line[0] not in " \t" or not blocks:
            blocks.append([line])
        else:
            blocks[-1].append(line)
    return blocks


def scoped_text(running: str, scope: Scope) -> str:
    """Only the top-level sections of `running` that cgw's scope can touch, as text.

    Everything else (certificate blobs, stacking, QoS, ...) is never parsed, so an odd line
    there cannot make the router unmanageable.
    """
    patterns = [scope.fill(s.pattern) for s in OWNED_SECTIONS] + [
        scope.fill(s.pattern) for s in SHARED_SECTIONS
    ]
    kept = [
        block
        for block in top_level_blocks(running)
        if any(p.search(block[0]) for p in patterns) or ISAKMP_PROFILE.search(block[0])
    ]
    return "".join(f"{line}\n" for block in kept for line in block)


ISAKMP_PROFILE = re.compile(r"^crypto isakmp (?:policy|profile) ")


def owned_config(running: HConfig, scope: Scope) -> HConfig:
    """A copy of `running` holding only the sections and lines `scope` owns, in running order."""
    owned = HConfig(running.driver)
    sections = [
        (scope.fill(s.pattern), scope.fill(s.proof) if s.proof else None) for s in OWNED_SECTIONS
    ]
    shared = [(scope.fill(s.pattern), [scope.fill(c) for c in s.children]) for s in SHARED_SECTIONS]
    for child in running.children:
        if any(p.search(child.text) and _proven(child, proof) for p, proof in sections):
            owned.add_deep_copy_of(child)
            continue
        for parent_pattern, child_patterns in shared:
            if parent_pattern.search(child.text):
                _copy_matching(child, owned, child_patterns)
    return owned


def _proven(section: HConfigChild, proof: re.Pattern[str] | None) -> bool:
    return proof is None or any(proof.search(c.text) for c in section.children)


def foreign_tunnels(running: HConfig, scope: Scope) -> list[str]:
    """`interface Tunnel<N>` sections cgw would use that do not say they are this VPN's."""
    proof = scope.fill(rf"^description {_NAME}$")
    return [
        section.text
        for n in scope.tunnels
        if (section := running.get_child(equals=f"interface Tunnel{n}")) is not None
        and not _proven(section, proof)
    ]


def listed_networks(running: HConfig, names: str) -> frozenset[IPv4Network]:
    """The prefixes cgw's networks prefix-lists (name stem regex `names`) say it advertises."""
    pattern = re.compile(
        rf"^ip prefix-list {names}-networks seq \d+ permit (\d+\.\d+\.\d+\.\d+/\d+)$"
    )
    found = set()
    for line in running.children:
        match = pattern.search(line.text)
        if match:
            try:
                found.add(IPv4Network(match.group(1)))
            except ValueError:
                continue
    return frozenset(found)


def described_neighbours(running: HConfig, names: str) -> frozenset[str]:
    """BGP neighbours whose `description` names a tunnel of `names` (cgw's own)."""
    pattern = re.compile(rf"^neighbor (\S+) description {names}(?:-\S+)?$")
    return frozenset(
        m.group(1)
        for router in running.get_children(startswith="router bgp ")
        for line in router.children
        if (m := pattern.search(line.text))
    )


def _copy_matching(
    source: HConfigChild, target: HConfig | HConfigChild, patterns: list[re.Pattern[str]]
) -> None:
    """Copy `source` into `target` keeping only descendants matching a pattern (and parents)."""
    copy = target.add_child(source.text)
    for child in source.children:
        if any(p.search(child.text) for p in patterns):
            copy.add_deep_copy_of(child)
        elif child.children:
            _copy_matching(child, copy, patterns)
    if not copy.children:
        copy.delete()


# ISAKMP policies are numbered and have no description, so cgw proves it created one by naming
# it in the description of the isakmp profile it creates beside it (`<name> isakmp-policy N`).
ISAKMP_POLICY = re.compile(r"^crypto isakmp policy (\d+)$")
ISAKMP_PROOF = re.compile(r"^description \S+ isakmp-policy (\d+)$")


def proven_isakmp_policies(config: HConfig, names: str) -> frozenset[int]:
    """Policy numbers named by the descriptions of cgw's isakmp profiles (stem regex `names`)."""
    profile = re.compile(rf"^crypto isakmp profile {names}(?:-\S+)?$")
    return frozenset(
        int(m.group(1))
        for section in config.children
        if profile.search(section.text)
        for line in section.children
        if (m := ISAKMP_PROOF.search(line.text))
    )


def foreign_isakmp_policies(running: HConfig, names: str) -> dict[int, HConfigChild]:
    """The isakmp policies in `running` that no cgw profile (stem regex `names`) proves cgw's."""
    proven = proven_isakmp_policies(running, names)
    found = {}
    for section in running.children:
        match = ISAKMP_POLICY.search(section.text)
        if match and int(match.group(1)) not in proven:
            found[int(match.group(1))] = section
    return found


# Global lines more than one VPN relies on: cgw adds them when missing, never removes them.
NEVER_REMOVED: tuple[str, ...] = ("crypto ipsec df-bit clear",)


def drop_shared_removals(remediation: HConfig) -> None:
    """Take the negations of NEVER_REMOVED lines out of a remediation."""
    for line in NEVER_REMOVED:
        negation = remediation.get_child(equals=f"no {line}")
        if negation is not None:
            negation.delete()


def keep_shared_parents(running: HConfig, intended: HConfig) -> None:
    """Give `intended` an empty copy of every shared section running has, so only lines go."""
    for rules in SHARED_PARENTS:
        for section in running.get_children_deep(rules):
            intended.add_children_deep(tuple(section.path()))


# ----------------------------------------------------------------------------- ordering
# Lower weights are sent first. Creations and changes run in dependency order (a proposal before
# the policy naming it, the ipsec profile before the tunnel protecting with it); removals run
# after every reference has moved, in reverse dependency order.
CREATE_ORDER: tuple[tuple[str, int], ...] = (
    ("crypto ikev2 proposal ", 10),
    ("crypto isakmp policy ", 10),
    ("crypto ikev2 policy ", 20),
    ("crypto ikev2 keyring ", 30),
    ("crypto keyring ", 30),
    ("crypto ikev2 profile ", 40),
    ("crypto isakmp profile ", 40),
    ("crypto ipsec transform-set ", 50),
    ("crypto ipsec df-bit ", 50),
    ("crypto ipsec profile ", 60),
    ("interface ", 70),
    ("router bgp ", 80),
    ("ip route ", 90),
    ("ip prefix-list ", 95),
)
REMOVE_ORDER: tuple[tuple[str, int], ...] = (
    ("no ip route ", 100),
    ("no interface ", 110),
    ("no crypto ipsec profile ", 120),
    ("no crypto ipsec transform-set ", 130),
    ("no crypto ipsec df-bit ", 130),
    ("no crypto ikev2 profile ", 140),
    ("no crypto isakmp profile ", 140),
    ("no crypto ikev2 keyring ", 150),
    ("no crypto keyring ", 150),
    ("no crypto ikev2 policy ", 150),
    ("no crypto ikev2 proposal ", 160),
    ("no crypto isakmp policy ", 160),
    ("no ip prefix-list ", 170),
)
ORDERING: tuple[OrderingRule, ...] = (
    *(OrderingRule(match_rules=(MatchRule(startswith=s),), weight=w) for s, w in CREATE_ORDER),
    *(OrderingRule(match_rules=(MatchRule(startswith=s),), weight=w) for s, w in REMOVE_ORDER),
    # A key's fingerprint only after the key: a push cut in between leaves the new key under
    # the old fingerprint, so the next plan sends the key again (never the reverse).
    OrderingRule(
        match_rules=(
            MatchRule(startswith="crypto ikev2 keyring "),
            MatchRule(startswith="peer "),
            MatchRule(startswith="description "),
        ),
        weight=900,
    ),
    OrderingRule(
        match_rules=(MatchRule(startswith="crypto keyring "), MatchRule(startswith="description ")),
        weight=900,
    ),
    # Inside `router bgp`: session lines first, the address family (activate, network) last.
    OrderingRule(
        match_rules=(MatchRule(startswith="router bgp "), MatchRule(startswith="address-family ")),
        weight=10,
    ),
)

# ----------------------------------------------------------------------------- in place
# (section, line) pairs where IOS keeps one value: re-entering the line replaces the old one.
# A regex with groups keys the value by them (one key per peer address, per route, ...).
SINGLE_VALUE: tuple[tuple[str, ...], ...] = (
    ("^crypto ipsec transform-set (\\S+) ",),
    ("^ip route (\\S+ \\S+ \\S+)",),
    ("^interface Tunnel", "^description "),
    ("^interface Tunnel", "^ip address "),
    ("^interface Tunnel", "^ip mtu "),
    ("^interface Tunnel", "^ip tcp adjust-mss "),
    ("^interface Tunnel", "^tunnel source "),
    ("^interface Tunnel", "^tunnel mode "),
    ("^interface Tunnel", "^tunnel destination "),
    ("^interface Tunnel", "^tunnel protection ipsec profile "),
    ("^crypto ipsec profile ", "^set pfs"),
    ("^crypto ipsec profile ", "^set transform-set "),
    ("^crypto ipsec profile ", "^set security-association lifetime seconds "),
    ("^crypto ipsec profile ", "^set security-association replay window-size "),
    ("^crypto ipsec profile ", "^set ikev2-profile "),
    ("^crypto ipsec profile ", "^set isakmp-profile "),
    ("^crypto ipsec transform-set ", "^mode "),
    ("^crypto isakmp policy ", "^encr"),
    ("^crypto isakmp policy ", "^hash "),
    ("^crypto isakmp policy ", "^group "),
    ("^crypto isakmp policy ", "^lifetime "),
    ("^crypto isakmp policy ", "^authentication "),
    ("^crypto ikev2 keyring ", "^peer ", "^description "),
    ("^crypto ikev2 keyring ", "^peer ", "^address "),
    ("^crypto keyring ", "^description "),
    ("^crypto isakmp profile ", "^description "),
    ("^crypto ikev2 keyring ", "^peer ", "^pre-shared-key "),
    ("^crypto keyring ", "^pre-shared-key address (\\S+) "),
    ("^crypto keyring ", "^local-address "),
    ("^crypto ikev2 profile ", "^identity local "),
    ("^crypto ikev2 profile ", "^authentication (remote|local) "),
    ("^crypto ikev2 profile ", "^keyring local "),
    ("^crypto ikev2 profile ", "^lifetime "),
    ("^crypto ikev2 profile ", "^dpd "),
    ("^crypto isakmp profile ", "^keyring "),
    ("^crypto isakmp profile ", "^keepalive "),
    ("^crypto isakmp profile ", "^local-address "),
    ("^router bgp ", "^neighbor (\\S+) remote-as "),
    ("^router bgp ", "^neighbor (\\S+) description "),
    ("^router bgp ", "^neighbor (\\S+) timers "),
)
IN_PLACE: tuple[IdempotentCommandsRule, ...] = tuple(
    IdempotentCommandsRule(match_rules=tuple(MatchRule(re_search=p) for p in lineage))
    for lineage in SINGLE_VALUE
)

# ----------------------------------------------------------------------------- negation
# How IOS wants some lines negated: by name alone, and never with the key in the command.
NEGATION_FORMS: tuple[NegationSubRule, ...] = (
    NegationSubRule(
        match_rules=(MatchRule(startswith="router bgp "), MatchRule(re_search=r" remote-as ")),
        search=r"^no neighbor (\S+) remote-as .*$",
        replace=r"no neighbor \1",
    ),
    NegationSubRule(
        match_rules=(MatchRule(startswith="crypto ipsec transform-set "),),
        search=r"^no crypto ipsec transform-set (\S+) .*$",
        replace=r"no crypto ipsec transform-set \1",
    ),
    NegationSubRule(
        match_rules=(
            MatchRule(startswith="crypto keyring "),
            MatchRule(startswith="pre-shared-key address "),
        ),
        search=r"^no pre-shared-key address (\S+) .*$",
        replace=r"no pre-shared-key address \1",
    ),
    NegationSubRule(
        match_rules=(
            MatchRule(startswith="crypto ikev2 keyring "),
            MatchRule(startswith="peer "),
            MatchRule(startswith="pre-shared-key"),
        ),
        search=r"^no pre-shared-key.*$",
        replace="no pre-shared-key",
    ),
)


@dataclass(frozen=True)
class SubsumedNegation:
    """Inside a section matching `section`, a negation matching `removes` takes the whole object
    away, so negations matching `parts` (`{0}`: the object's name) would fail and are dropped."""

    section: tuple[MatchRule, ...]
    removes: str
    parts: str


SUBSUMED_NEGATIONS: tuple[SubsumedNegation, ...] = (
    # `no neighbor X` forgets every neighbor X line, in every address family too.
    SubsumedNegation(
        section=(MatchRule(startswith="router bgp "),),
        removes=r"^no neighbor (\S+)$",
        parts=r"^no neighbor {0} ",
    ),
)


def trim_subsumed_negations(remediation: HConfig) -> None:
    """Drop negations that an earlier, wider negation in the same section already covers."""
    for rule in SUBSUMED_NEGATIONS:
        for section in remediation.get_children_deep(rule.section):
            names = [m.group(1) for c in section.children if (m := re.search(rule.removes, c.text))]
            for name in names:
                _delete_matching(section, re.compile(rule.parts.format(re.escape(name))))


def _delete_matching(section: HConfigChild, pattern: re.Pattern[str]) -> None:
    for child in tuple(section.children):
        if pattern.search(child.text):
            child.delete()
        elif child.children:
            _delete_matching(child, pattern)
            if not child.children:
                child.delete()


# ----------------------------------------------------------------------------- the driver


class CgwCiscoIosDriver(HConfigDriverCiscoIOS):
    """hier_config's IOS driver with cgw's ordering, in-place and negation rules added."""

    @staticmethod
    def _instantiate_rules() -> HConfigDriverRules:
        base = HConfigDriverCiscoIOS._instantiate_rules()
        return base.model_copy(
            update={
                "ordering": [*base.ordering, *ORDERING],
                "idempotent_commands": [*base.idempotent_commands, *IN_PLACE],
                "negation_sub": [*base.negation_sub, *NEGATION_FORMS],
            }
        )


# ----------------------------------------------------------------------------- keys
@dataclass(frozen=True)
class KeyLine:
    """A line holding a pre-shared key; `pattern` groups: the line's identity, type, key."""

    section: tuple[MatchRule, ...]
    pattern: str


KEY_LINES: tuple[KeyLine, ...] = (
    KeyLine(
        section=(
            MatchRule(startswith="crypto ikev2 keyring "),
            MatchRule(startswith="peer "),
            MatchRule(startswith="pre-shared-key "),
        ),
        pattern=r"^(pre-shared-key)(?: ([067]))? (\S+)$",
    ),
    KeyLine(
        section=(
            MatchRule(startswith="crypto keyring "),
            MatchRule(startswith="pre-shared-key address "),
        ),
        pattern=r"^(pre-shared-key address \S+(?: \S+)? key)(?: ([067]))? (\S+)$",
    ),
)
# IOS type 7 is a reversible obfuscation (`service password-encryption`): XOR with this string.
_TYPE7_XLAT = "dsfd;kfoA,.iyewrkldJKDHSUBsgvca69834ncxv9873254k;fg87"
UNCOMPARABLE_KEY_NOTE = (
    "{path}: the device stores this pre-shared key AES-encrypted (type 6) and its fingerprint"
    " (description `psk-fp`) {why}, so the key is sent again"
)
FINGERPRINT = re.compile(r"^description \S+ psk-fp ([0-9a-f]+)$")


def decode_type7(encoded: str) -> str | None:
    """The clear text of an IOS type 7 string, or None when it is not one."""
    if len(encoded) < 4 or len(encoded) % 2 or not encoded[:2].isdigit():
        return None
    seed = int(encoded[:2])
    try:
        codes = [int(encoded[i : i + 2], 16) for i in range(2, len(encoded), 2)]
    except ValueError:
        return None
    return "".join(
        chr(code ^ ord(_TYPE7_XLAT[(seed + i) % len(_TYPE7_XLAT)])) for i, code in enumerate(codes)
    )


def reconcile_keys(running: HConfig, intended: HConfig) -> tuple[str, ...]:
    """Rewrite running's key lines to comparable clear text; returns notes for keys it cannot.

    Type 0 and 7 keys become `<line> <key>` as cgw renders them. A type 6 key cannot be read
    back: it equals the intended one when the fingerprint cgw wrote beside it (the peer's or
    keyring's `description ... psk-fp`) matches the intended key's; otherwise the key is re-sent
    (a note says why).
    """
    notes: list[str] = []
    for rule in KEY_LINES:
        for line in running.get_children_deep(rule.section):
            match = re.search(rule.pattern, line.text)
            if match is None:
                continue
            head, kind, key = match.groups()
            if kind == "7":
                key = decode_type7(key) or key
            if kind != "6":
                line.text = f"{head} {key}"
                continue
            wanted = _intended_key_line(intended, line, rule, head)
            if wanted is None:
                continue
            have = _fingerprint(line.parent)
            want = _fingerprint(_intended_parent(intended, line))
            if have is not None and have == want:
                line.text = wanted  # the same key: nothing to send
                continue
            where = " / ".join(tuple(line.path())[:-1])
            why = "is missing" if have is None else "differs from AWS's key"
            notes.append(UNCOMPARABLE_KEY_NOTE.format(path=where, why=why))
    return tuple(notes)


def _fingerprint(section: HConfig | HConfigChild | None) -> str | None:
    if section is None:
        return None
    return next((m.group(1) for c in section.children if (m := FINGERPRINT.search(c.text))), None)


def _intended_parent(intended: HConfig, line: HConfigChild) -> HConfigChild | None:
    path = tuple(line.path())[:-1]
    node: HConfig | HConfigChild | None = intended
    for text in path:
        node = node.get_child(equals=text) if node is not None else None
    return node if isinstance(node, HConfigChild) else None


def _intended_key_line(
    intended: HConfig, line: HConfigChild, rule: KeyLine, head: str
) -> str | None:
    parent_path = tuple(line.path())[:-1]
    for candidate in intended.get_children_deep(rule.section):
        match = re.search(rule.pattern, candidate.text)
        if match and match.group(1) == head and tuple(candidate.path())[:-1] == parent_path:
            return candidate.text
    return None
