"""Build hook: bundle the top-level `device_templates/` and `inventory/` into the built package.

The repository keeps both folders at its top level; a wheel carries them as
`cgw/_bundled/device_templates` and `cgw/_bundled/inventory`, where `cgw.resources` finds them.
Editable installs get no copy: they read the checkout's folders directly.
"""

from __future__ import annotations

import shutil
from pathlib import Path

from setuptools import setup
from setuptools.command.build_py import build_py

BUNDLED = ("device_templates", "inventory")
HERE = Path(__file__).resolve().parent


class BuildPyWithResources(build_py):
    """`build_py` that also copies the top-level resource folders into `cgw/_bundled/`."""

    def run(self) -> None:
        super().run()
        if getattr(self, "editable_mode", False):
            return
        for name in BUNDLED:
            source = HERE / name
            if not source.is_dir():
                raise SystemExit(f"cgw build: {source} is missing; cannot bundle it")
            target = Path(self.build_lib) / "cgw" / "_bundled" / name
            if target.exists():
                shutil.rmtree(target)
            shutil.copytree(source, target, ignore=shutil.ignore_patterns("__pycache__", "*.pyc"))

    def get_outputs(self, include_bytecode: bool = True) -> list[str]:
        outputs = list(super().get_outputs(include_bytecode))
        if getattr(self, "editable_mode", False):
            return outputs
        for name in BUNDLED:
            for path in sorted((HERE / name).rglob("*")):
                if path.is_file() and "__pycache__" not in path.parts:
                    relative = path.relative_to(HERE)
                    outputs.append(str(Path(self.build_lib) / "cgw" / "_bundled" / relative))
        return outputs


setup(cmdclass={"build_py": BuildPyWithResources})
