"""How fast cgw parses show output, against raw TextFSM on the same templates.

Cycles through the real captures in tests/data/<platform>/<command>/*.raw of every platform
that has a `cgw.platforms.<platform>.status` module, parses COUNT of them through cgw
(`parse_command`, and `parse_outputs` for the normalised view), then the same captures through
`textfsm.TextFSM(open(template)).ParseText(output)`, and prints captures/s and the ratio.

    python benchmarks/parse.py [--count 1000] [--data tests/data] [--platform cisco_ios]
"""

from __future__ import annotations

import argparse
import importlib
import itertools
import sys
import time
from collections.abc import Callable
from dataclasses import dataclass, replace
from pathlib import Path
from types import ModuleType
from typing import Any

import textfsm

from cgw.parsing import command_filename

DEFAULT_DATA = Path(__file__).resolve().parent.parent / "tests" / "data"


@dataclass(frozen=True)
class Capture:
    """One saved output of one command, and the templates cgw used to parse it."""

    platform: str
    command: str
    path: Path
    output: str
    status_module: ModuleType
    templates: tuple[Path, ...] = ()


def status_module(platform: str) -> ModuleType | None:
    """`cgw.platforms.<platform>.status`, or None when that platform has no parsers yet."""
    try:
        return importlib.import_module(f"cgw.platforms.{platform}.status")
    except ModuleNotFoundError:
        return None


def command_folder(command: str) -> str:
    """The tests/data folder name of a command (ntc-templates' layout)."""
    return command_filename(command).removesuffix(".txt")


def find_captures(data: Path, only: str | None) -> list[Capture]:
    """Every .raw capture of a verify command, for platforms with a status module."""
    captures: list[Capture] = []
    for platform_dir in sorted(p for p in data.iterdir() if p.is_dir()):
        if only is not None and platform_dir.name != only:
            continue
        module = status_module(platform_dir.name)
        if module is None:
            continue
        for command in module.VERIFY_COMMANDS:
            for raw in sorted((platform_dir / command_folder(command)).glob("*.raw")):
                output = raw.read_text(encoding="utf-8")
                captures.append(Capture(platform_dir.name, command, raw, output, module))
    return captures


def with_templates(capture: Capture) -> Capture:
    """The capture plus the template cgw uses to parse it."""
    path = capture.status_module.PARSERS.template_path(capture.command)
    return replace(capture, templates=(path,))


def cgw_rows(capture: Capture) -> Any:
    return capture.status_module.parse_command(capture.command, capture.output)


def cgw_normalised(capture: Capture) -> Any:
    return capture.status_module.parse_outputs({capture.command: capture.output})


def raw_textfsm(capture: Capture) -> Any:
    rows = []
    for template in capture.templates:
        with open(template, encoding="utf-8") as handle:
            rows.append(textfsm.TextFSM(handle).ParseText(capture.output))
    return rows


def rate(parse: Callable[[Capture], Any], captures: list[Capture]) -> float:
    """Captures per second for `parse` over `captures`, after one untimed warm-up call each."""
    for capture in dict.fromkeys(captures):
        parse(capture)
    start = time.perf_counter()
    for capture in captures:
        parse(capture)
    elapsed = time.perf_counter() - start
    return len(captures) / elapsed if elapsed > 0 else float("inf")


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--count", type=int, default=1000, help="captures to parse (default 1000)")
    parser.add_argument("--data", type=Path, default=DEFAULT_DATA, help="tests/data folder")
    parser.add_argument("--platform", help="only this platform's captures")
    args = parser.parse_args(argv)
    if args.count < 1:
        parser.error("--count must be at least 1")

    found = [with_templates(c) for c in find_captures(args.data, args.platform)]
    if not found:
        print(f"no captures of verify commands under {args.data}", file=sys.stderr)
        return 1
    untemplated = [c for c in found if not c.templates]
    comparable = [c for c in found if c.templates]
    captures = list(itertools.islice(itertools.cycle(found), args.count))
    raw_captures = list(itertools.islice(itertools.cycle(comparable), args.count))

    platforms = sorted({c.platform for c in found})
    print(f"{len(found)} distinct captures ({', '.join(platforms)}), parsing {args.count}")
    cgw_rate = rate(cgw_rows, captures)
    print(f"cgw parse_command      {cgw_rate:10.0f} captures/s")
    print(f"cgw parse_outputs      {rate(cgw_normalised, captures):10.0f} captures/s")
    if raw_captures:
        raw_rate = rate(raw_textfsm, raw_captures)
        print(f"raw textfsm            {raw_rate:10.0f} captures/s")
        print(f"ratio cgw/raw          {cgw_rate / raw_rate:10.2f}")
    for capture in untemplated:
        print(f"not compared (no TextFSM template used): {capture.path}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
