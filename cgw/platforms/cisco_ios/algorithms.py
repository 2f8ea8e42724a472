"""AWS's algorithm names in Cisco IOS/IOS-XE words: the one table the Cisco templates use.

How the lists AWS allows become Cisco objects (AWS, as the other end, accepts any combination
of the algorithms a tunnel allows, so every object below negotiates; order is preference, and
cgw prefers the strongest: `strongest_first` in cgw.model, not AWS's documented order):

- IKEv2 proposal: takes lists, so every allowed algorithm is rendered, strongest first. IOS
  refuses AEAD (GCM) and non-AEAD ciphers in one proposal, so a tunnel allowing both gets two
  proposals (the kind of the strongest allowed cipher first); a GCM proposal names the
  hashes as `prf` instead of `integrity`.
- ISAKMP (IKEv1) policy: one cipher, hash and group each, and the policies are global. One
  policy per tunnel with the strongest allowed of each (IOS has no GCM for IKEv1), numbered
  from the tunnel interface number so two tunnels never collide.
- Transform set: one cipher and one hash each, and an IPsec profile takes at most six sets.
  The full product (up to 2 CBC x 4 hashes + 2 GCM = 10) does not fit, so a production engineer
  renders one set per allowed cipher, strongest first, with the strongest allowed hash for CBC
  (GCM has no separate hash): every cipher stays negotiable and there are at most four sets.
- PFS: an IPsec profile takes one group, the strongest allowed phase-2 group IOS supports.

DH groups 17, 18, 22 and 23 have no IOS keyword (22-24 are deprecated on IOS-XE): they are
dropped, and so are the groups the target release refuses (releases.py: FN72510 on IOS XE
17.11+). A tunnel left with none of its groups is a RenderError that says what to change at AWS.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from functools import cache

from cgw.errors import RenderError
from cgw.model import (
    AEAD_ENCRYPTION,
    DH_GROUP_PREFERENCE,
    ENCRYPTION_PREFERENCE,
    INTEGRITY_PREFERENCE,
    Proposal,
    Tunnel,
    strongest_first,
)
from cgw.platforms.cisco_ios.releases import STRICT, CryptoLimits

IKEV2_ENCRYPTION: Mapping[str, str] = {
    "AES128": "aes-cbc-128",
    "AES256": "aes-cbc-256",
    "AES128-GCM-16": "aes-gcm-128",
    "AES256-GCM-16": "aes-gcm-256",
}
# The same words serve `integrity` (CBC proposals) and `prf` (GCM proposals).
IKEV2_HASH: Mapping[str, str] = {
    "SHA1": "sha1",
    "SHA2-256": "sha256",
    "SHA2-384": "sha384",
    "SHA2-512": "sha512",
}
ISAKMP_ENCRYPTION: Mapping[str, str] = {"AES128": "aes", "AES256": "aes 256"}
# SHA-1 is the ISAKMP default, which `show running-config` does not print.
ISAKMP_HASH: Mapping[str, str | None] = {
    "SHA1": None,
    "SHA2-256": "sha256",
    "SHA2-384": "sha384",
    "SHA2-512": "sha512",
}
# `esp-aes` and `esp-gcm` without a size mean 128-bit; IOS prints them that way.
ESP_ENCRYPTION: Mapping[str, str] = {
    "AES128": "esp-aes",
    "AES256": "esp-aes 256",
    "AES128-GCM-16": "esp-gcm",
    "AES256-GCM-16": "esp-gcm 256",
}
ESP_INTEGRITY: Mapping[str, str] = {
    "SHA1": "esp-sha-hmac",
    "SHA2-256": "esp-sha256-hmac",
    "SHA2-384": "esp-sha384-hmac",
    "SHA2-512": "esp-sha512-hmac",
}
DH_GROUPS: Mapping[int, str] = {g: str(g) for g in (2, 14, 15, 16, 19, 20, 21, 24)}
REPLAY_WINDOW_SIZES = (64, 128, 256, 512, 1024)
MAX_TRANSFORM_SETS = 6
ISAKMP_POLICY_BASE = 200  # AWS's own samples number their policies from 200
ISAKMP_POLICY_MAX = 10000


@dataclass(frozen=True)
class Ikev2Proposal:
    """One `crypto ikev2 proposal`: ciphers of one kind, hashes (integrity or prf), groups."""

    name: str
    encryption: tuple[str, ...]
    integrity: tuple[str, ...]
    prf: tuple[str, ...]
    groups: tuple[str, ...]


@dataclass(frozen=True)
class IsakmpPolicy:
    """One numbered `crypto isakmp policy`."""

    number: int
    encryption: str
    hash: str | None
    group: str
    lifetime_s: int


@dataclass(frozen=True)
class TransformSet:
    """One `crypto ipsec transform-set`."""

    name: str
    transforms: str


@cache  # a fleet shares a handful of proposals; Proposal is frozen and hashable
def _groups(
    proposal: Proposal, what: str, refused: frozenset[int] = frozenset(), why: str = ""
) -> tuple[str, ...]:
    """The allowed groups IOS supports and the release accepts, strongest first."""
    ranked = strongest_first(proposal.dh_groups, DH_GROUP_PREFERENCE)
    supported = [g for g in ranked if g in DH_GROUPS]
    groups = tuple(DH_GROUPS[g] for g in supported if g not in refused)
    if groups:
        return groups
    allowed = ", ".join(map(str, proposal.dh_groups))
    phase = "Phase1" if proposal.phase == 1 else "Phase2"
    if not supported:
        raise RenderError(f"{what}: none of DH groups {allowed} is supported by Cisco IOS")
    raise RenderError(
        f"{what}: every DH group AWS allows ({allowed}) is refused by {why}; allow group 14,"
        f" 19, 20 or 21 at AWS (ModifyVpnTunnelOptions {phase}DHGroupNumbers) and run cgw again"
    )


def _what(tunnel: Tunnel, phase: int) -> str:
    return f"{tunnel.name} ({tunnel.aws_outside_ip}) phase {phase}"


def ikev2_proposals(
    tunnel: Tunnel, stem: str, limits: CryptoLimits = STRICT
) -> tuple[Ikev2Proposal, ...]:
    """The IKEv2 proposals for a tunnel's phase 1, named `<stem>-1`, `<stem>-2`."""
    return tuple(
        Ikev2Proposal(f"{stem}-{index}", *words)
        for index, words in enumerate(
            _ikev2_words(tunnel.phase1, _what(tunnel, 1), limits), start=1
        )
    )


