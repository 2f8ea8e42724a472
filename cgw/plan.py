"""Plans: what must change on a device so it holds exactly cgw's intended config for a VPN.

A plan is computed from the running configuration limited to what cgw owns (the platform's
`owned()` scope) and the rendered intended configuration; platforms compute it, this module
holds the shape and the views every platform shares (a unified diff, a masked command list).
"""

from __future__ import annotations

import difflib
from dataclasses import dataclass, field

from cgw.secrets import Masker


@dataclass(frozen=True)
class FileChange:
    """A file on a Linux host that must get new content (None: removed)."""

    path: str
    old: str | None
    new: str | None
    mode: int = 0o600


@dataclass(frozen=True)
class Plan:
    """The exact change for one device: CLI commands in order, or file changes.

    `commands` is what will be sent, in order (for CLI platforms it already includes the
    configuration-mode framing the platform needs, e.g. none for IOS `configure terminal` blocks;
    platforms document it). `remove`/`add` are the same change as line sets, for people and JSON.
    """

    device: str
    platform: str
    vpn_id: str
    running: str  # the owned part of the running configuration, as read
    intended: str  # the intended configuration (all files joined for hosts)
    commands: tuple[str, ...] = ()
    remove: tuple[str, ...] = ()
    add: tuple[str, ...] = ()
    files: tuple[FileChange, ...] = ()
    notes: tuple[str, ...] = field(default=())  # e.g. "PSK lines compared by hash"

    @property
    def in_sync(self) -> bool:
        return not self.commands and not self.files

    def unified_diff(self) -> str:
        """running → intended as a unified diff (unmasked: mask before showing it)."""
        if self.files:
            return "".join(file_diff(c.path, c.old or "", c.new or "") for c in self.files)
        return file_diff(f"{self.device} running", self.running, self.intended)

    def masked(self, masker: Masker) -> MaskedPlan:
        """The same plan with every secret replaced by its label, for output."""
        return MaskedPlan(
            diff=masker.mask_diff(self.unified_diff()),
            commands=tuple(masker.mask_all(self.commands)),
        )


@dataclass(frozen=True)
class MaskedPlan:
    """What `cgw diff` shows: the diff and the commands, secrets as `<psk:tunnel1>`."""

    diff: str
    commands: tuple[str, ...]


def file_diff(name: str, old: str, new: str) -> str:
    """A unified diff of two texts, labelled like `diff -u` output."""
    lines = difflib.unified_diff(
        old.splitlines(keepends=True),
        new.splitlines(keepends=True),
        fromfile=f"{name} (device)",
        tofile=f"{name} (cgw)",
    )
    text = "".join(line if line.endswith("\n") else line + "\n" for line in lines)
    return text
