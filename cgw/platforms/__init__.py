"""The platform registry: a platform name maps to the one object that knows that vendor.

Each platform lives in its own module or subpackage of `cgw.platforms` and exposes a module-level
`PLATFORM` object implementing `Platform`. Adding a vendor means adding one module and one folder
in `device_templates/`; nothing here changes.
"""

from __future__ import annotations

import importlib
import pkgutil
from collections.abc import Mapping
from functools import cache
from typing import Protocol, runtime_checkable

from cgw.errors import CgwError
from cgw.model import Device, ParsedStatus, RenderedConfig, VpnConnection
from cgw.push import Deployer


@runtime_checkable
class Platform(Protocol):
    """What every platform implements (more hooks join as verify/diff/push land)."""

    name: str  # "cisco_xe"
    netmiko_device_type: str  # "cisco_xe"
    template_dir: str  # folder under device_templates/
    default_wan_interface: str  # used by ad hoc `cgw render --vpn --platform` without a flag
    verify_commands: tuple[str, ...]  # what `cgw verify` runs, in order
    deployer: Deployer  # reading, scoping, planning and applying changes (diff, push)

    def render(self, device: Device, vpn: VpnConnection) -> RenderedConfig:
        """The configuration this device needs for this VPN connection."""
        ...

    def parse_status(self, outputs: Mapping[str, str]) -> ParsedStatus:
        """Normalised status from command → output; a command not run leaves its field None."""
        ...

    def tunnel_interface_names(self, device: Device) -> tuple[str, str] | None:
        """The device's two tunnel interfaces as its show output names them (None: no VTI)."""
        ...


class UnknownPlatformError(CgwError):
    """A platform name no module provides."""


@cache
def all_platforms() -> Mapping[str, Platform]:
    """Every platform found in this package, by name."""
    found: dict[str, Platform] = {}
    for module_info in pkgutil.iter_modules(__path__):
        if module_info.name.startswith("_"):
            continue
        module = importlib.import_module(f"{__name__}.{module_info.name}")
        platform = getattr(module, "PLATFORM", None)
        if platform is not None:
            found[platform.name] = platform
    return found


def get_platform(name: str) -> Platform:
    """The platform called `name`, or an error listing the known ones."""
    platforms = all_platforms()
    try:
        return platforms[name]
    except KeyError:
        known = ", ".join(sorted(platforms))
        raise UnknownPlatformError(f"unknown platform {name!r}; known: {known}") from None
