"""Software profiles of the simulated SRX: what differs between Junos releases, as data.

Each field is one row of junos_behaviours.md (releases, behaviour, public source or
"assumption"); junos.py and show_output.py read these fields and never test a release string.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal

IkeSaLayout = Literal["remote-first", "state-first"]
IpsecSaLayout = Literal["gateway-first-vsys", "algorithm-first-vsys", "algorithm-first-lsys"]


@dataclass(frozen=True)
class JunosProfile:
    """One Junos release line as the simulated SRX behaves."""

    name: str
    release: str
    model: str
    # `show version`: 15.1 and later print `Junos: <release>`; older branch SRX print only the
    # `JUNOS Software Release [<release>]` line.
    junos_line: bool
    # `commit confirmed` inside `configure private` is refused with this error when False.
    private_commit_confirmed: bool
    # Seconds (simulated) a commit or commit check takes; the lab scales it to real time.
    commit_s: float
    ike_sa_layout: IkeSaLayout
    ipsec_sa_layout: IpsecSaLayout
    # `dh-group group<N>` keywords this release lacks (a `set` with one is a syntax error).
    missing_dh_groups: frozenset[int]


PROFILES: dict[str, JunosProfile] = {
    profile.name: profile
    for profile in (
        JunosProfile(
            name="12.3X48",
            release="12.3X48-D105.4",
            model="srx240h2",
            junos_line=False,
            private_commit_confirmed=False,
            commit_s=40.0,
            ike_sa_layout="remote-first",
            ipsec_sa_layout="gateway-first-vsys",
            missing_dh_groups=frozenset({15, 16, 21}),
        ),
        JunosProfile(
            name="15.1X49",
            release="15.1X49-D170.4",
            model="srx300",
            junos_line=True,
            private_commit_confirmed=False,
            commit_s=25.0,
            ike_sa_layout="state-first",
            ipsec_sa_layout="algorithm-first-vsys",
            missing_dh_groups=frozenset({15, 16, 21}),
        ),
        JunosProfile(
            name="21.4",
            release="21.4R3-S5.4",
            model="vsrx",
            junos_line=True,
            private_commit_confirmed=True,
            commit_s=8.0,
            ike_sa_layout="state-first",
            ipsec_sa_layout="algorithm-first-lsys",
            missing_dh_groups=frozenset(),
        ),
    )
}
DEFAULT_PROFILE = PROFILES["21.4"]


def junos_profile(name: str | None) -> JunosProfile:
    """The profile called `name` (None: the current vSRX one)."""
    if name is None:
        return DEFAULT_PROFILE
    if name not in PROFILES:
        raise ValueError(f"unknown Junos profile {name!r}; known: {', '.join(PROFILES)}")
    return PROFILES[name]
