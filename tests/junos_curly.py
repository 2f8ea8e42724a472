"""Junos curly-brace configuration → `display set` lines (how tests/data converted configs).

Usage: python tests/junos_curly.py < config.conf > config.set

Rules (the ones `show configuration | display set` follows): a `name {` block prefixes its
statements; `leaf value;` is one line; `leaf [ a b ];` is one line per element; an
`inactive:` statement also gets a `deactivate` line; `## ...` trailers and `/* */` comments go.
"""

from __future__ import annotations

import re
import sys

_TOKEN = re.compile(r'"(?:[^"\\]|\\.)*"|[{};\[\]]|[^\s{};\[\]"]+')


def curly_to_set(text: str) -> list[str]:
    """The `set` (and `deactivate`) lines of a hierarchical Junos configuration."""
    text = re.sub(r"/\*.*?\*/", "", text, flags=re.DOTALL)
    text = "\n".join(line.split("##", 1)[0] for line in text.splitlines())
    tokens = _TOKEN.findall(text)
    lines: list[str] = []
    stack: list[list[str]] = []
    inactive: list[bool] = []
    words: list[str] = []
    in_list = False
    items: list[str] = []
    for token in tokens:
        if token == "[":
            in_list, items = True, []
        elif token == "]":
            in_list = False
        elif in_list:
            items.append(token)
        elif token == "{":
            stack.append(words)
            inactive.append(bool(words) and words[0] == "inactive:")
            words = []
        elif token == "}":
            stack.pop()
            inactive.pop()
            words = []
        elif token == ";":
            _leaf(lines, [w for frame in stack for w in frame], words, items)
            words, items = [], []
        else:
            words.append(token)
    return lines


def _leaf(lines: list[str], parents: list[str], words: list[str], items: list[str]) -> None:
    path = [w for w in parents if w != "inactive:"]
    off = "inactive:" in parents or words[:1] == ["inactive:"]
    words = [w for w in words if w != "inactive:"]
    for item in items or [""]:
        statement = " ".join(p for p in [*path, *words, item] if p)
        lines.append(f"set {statement}")
        if off:
            lines.append(f"deactivate {statement}")


if __name__ == "__main__":
    print("\n".join(curly_to_set(sys.stdin.read())))
