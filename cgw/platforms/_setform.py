"""Vendor-neutral helpers for configurations written as `set` statements (Junos, PAN-OS).

A set-form configuration is a list of leaf statements; these helpers normalise them, split a
multi-valued leaf printed as `[ a b ]` into one statement per member, and order lines by a
table of prefixes. Nothing here knows a vendor's hierarchy: callers pass their own tables.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Sequence

_MEMBERS = re.compile(r"^(?P<path>.*?) \[ (?P<members>[^\]]*) \]$")


def set_lines(text: str) -> list[str]:
    """The `set` statements of a configuration, whitespace-normalised, in order."""
    return [" ".join(line.split()) for line in text.splitlines() if line.strip().startswith("set ")]


def split_members(line: str) -> tuple[str, tuple[str, ...]] | None:
    """`set a b [ x y ]` → (`set a b`, (x, y)); None when the line holds no member list."""
    m = _MEMBERS.match(line)
    if m is None:
        return None
    return m.group("path"), tuple(m.group("members").split())


def explode(line: str, member_paths: Sequence[re.Pattern[str]]) -> list[str]:
    """One statement per member for a list leaf whose path matches `member_paths`."""
    split = split_members(line)
    if split is None or not any(p.match(split[0]) for p in member_paths):
        return [line]
    path, values = split
    return [f"{path} {value}" for value in values]


def section(line: str, order: Sequence[str]) -> int:
    """The index of the first prefix in `order` that `line` starts with (last when none)."""
    return next((i for i, prefix in enumerate(order) if line.startswith(prefix)), len(order))


def canonical(lines: Iterable[str], order: Sequence[str]) -> str:
    """Lines grouped by `order` then sorted, so the same set of lines always reads the same."""
    ordered = sorted(dict.fromkeys(lines), key=lambda line: (section(line, order), line))
    return "".join(f"{line}\n" for line in ordered)
