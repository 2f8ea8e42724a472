"""Junos releases: reading one from `show version` and what a release accepts, written as data.

A Junos release reads `<major>.<minor><type><build>[-S<n>][.<respin>]`: `12.3X48-D105.4`,
`15.1X49-D170.4`, `21.2R3-S2.9`. Comparisons only need (major, minor); the X/R train and the
build are kept for messages. Unknown (None) means: what current releases accept.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Final

# `Junos: 21.4R3-S3.4` (15.1 and later), `JUNOS Software Release [12.3X48-D10.3]` (branch
# SRX up to 15.1X49, which prints both), or the base OS package line on EX/MX.
_RELEASE_LINES: Final = (
    re.compile(r"^Junos:\s+(\S+)\s*$", re.MULTILINE),
    re.compile(r"^JUNOS Software Release \[(\S+)\]\s*$", re.MULTILINE),
    re.compile(r"^JUNOS (?:EX\s+Software Suite|Base OS boot) \[(\S+)\]\s*$", re.MULTILINE),
    # A saved configuration's own statement: `set version 21.4R3.15` (display set).
    re.compile(r"^set version (\S+)\s*$", re.MULTILINE),
)
_RELEASE: Final = re.compile(r"(\d+)\.(\d+)([A-Z])(\d+)?")

# Earliest (major, minor) whose SRX accepts `commit confirmed` inside `configure private`:
# refused on older releases ("error: commit confirmed not supported for private configuration",
# Juniper/py-junos-eznc#954), shown accepted on vSRX 21.2R1 in the same thread.
PRIVATE_COMMIT_CONFIRMED_SINCE: Final = (21, 2)
# DH groups 15, 16 and 21 are in today's `proposal (Security IKE)` reference and absent from
# the 12.3 `[edit security ike]` hierarchy; the release that added them is an assumption.
DH_GROUPS_SINCE: Final = {15: (19, 1), 16: (19, 1), 21: (19, 1)}


@dataclass(frozen=True, order=True)
class JunosRelease:
    """A parsed release; ordered by (major, minor)."""

    major: int
    minor: int
    text: str

    @classmethod
    def parse(cls, text: str) -> JunosRelease | None:
        """`15.1X49-D170.4` → JunosRelease(15, 1, ...); None when it is not a Junos release."""
        m = _RELEASE.match(text)
        return cls(int(m.group(1)), int(m.group(2)), text) if m else None

    def at_least(self, since: tuple[int, int]) -> bool:
        return (self.major, self.minor) >= since


def parse_release(output: str) -> str | None:
    """The release `show version` reports (first node of a cluster), or None if it shows none."""
    for pattern in _RELEASE_LINES:
        m = pattern.search(output.replace("\r", ""))
        if m and JunosRelease.parse(m.group(1)) is not None:
            return m.group(1)
    return None


def release_of(text: str | None) -> JunosRelease | None:
    """The device's release, parsed; None when unknown or not a Junos release string."""
    return JunosRelease.parse(text) if text else None


def private_commit_confirmed(release: JunosRelease | None) -> bool | None:
    """Whether `commit confirmed` works in `configure private` (None: unknown, try and see)."""
    if release is None:
        return None
    return release.at_least(PRIVATE_COMMIT_CONFIRMED_SINCE)


def supports_dh_group(group: int, release: JunosRelease | None) -> bool:
    """Whether the release has a `dh-group group<N>` keyword (unknown release: current ones)."""
    since = DH_GROUPS_SINCE.get(group)
    return since is None or release is None or release.at_least(since)