@cache
def _ikev2_words(
    phase1: Proposal, what: str, limits: CryptoLimits
) -> tuple[tuple[tuple[str, ...], tuple[str, ...], tuple[str, ...], tuple[str, ...]], ...]:
    """(encryption, integrity, prf, groups) per proposal: IOS won't mix AEAD and CBC in one."""
    groups = _groups(phase1, what, limits.ikev2, limits.why)
    hashes = tuple(IKEV2_HASH[h] for h in strongest_first(phase1.integrity, INTEGRITY_PREFERENCE))
    ciphers = strongest_first(phase1.encryption, ENCRYPTION_PREFERENCE)
    kinds: list[bool] = []  # AEAD or not, the kind of the strongest cipher first
    for cipher in ciphers:
        if (cipher in AEAD_ENCRYPTION) not in kinds:
            kinds.append(cipher in AEAD_ENCRYPTION)
    return tuple(
        (
            tuple(IKEV2_ENCRYPTION[c] for c in ciphers if (c in AEAD_ENCRYPTION) == aead),
            () if aead else hashes,
            hashes if aead else (),
            groups,
        )
        for aead in kinds
    )


def isakmp_policy_number(interface_number: int) -> int:
    """The ISAKMP policy priority for a tunnel interface: 200 + its number."""
    number = ISAKMP_POLICY_BASE + interface_number
    if number > ISAKMP_POLICY_MAX:
        raise RenderError(
            f"tunnel interface {interface_number} is too high for an ISAKMP policy number"
            f" (at most {ISAKMP_POLICY_MAX - ISAKMP_POLICY_BASE})"
        )
    return number


def isakmp_policy(
    tunnel: Tunnel, interface_number: int, limits: CryptoLimits = STRICT
) -> IsakmpPolicy:
    """The ISAKMP policy for an IKEv1 tunnel: the strongest allowed cipher, hash and group."""
    phase1 = tunnel.phase1
    allowed = strongest_first(phase1.encryption, ENCRYPTION_PREFERENCE)
    ciphers = [c for c in allowed if c in ISAKMP_ENCRYPTION]
    if not ciphers:
        raise RenderError(f"{tunnel.name}: IKEv1 on IOS needs AES128 or AES256 in phase 1")
    return IsakmpPolicy(
        number=isakmp_policy_number(interface_number),
        encryption=ISAKMP_ENCRYPTION[ciphers[0]],
        hash=ISAKMP_HASH[strongest_first(phase1.integrity, INTEGRITY_PREFERENCE)[0]],
        group=_groups(phase1, _what(tunnel, 1), limits.isakmp, limits.why)[0],
        lifetime_s=phase1.lifetime_s,
    )


def transform_sets(tunnel: Tunnel, stem: str) -> tuple[TransformSet, ...]:
    """One transform set per allowed phase-2 cipher, strongest first, named `<stem>-<n>`."""
    return tuple(
        TransformSet(name=f"{stem}-{index}", transforms=transforms)
        for index, transforms in enumerate(_transforms(tunnel.phase2), start=1)
    )


@cache
def _transforms(phase2: Proposal) -> tuple[str, ...]:
    first_hash = ESP_INTEGRITY[strongest_first(phase2.integrity, INTEGRITY_PREFERENCE)[0]]
    transforms = tuple(
        ESP_ENCRYPTION[cipher]
        if cipher in AEAD_ENCRYPTION
        else f"{ESP_ENCRYPTION[cipher]} {first_hash}"
        for cipher in strongest_first(phase2.encryption, ENCRYPTION_PREFERENCE)
    )
    return transforms[:MAX_TRANSFORM_SETS]


def pfs_group(tunnel: Tunnel, limits: CryptoLimits = STRICT) -> str:
    """The `set pfs` group: the strongest allowed phase-2 group IOS supports and accepts."""
    return _groups(tunnel.phase2, _what(tunnel, 2), limits.pfs, limits.why)[0]


@cache
def replay_window_size(requested: int) -> int:
    """The largest IOS replay window size not above the requested one."""
    return max(size for size in REPLAY_WINDOW_SIZES if size <= max(requested, 64))
