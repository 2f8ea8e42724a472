"""Optional dependency groups: a missing one is a one-line error naming the install command."""

from __future__ import annotations

import importlib

from cgw.errors import CgwError

# The modules each extra of pyproject.toml brings, as the code imports them.
LAB_MODULES = ("moto", "moto.moto_server.threaded_moto_server", "moto.ec2.models")


class MissingExtraError(CgwError):
    """A command needs packages from an optional extra that is not installed."""


def require_lab(what: str) -> None:
    """Raise unless the `lab` extra (moto server) is importable; call before any side effect."""
    for module in LAB_MODULES:
        try:
            importlib.import_module(module)
        except ImportError as exc:
            missing = getattr(exc, "name", None) or module
            raise MissingExtraError(
                f"{what} needs the lab extra ({missing} is not installed): pip install 'cgw[lab]'"
            ) from None
