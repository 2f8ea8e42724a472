"""The platform registry: a platform name maps to the one object that knows that vendor.

Platforms are found in two places, like napalm's `get_network_driver`:
- in-tree: every module or subpackage of `cgw.platforms` exposing a module-level `PLATFORM`;
- installed separately: every entry point in the group `cgw.platforms` whose object is a
  platform (or a module exposing `PLATFORM`), e.g. in the other package's pyproject.toml:
  `[project.entry-points."cgw.platforms"] acme_os = "cgw_acme:PLATFORM"`.
Adding a vendor therefore changes no file here. The protocols live in `cgw.platforms.base`.
"""

from __future__ import annotations

import importlib
import pkgutil
from collections.abc import Mapping
from functools import cache
from importlib import metadata
from types import ModuleType

from cgw.errors import CgwError
from cgw.platforms.base import Platform

ENTRY_POINT_GROUP = "cgw.platforms"
_NOT_PLATFORMS = frozenset({"base"})


class UnknownPlatformError(CgwError):
    """A platform name no module provides."""


def _platform_of(candidate: object, where: str) -> Platform:
    """A platform object, or a module's `PLATFORM`; a TypeError naming `where` otherwise."""
    if isinstance(candidate, ModuleType):
        candidate = getattr(candidate, "PLATFORM", None)
    if not isinstance(candidate, Platform):
        raise UnknownPlatformError(f"{where} is not a cgw platform (see cgw.platforms.base)")
    return candidate


def _in_tree() -> dict[str, Platform]:
    found: dict[str, Platform] = {}
    for module_info in pkgutil.iter_modules(__path__):
        if module_info.name.startswith("_") or module_info.name in _NOT_PLATFORMS:
            continue
        module = importlib.import_module(f"{__name__}.{module_info.name}")
        if getattr(module, "PLATFORM", None) is not None:
            platform = _platform_of(module, module.__name__)
            found[platform.name] = platform
    return found


def _installed() -> dict[str, Platform]:
    found: dict[str, Platform] = {}
    for entry in metadata.entry_points(group=ENTRY_POINT_GROUP):
        where = f"entry point {entry.name} = {entry.value}"
        try:
            loaded = entry.load()
        except Exception as exc:  # a broken plug-in is named, not a traceback
            raise UnknownPlatformError(f"{where} cannot be loaded: {exc}") from None
        platform = _platform_of(loaded, where)
        found[platform.name] = platform
    return found


@cache
def all_platforms() -> Mapping[str, Platform]:
    """Every platform, in-tree first; an installed one may not replace an in-tree name."""
    found = _in_tree()
    for name, platform in _installed().items():
        if name in found and found[name] is not platform:
            raise UnknownPlatformError(
                f"platform {name!r} is installed twice (in cgw and a plug-in)"
            )
        found[name] = platform
    return dict(sorted(found.items()))


def get_platform(name: str) -> Platform:
    """The platform called `name`, or an error listing the known ones."""
    platforms = all_platforms()
    try:
        return platforms[name]
    except KeyError:
        known = ", ".join(sorted(platforms))
        raise UnknownPlatformError(f"unknown platform {name!r}; known: {known}") from None


__all__ = ["ENTRY_POINT_GROUP", "Platform", "UnknownPlatformError", "all_platforms", "get_platform"]
