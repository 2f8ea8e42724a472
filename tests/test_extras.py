"""`cgw demo` and every `cgw lab …` command without the lab extra: one line, exit 1, no leftovers.

moto is hidden from a real `cgw` process by an import hook (the installed-wheel suite checks the
same in a venv that truly lacks the extra).
"""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import click
import pytest

from cgw.commands import demo, lab

# Runs cgw with every `moto` import failing as it does when the package is not installed.
_WITHOUT_MOTO = """
import sys
class HideMoto:
    def find_spec(self, name, path=None, target=None):
        if name == "moto" or name.startswith("moto."):
            raise ModuleNotFoundError(f"No module named {name!r}", name=name)
        return None
sys.meta_path.insert(0, HideMoto())
from cgw.cli import main
sys.exit(main(sys.argv[1:]))
"""


def _leaf_commands(group: click.Group, prefix: tuple[str, ...]) -> list[tuple[str, ...]]:
    """Every runnable command under `group`, as argv (found, not listed: new ones are covered)."""
    found: list[tuple[str, ...]] = []
    for name, sub in sorted(group.commands.items()):
        if isinstance(sub, click.Group):
            found += _leaf_commands(sub, (*prefix, name))
        else:
            found.append((*prefix, name))
    return found


LAB_COMMANDS = [("demo",), *_leaf_commands(lab.command, ("lab",))]


def test_every_lab_command_is_covered() -> None:
    assert ("lab", "aws") in LAB_COMMANDS
    assert demo.command.name == "demo"
    assert len(LAB_COMMANDS) >= 4


@pytest.mark.parametrize("argv", LAB_COMMANDS, ids=" ".join)
def test_without_lab_extra_one_line_exit_1_nothing_left(
    argv: tuple[str, ...], tmp_path: Path
) -> None:
    temp = tmp_path / "tmp"
    temp.mkdir()
    cwd = tmp_path / "cwd"
    cwd.mkdir()
    env = {**os.environ, "TMPDIR": str(temp), "CGW_DEBUG": "0"}
    result = subprocess.run(
        [sys.executable, "-c", _WITHOUT_MOTO, *argv],
        cwd=cwd, env=env, capture_output=True, text=True, timeout=60,
    )  # fmt: skip
    assert result.returncode == 1, result.stderr
    lines = result.stderr.splitlines()
    assert len(lines) == 1, result.stderr
    assert "pip install 'cgw[lab]'" in lines[0]
    assert "moto" in lines[0]
    assert "internal error" not in lines[0] and "Traceback" not in result.stderr
    assert list(temp.iterdir()) == [], "a temp folder was left behind"
    assert list(cwd.iterdir()) == [], "files were written to the working folder"


def test_with_lab_extra_the_guard_passes() -> None:
    from cgw.extras import require_lab

    pytest.importorskip("moto")
    require_lab("cgw demo")
