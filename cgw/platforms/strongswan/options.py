"""The strongSwan-only `local:` settings of a device."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal

from cgw.errors import ValidationError
from cgw.model import PlatformOptions

DATAPLANES = ("xfrm", "vti", "libipsec")
BGP_DAEMONS = ("frr", "none")


@dataclass(frozen=True)
class StrongswanOptions(PlatformOptions):
    """How ESP meets the routing table (`xfrm`, `vti`, `libipsec`) and who speaks BGP."""

    strongswan_dataplane: Literal["xfrm", "vti", "libipsec"] = "xfrm"
    strongswan_bgp: Literal["frr", "none"] = "frr"

    def __post_init__(self) -> None:
        if self.strongswan_dataplane not in DATAPLANES:
            raise ValidationError(
                f"local.strongswan_dataplane must be one of {', '.join(DATAPLANES)},"
                f" got {self.strongswan_dataplane!r}"
            )
        if self.strongswan_bgp not in BGP_DAEMONS:
            raise ValidationError(
                f"local.strongswan_bgp must be one of {', '.join(BGP_DAEMONS)},"
                f" got {self.strongswan_bgp!r}"
            )
