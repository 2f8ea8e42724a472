"""How Junos writes a value in its configuration (shared by the renderer and the planner)."""

from __future__ import annotations


def logical_interface(name: str) -> str:
    """A Junos logical interface name: `ge-0/0/0` means unit 0, as Junos displays it."""
    return name if "." in name else f"{name}.0"
