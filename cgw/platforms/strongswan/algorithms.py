"""AWS's words for algorithms and tunnel actions, mapped to strongSwan's swanctl.conf keywords.

The one place where AWS's vocabulary (AES256-GCM-16, SHA2-256, DH group 20, DPD action clear)
becomes strongSwan's (aes256gcm16, sha256/prfsha256, ecp384, dpd_action = clear).

Proposal strings list every algorithm the tunnel allows, strongest first (`strongest_first` in
cgw.model), not in AWS's documented order, which puts the weakest first.
"""

from __future__ import annotations

from collections.abc import Hashable, Iterator, Mapping, Sequence
from functools import cache
from itertools import product
from types import MappingProxyType
from typing import TypeVar

from cgw.errors import RenderError
from cgw.model import (
    AEAD_ENCRYPTION,
    DH_GROUP_PREFERENCE,
    ENCRYPTION_PREFERENCE,
    INTEGRITY_PREFERENCE,
    Proposal,
    strongest_first,
)

ENCRYPTION: Mapping[str, str] = MappingProxyType(
    {
        "AES128": "aes128",
        "AES256": "aes256",
        "AES128-GCM-16": "aes128gcm16",
        "AES256-GCM-16": "aes256gcm16",
    }
)
# AEAD ciphers carry their own integrity: no integrity keyword, and IKE names its PRF instead.

INTEGRITY: Mapping[str, str] = MappingProxyType(
    {"SHA1": "sha1", "SHA2-256": "sha256", "SHA2-384": "sha384", "SHA2-512": "sha512"}
)
# AWS uses its phase 1 integrity algorithm as the IKE PRF as well.
PRF: Mapping[str, str] = MappingProxyType(
    {"SHA1": "prfsha1", "SHA2-256": "prfsha256", "SHA2-384": "prfsha384", "SHA2-512": "prfsha512"}
)

DH_GROUPS: Mapping[int, str] = MappingProxyType(
    {
        2: "modp1024",
        5: "modp1536",
        14: "modp2048",
        15: "modp3072",
        16: "modp4096",
        17: "modp6144",
        18: "modp8192",
        19: "ecp256",
        20: "ecp384",
        21: "ecp521",
        22: "modp1024s160",
        23: "modp2048s224",
        24: "modp2048s256",
    }
)

# AWS DpdTimeoutAction → child dpd_action, one for one (strongSwan 5.9 accepts all three words).
# Recovery after `clear` does not depend on AWS: every child also keeps a trap policy
# (START_ACTIONS below), so the next packet into the tunnel (a BGP keepalive, routed traffic)
# negotiates it again.
DPD_ACTIONS: Mapping[str, str] = MappingProxyType(
    {"clear": "clear", "none": "none", "restart": "restart"}
)

# AWS StartupAction describes AWS's end. `add` (AWS's default): AWS waits for the customer
# gateway to initiate, so this end starts the tunnel as soon as the config loads and keeps a trap
# policy that re-initiates on demand. `start`: AWS initiates itself, so this end only installs the
# trap policy (answering AWS, re-initiating on traffic) and does not race AWS at load time.
START_ACTIONS: Mapping[str, str] = MappingProxyType({"add": "trap|start", "start": "trap"})

# When AWS deletes the CHILD_SA (endpoint maintenance, a reset): if this end is the initiator,
# re-create it right away; if AWS initiates, AWS brings it back and the trap policy covers traffic.
CLOSE_ACTIONS: Mapping[str, str] = MappingProxyType({"add": "start", "start": "none"})


Name = TypeVar("Name", bound=Hashable)


def _words(names: Sequence[Name], table: Mapping[Name, str], what: str) -> list[str]:
    try:
        return [table[name] for name in names]
    except KeyError as exc:
        raise RenderError(f"strongSwan has no keyword for {what} {exc.args[0]!r}") from None


def _split_by_aead(encryption: tuple[str, ...]) -> Iterator[tuple[bool, list[str]]]:
    """The allowed ciphers, strongest first, as AEAD and classic groups (strongest's kind first)."""
    ranked = strongest_first(encryption, ENCRYPTION_PREFERENCE)
    kinds = list(dict.fromkeys(name in AEAD_ENCRYPTION for name in ranked))
    for aead in kinds:
        yield aead, [name for name in ranked if (name in AEAD_ENCRYPTION) == aead]


@cache  # a fleet shares a handful of proposals; Proposal is frozen and hashable
def ike_proposals(phase1: Proposal, version: int) -> str:
    """The `proposals` value for AWS's phase 1 lists, strongest first."""
    return ",".join(_proposals(phase1, version, ike=True))


@cache
def esp_proposals(phase2: Proposal, version: int) -> str:
    """The `esp_proposals` value for AWS's phase 2 lists (DH groups become PFS), strongest first."""
    return ",".join(_proposals(phase2, version, ike=False))


def _proposals(proposal: Proposal, version: int, *, ike: bool) -> list[str]:
    what = f"phase {proposal.phase}"
    dh_groups = strongest_first(proposal.dh_groups, DH_GROUP_PREFERENCE)
    hashes = strongest_first(proposal.integrity, INTEGRITY_PREFERENCE)
    groups = _words(dh_groups, DH_GROUPS, f"{what} DH group")
    integrity = _words(hashes, INTEGRITY, f"{what} integrity")
    prfs = _words(hashes, PRF, f"{what} integrity")
    result: list[str] = []
    for aead, names in _split_by_aead(proposal.encryption):
        ciphers = _words(names, ENCRYPTION, f"{what} encryption")
        if aead:
            # AEAD: IKE names the PRF explicitly; ESP has nothing besides cipher and group.
            kinds = [ciphers, prfs, groups] if ike else [ciphers, groups]
        else:
            # Classic: strongSwan derives the IKE PRF from the integrity algorithm.
            kinds = [ciphers, integrity, groups]
        result.extend(_combine(kinds, version))
    return result


def _combine(kinds: list[list[str]], version: int) -> list[str]:
    """IKEv2 offers several algorithms of a kind in one proposal; IKEv1 needs one per combination.

    AWS accepts any combination of its allowed lists, so the single IKEv2 proposal and the IKEv1
    cross product offer exactly the same set.
    """
    if version == 2:
        return ["-".join(word for kind in kinds for word in kind)]
    return ["-".join(combination) for combination in product(*kinds)]
