"""The PAN-OS-only `local:` settings of a device: zones, the router, the routing engine."""

from __future__ import annotations

from dataclasses import dataclass

from cgw.errors import ValidationError
from cgw.model import PlatformOptions, check_name

# Legacy virtual routers (every release) or Advanced Routing's logical routers (10.2 and later).
ROUTING_ENGINES = ("legacy", "advanced")
# PAN-OS object names (zones, rules, routers, profiles) are at most 31 characters.
MAX_NAME = 31


def check_panos_name(value: object, what: str) -> str:
    """A name PAN-OS accepts for a zone, router or rule (31 characters at most)."""
    name = check_name(value, what)
    if len(name) > MAX_NAME:
        raise ValidationError(f"{what} must be at most {MAX_NAME} characters, got {name!r}")
    return name


@dataclass(frozen=True)
class PanosOptions(PlatformOptions):
    """Where the tunnels live on the firewall.

    The tunnel interfaces join cgw's own zone (named after the VPN unless `vpn_zone` names
    one); security rules allow `trust_zone` ↔ that zone. `routing_engine` picks the legacy
    virtual router `router` or, with Advanced Routing (PAN-OS 10.2+), the logical router
    `router`. `wan_address` is the WAN interface address as configured (`203.0.113.10/24`),
    used as the IKE gateway's local address; None lets the firewall use the interface's.
    """

    trust_zone: str = "trust"
    vpn_zone: str | None = None
    routing_engine: str = "legacy"
    router: str = "default"
    wan_address: str | None = None
    management_profile: str | None = None  # an interface management profile allowing ping

    def __post_init__(self) -> None:
        check_panos_name(self.trust_zone, "local.trust_zone")
        if self.vpn_zone is not None:
            check_panos_name(self.vpn_zone, "local.vpn_zone")
        if self.routing_engine not in ROUTING_ENGINES:
            raise ValidationError(
                f"local.routing_engine must be one of {', '.join(ROUTING_ENGINES)},"
                f" got {self.routing_engine!r}"
            )
        check_panos_name(self.router, "local.router")
        if self.management_profile is not None:
            check_panos_name(self.management_profile, "local.management_profile")
        if self.wan_address is not None:
            _check_interface_address(self.wan_address)


def _check_interface_address(value: object) -> str:
    from ipaddress import ip_interface

    if not isinstance(value, str) or "/" not in value:
        raise ValidationError(f"local.wan_address must be like 203.0.113.10/24, got {value!r}")
    try:
        ip_interface(value)
    except ValueError:
        raise ValidationError(
            f"local.wan_address must be like 203.0.113.10/24, got {value!r}"
        ) from None
    return value


def router_root(options: PanosOptions) -> str:
    """The configuration path of the router the tunnels and routes live in."""
    if options.routing_engine == "advanced":
        return f"network logical-router {options.router} vrf default"
    return f"network virtual-router {options.router}"
