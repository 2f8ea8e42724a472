"""Cisco IOS / IOS-XE software releases: reading `show version`, and what a release refuses.

Cisco field notice FN72510 (CSCwc72588): from IOS XE 17.11.1 weak crypto is refused by default
unless re-enabled (`crypto engine compliance shield disable`, then a reload): DH groups 1, 2, 5
in `crypto isakmp policy`, 1, 2, 5, 24 in `crypto ikev2 proposal`, and the weak `set pfs`
groups in `crypto ipsec profile`. cgw never renders a line the target release refuses, even on
a router where the shield was disabled: a weak group is never the one a person wants.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

VERSION_COMMAND = "show version"
# IOS-XE 16.x/17.x print `Cisco IOS XE Software, Version 17.09.04a` and then the IOS line with
# `Version 17.9.4a,`; classic IOS and IOS-XE 3.x print only the IOS line (`Version 15.8(3)M2,`).
_IOS_LINE = re.compile(r"^Cisco IOS Software\b.*?,\s*Version\s+([^\s,]+)", re.M)
_XE_LINE = re.compile(r"^Cisco IOS XE Software, Version\s+(\S+)", re.M)
# A saved `show running-config` names its release train on its own line: `version 17.9`.
_CONFIG_LINE = re.compile(r"^version (\d+\.\d+)\s*$", re.M)
_NUMBERS = re.compile(r"^(\d+)\.(\d+)")

WEAK_IKEV2_GROUPS = frozenset({1, 2, 5, 24})
WEAK_ISAKMP_GROUPS = frozenset({1, 2, 5})
WEAK_PFS_GROUPS = frozenset({1, 2, 5, 24})
FIRST_STRICT = (17, 11)  # IOS XE 17.11.1: the first release refusing weak crypto (FN72510)


@dataclass(frozen=True)
class CryptoLimits:
    """The DH groups a release refuses, per object that names them."""

    ikev2: frozenset[int] = frozenset()
    isakmp: frozenset[int] = frozenset()
    pfs: frozenset[int] = frozenset()
    why: str = ""  # the release and the source, for messages


STRICT = CryptoLimits(
    WEAK_IKEV2_GROUPS, WEAK_ISAKMP_GROUPS, WEAK_PFS_GROUPS, why="IOS XE 17.11+ (FN72510)"
)
LENIENT = CryptoLimits()


def parse_release(output: str) -> str | None:
    """The release `show version` names (17.9.4a, 16.12.4, 15.8(3)M2), or None if none."""
    found = _IOS_LINE.search(output)
    if found is not None:
        return found.group(1)
    found = _XE_LINE.search(output)
    if found is None:
        config = _CONFIG_LINE.search(output)
        return config.group(1) if config else None
    return ".".join(p.lstrip("0") or "0" for p in found.group(1).split("."))


def release_numbers(release: str) -> tuple[int, int] | None:
    """(major, minor) of a release string; None when it does not start with numbers."""
    found = _NUMBERS.match(release.strip())
    return (int(found.group(1)), int(found.group(2))) if found else None


def crypto_limits(release: str | None) -> CryptoLimits:
    """What `release` refuses; an unknown release is taken to be a current one (strict)."""
    if release is None:
        return STRICT
    numbers = release_numbers(release)
    if numbers is None or numbers >= FIRST_STRICT:
        return CryptoLimits(
            STRICT.ikev2, STRICT.isakmp, STRICT.pfs, why=f"IOS XE {release} (FN72510)"
        )
    return LENIENT
