"""The Junos-only `local:` settings of a device."""

from __future__ import annotations

from dataclasses import dataclass

from cgw.model import PlatformOptions, check_name


@dataclass(frozen=True)
class JunosOptions(PlatformOptions):
    """Security zones: the tunnels join `trust_zone`, the WAN interface is in `untrust_zone`."""

    trust_zone: str = "trust"
    untrust_zone: str = "untrust"

    def __post_init__(self) -> None:
        check_name(self.trust_zone, "local.trust_zone")
        check_name(self.untrust_zone, "local.untrust_zone")
