"""AWS's algorithm names in Junos words: the one table the SRX templates use.

A Junos IKE or IPsec proposal holds exactly one cipher, one hash and (IKE) one DH group, and a
policy references at most four proposals. The full product of what AWS allows (4 ciphers x
4 hashes x 8 groups = 128 IKE proposals by default) is absurd, so cgw renders one proposal per
allowed cipher, strongest first, each with the strongest allowed hash and the strongest allowed
group Junos supports (`strongest_first` in cgw.model, not AWS's documented order, which puts the
weakest first). AWS, as the other end, accepts any combination of a tunnel's allowed algorithms,
so every proposal negotiates, every allowed cipher stays usable, and there are never more than
four.

Junos has IKE GCM only with IKEv2, and a GCM proposal (IKE or ESP) takes no separate hash.
DH groups 17, 18, 22 and 23 have no Junos keyword, and older releases lack 15, 16 and 21
(release.py): they are dropped, and a tunnel left with none of its groups is a RenderError.
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
from cgw.platforms.juniper_junos.release import JunosRelease, supports_dh_group

ENCRYPTION: Mapping[str, str] = {
    "AES128": "aes-128-cbc",
    "AES256": "aes-256-cbc",
    "AES128-GCM-16": "aes-128-gcm",
    "AES256-GCM-16": "aes-256-gcm",
}
IKE_AUTHENTICATION: Mapping[str, str] = {
    "SHA1": "sha1",
    "SHA2-256": "sha-256",
    "SHA2-384": "sha-384",
    "SHA2-512": "sha-512",
}
IPSEC_AUTHENTICATION: Mapping[str, str] = {
    "SHA1": "hmac-sha1-96",
    "SHA2-256": "hmac-sha-256-128",
    "SHA2-384": "hmac-sha-384",
    "SHA2-512": "hmac-sha-512",
}
DH_GROUPS: Mapping[int, str] = {g: f"group{g}" for g in (2, 14, 15, 16, 19, 20, 21, 24)}
IKE_VERSIONS: Mapping[str, str] = {"ikev1": "v1-only", "ikev2": "v2-only"}
MAX_PROPOSALS = 4


@dataclass(frozen=True)
class JunosProposal:
    """One `security ike proposal` or `security ipsec proposal`."""

    name: str
    encryption: str
    authentication: str | None  # None for GCM
    dh_group: str | None  # IKE proposals only
    lifetime_s: int


def _first_group(proposal: Proposal, what: str, release: JunosRelease | None) -> str:
    """The strongest allowed DH group the release has a keyword for."""
    for group in strongest_first(proposal.dh_groups, DH_GROUP_PREFERENCE):
        if group in DH_GROUPS and supports_dh_group(group, release):
            return DH_GROUPS[group]
    allowed = ", ".join(map(str, proposal.dh_groups))
    junos = f"Junos {release.text}" if release else "Junos"
    raise RenderError(f"{what}: none of DH groups {allowed} is supported by {junos}")


def ike_proposals(
    tunnel: Tunnel, ike_version: str, stem: str, release: JunosRelease | None = None
) -> tuple[JunosProposal, ...]:
    """IKE proposals `<stem>-1..` for a tunnel's phase 1: one per allowed cipher."""
    return _named(stem, _ike_words(tunnel.phase1, ike_version, tunnel.name, release))


def ipsec_proposals(tunnel: Tunnel, stem: str) -> tuple[JunosProposal, ...]:
    """IPsec proposals `<stem>-1..` for a tunnel's phase 2: one per allowed cipher."""
    return _named(stem, _ipsec_words(tunnel.phase2))


_Words = tuple[tuple[str, str | None, str | None, int], ...]


def _named(stem: str, words: _Words) -> tuple[JunosProposal, ...]:
    return tuple(JunosProposal(f"{stem}-{i}", *w) for i, w in enumerate(words, start=1))


@cache  # a fleet shares a handful of proposals; Proposal is frozen and hashable
def _ike_words(
    phase1: Proposal, ike_version: str, tunnel_name: str, release: JunosRelease | None
) -> _Words:
    allowed = strongest_first(phase1.encryption, ENCRYPTION_PREFERENCE)
    ciphers = [c for c in allowed if ike_version == "ikev2" or c not in AEAD_ENCRYPTION]
    if not ciphers:
        raise RenderError(f"{tunnel_name}: IKEv1 on Junos needs AES128 or AES256 in phase 1")
    group = _first_group(phase1, f"{tunnel_name} phase 1", release)
    first_hash = IKE_AUTHENTICATION[strongest_first(phase1.integrity, INTEGRITY_PREFERENCE)[0]]
    return tuple(
        (
            ENCRYPTION[cipher],
            None if cipher in AEAD_ENCRYPTION else first_hash,
            group,
            phase1.lifetime_s,
        )
        for cipher in ciphers[:MAX_PROPOSALS]
    )


@cache
def _ipsec_words(phase2: Proposal) -> _Words:
    first_hash = IPSEC_AUTHENTICATION[strongest_first(phase2.integrity, INTEGRITY_PREFERENCE)[0]]
    return tuple(
        (
            ENCRYPTION[cipher],
            None if cipher in AEAD_ENCRYPTION else first_hash,
            None,
            phase2.lifetime_s,
        )
        for cipher in strongest_first(phase2.encryption, ENCRYPTION_PREFERENCE)[:MAX_PROPOSALS]
    )


def pfs_group(tunnel: Tunnel, release: JunosRelease | None = None) -> str:
    """The `perfect-forward-secrecy keys` group: the strongest phase-2 group the release has."""
    return _first_group(tunnel.phase2, f"{tunnel.name} phase 2", release)
