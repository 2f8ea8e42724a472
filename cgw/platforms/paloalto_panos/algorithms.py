"""AWS's algorithm names in PAN-OS words: the one table the PAN-OS template uses.

A PAN-OS IKE crypto profile holds lists (encryption, hash, DH group) tried in order, and an
IPsec crypto profile lists ESP ciphers and authentications with one PFS group. cgw renders one
profile of each per tunnel, every allowed algorithm PAN-OS has, strongest first
(`strongest_first` in cgw.model). AWS, as the other end, accepts any combination of a
tunnel's allowed algorithms.

- AES-GCM in an IKE crypto profile exists from PAN-OS 10.0 and with IKEv2 only; earlier
  releases and IKEv1 gateways get the CBC ciphers.
- An IPsec profile whose ciphers are all GCM takes authentication `none`.
- PAN-OS 9.1 to 10.1 offer DH groups 1, 2, 5, 14, 19 and 20; the 10.2 administrator's guide
  (IKE Phase 1, DH groups) adds 16 and 21. Groups PAN-OS lacks (15, 17, 18, 22, 23, 24 and,
  before 10.2, 16 and 21) are dropped, and a tunnel left with none of its groups is a
  RenderError.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass

from cgw.errors import RenderError
from cgw.model import (
    AEAD_ENCRYPTION,
    DH_GROUP_PREFERENCE,
    ENCRYPTION_PREFERENCE,
    INTEGRITY_PREFERENCE,
    Tunnel,
    strongest_first,
)

ENCRYPTION: Mapping[str, str] = {
    "AES128": "aes-128-cbc",
    "AES256": "aes-256-cbc",
    "AES128-GCM-16": "aes-128-gcm",
    "AES256-GCM-16": "aes-256-gcm",
}
HASH: Mapping[str, str] = {
    "SHA1": "sha1",
    "SHA2-256": "sha256",
    "SHA2-384": "sha384",
    "SHA2-512": "sha512",
}
DH_GROUPS: Mapping[int, str] = {g: f"group{g}" for g in (2, 5, 14, 16, 19, 20, 21)}
# Groups a release must reach before it has them.
DH_GROUPS_SINCE: Mapping[int, tuple[int, int]] = {16: (10, 2), 21: (10, 2)}
NO_AUTHENTICATION = "none"
# The first release whose IKE crypto profiles offer AES-GCM (IKEv2 only).
IKE_GCM_SINCE = (10, 0)
IKE_VERSIONS: Mapping[str, str] = {"ikev1": "ikev1", "ikev2": "ikev2"}


@dataclass(frozen=True)
class IkeProfile:
    """One `network ike crypto-profiles ike-crypto-profiles` entry."""

    name: str
    encryption: tuple[str, ...]
    hash: tuple[str, ...]
    dh_group: tuple[str, ...]
    lifetime_s: int


@dataclass(frozen=True)
class IpsecProfile:
    """One `network ike crypto-profiles ipsec-crypto-profiles` entry (ESP)."""

    name: str
    encryption: tuple[str, ...]
    authentication: tuple[str, ...]
    dh_group: str
    lifetime_s: int


def _groups(groups: tuple[int, ...], what: str, release: tuple[int, int]) -> tuple[str, ...]:
    """PAN-OS group words for `groups` that `release` has, strongest first."""
    words = tuple(
        DH_GROUPS[g]
        for g in strongest_first(groups, DH_GROUP_PREFERENCE)
        if g in DH_GROUPS and release >= DH_GROUPS_SINCE.get(g, (0, 0))
    )
    if not words:
        allowed = ", ".join(map(str, groups))
        raise RenderError(f"{what}: none of DH groups {allowed} is supported by PAN-OS")
    return words


def ike_profile(
    tunnel: Tunnel, ike_version: str, name: str, release: tuple[int, int]
) -> IkeProfile:
    """The IKE crypto profile for a tunnel's phase 1."""
    phase1 = tunnel.phase1
    gcm_allowed = ike_version == "ikev2" and release >= IKE_GCM_SINCE
    ciphers = tuple(
        ENCRYPTION[c]
        for c in strongest_first(phase1.encryption, ENCRYPTION_PREFERENCE)
        if gcm_allowed or c not in AEAD_ENCRYPTION
    )
    if not ciphers:
        raise RenderError(
            f"{tunnel.name}: PAN-OS needs AES128 or AES256 in phase 1 (AES-GCM in IKE is"
            " IKEv2 on PAN-OS 10.0+ only)"
        )
    return IkeProfile(
        name=name,
        encryption=ciphers,
        hash=tuple(HASH[h] for h in strongest_first(phase1.integrity, INTEGRITY_PREFERENCE)),
        dh_group=_groups(phase1.dh_groups, f"{tunnel.name} phase 1", release),
        lifetime_s=phase1.lifetime_s,
    )


def ipsec_profile(tunnel: Tunnel, name: str, release: tuple[int, int]) -> IpsecProfile:
    """The IPsec crypto profile for a tunnel's phase 2: ESP, PFS with the strongest group."""
    phase2 = tunnel.phase2
    ciphers = strongest_first(phase2.encryption, ENCRYPTION_PREFERENCE)
    only_aead = all(c in AEAD_ENCRYPTION for c in ciphers)
    authentication = (
        (NO_AUTHENTICATION,)
        if only_aead
        else tuple(HASH[h] for h in strongest_first(phase2.integrity, INTEGRITY_PREFERENCE))
    )
    return IpsecProfile(
        name=name,
        encryption=tuple(ENCRYPTION[c] for c in ciphers),
        authentication=authentication,
        dh_group=_groups(phase2.dh_groups, f"{tunnel.name} phase 2", release)[0],
        lifetime_s=phase2.lifetime_s,
    )
