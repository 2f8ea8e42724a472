"""`cgw.resources`: templates and example inventory, installed (bundled) or in a checkout."""

from __future__ import annotations

from pathlib import Path

import pytest

from cgw import render, resources

REPO = Path(__file__).resolve().parent.parent


@pytest.fixture
def no_override(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("CGW_TEMPLATES_DIR", raising=False)


@pytest.mark.usefixtures("no_override")
def test_a_checkout_reads_its_top_level_folders() -> None:
    assert not resources.BUNDLED.exists(), "a stale cgw/_bundled would shadow the checkout"
    assert resources.templates_root() == REPO / "device_templates"
    assert resources.example_inventory_root() == REPO / "inventory"
    assert render.templates_root() == resources.templates_root()


@pytest.mark.usefixtures("no_override")
def test_an_installed_package_reads_its_bundled_copy(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    for name in ("device_templates", "inventory"):
        (tmp_path / name).mkdir()
    monkeypatch.setattr(resources, "BUNDLED", tmp_path)
    assert resources.templates_root() == tmp_path / "device_templates"
    assert resources.example_inventory_root() == tmp_path / "inventory"


def test_the_environment_overrides_the_templates(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("CGW_TEMPLATES_DIR", str(tmp_path))
    monkeypatch.setattr(resources, "BUNDLED", REPO / "cgw")  # even with a bundled copy
    assert resources.templates_root() == tmp_path
