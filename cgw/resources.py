"""Where cgw's data folders are: the device templates and the example inventory.

An installed wheel carries them in `cgw/_bundled/` (see setup.py); a source checkout or an
editable install reads the repository's top-level folders. `$CGW_TEMPLATES_DIR` overrides the
templates for every kind of install.
"""

from __future__ import annotations

import os
from pathlib import Path

_PACKAGE = Path(__file__).resolve().parent
BUNDLED = _PACKAGE / "_bundled"
CHECKOUT = _PACKAGE.parent


def _data_folder(name: str) -> Path:
    """`name` as bundled in the installed package, else the checkout's top-level folder."""
    bundled = BUNDLED / name
    if bundled.is_dir():
        return bundled
    return CHECKOUT / name


def templates_root() -> Path:
    """`device_templates/`: $CGW_TEMPLATES_DIR, else the bundled copy, else the checkout's."""
    override = os.environ.get("CGW_TEMPLATES_DIR")
    if override:
        return Path(override)
    return _data_folder("device_templates")


def example_inventory_root() -> Path:
    """The example inventory (it matches the VPN connections `cgw lab aws` seeds)."""
    return _data_folder("inventory")
