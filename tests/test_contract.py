"""The contract every registered platform keeps, napalm-style: one suite, parametrised over
`cgw.platforms.all_platforms()`, so a new vendor is held to it with no test written for it.

Per platform: the interface (attributes, options model, parsers, template folder), render
goldens (`tests/data/golden/<platform>/<case>.txt`), every real capture found under
`tests/data/<platform>/<command>/` (ntc-templates' layout, globbed), and plan round trips
(nothing → a change; a device that holds what cgw renders → no change). The round trips
against each platform's simulated router (running + plan == intended, a drop at every line
leaves old or new) live in tests/test_contract_lab.py.
"""

from __future__ import annotations

from pathlib import Path

import netmiko
import pytest
import yaml
from render_cases import check_golden, golden_cases

from cgw.errors import ValidationError
from cgw.model import DeviceConfig, PlatformOptions, RenderedConfig
from cgw.parsing import command_filename
from cgw.platforms import all_platforms, get_platform
from cgw.platforms.base import Platform
from cgw.render import templates_root

DATA = Path(__file__).parent / "data"
PLATFORMS = sorted(all_platforms())
CASES = sorted(golden_cases(PLATFORMS[0]))
MIN_CAPTURES = 5


def capture_root(platform: Platform) -> Path:
    """tests/data/<platform>/, or the folder of the platform whose templates it shares."""
    own = DATA / platform.name
    return own if own.is_dir() else DATA / platform.template_dir


def command_folders(platform: Platform) -> dict[str, str]:
    """Capture folder name → the command it holds, for every command the platform parses."""
    return {command_filename(c).removesuffix(".txt"): c for c in platform.parsers.templates}


CAPTURES = sorted(
    (name, raw) for name in PLATFORMS for raw in capture_root(get_platform(name)).glob("*/*.raw")
)


# --- the interface --------------------------------------------------------------------------
@pytest.mark.parametrize("name", PLATFORMS)
def test_is_a_platform_under_its_registered_name(name: str) -> None:
    platform = get_platform(name)
    assert isinstance(platform, Platform)
    assert platform.name == name
    assert platform.netmiko_device_type in netmiko.platforms
    for method in ("read_running", "owned", "plan", "transaction", "recover"):
        assert callable(getattr(platform.deployer, method))


@pytest.mark.parametrize("name", PLATFORMS)
def test_options_model_has_defaults_and_refuses_unknown_keys(name: str) -> None:
    options = get_platform(name).options
    assert issubclass(options, PlatformOptions)
    assert isinstance(options.from_settings({}), options)
    with pytest.raises(ValidationError, match="no_such_key"):
        options.from_settings({"no_such_key": "x"})


@pytest.mark.parametrize("name", PLATFORMS)
def test_templates_and_parsers_exist(name: str) -> None:
    platform = get_platform(name)
    assert sorted((templates_root() / platform.template_dir).glob("*.j2"))
    assert set(platform.verify_commands) <= set(platform.parsers.templates)
    for command in platform.parsers.templates:
        assert platform.parsers.template_path(command).is_file()


@pytest.mark.parametrize("name", PLATFORMS)
def test_release_hook_answers_none_for_output_it_does_not_know(name: str) -> None:
    assert get_platform(name).parse_release("% Invalid input detected at '^' marker.\n") is None


# --- rendering ------------------------------------------------------------------------------
@pytest.mark.parametrize("case", CASES)
@pytest.mark.parametrize("name", PLATFORMS)
def test_render_matches_golden(name: str, case: str) -> None:
    device, vpn = golden_cases(name)[case]
    rendered = get_platform(name).render(device, vpn)
    assert (rendered.device, rendered.platform, rendered.vpn_id) == (device.name, name, vpn.id)
    assert all(f.mode == 0o600 or f.mode == 0o700 for f in rendered.files)
    check_golden(f"{name}/{case}", rendered.text)


# --- parsing real captures ------------------------------------------------------------------
@pytest.mark.parametrize("name", PLATFORMS)
def test_every_verify_command_has_sourced_real_captures(name: str) -> None:
    platform = get_platform(name)
    root = capture_root(platform)
    for folder, command in command_folders(platform).items():
        if command not in platform.verify_commands:
            continue
        raws = sorted((root / folder).glob("*.raw"))
        assert len(raws) >= MIN_CAPTURES, f"{command}: {len(raws)} captures in {root / folder}"
        sources = (root / folder / "SOURCES.md").read_text(encoding="utf-8")
        for raw in raws:
            assert raw.name in sources, f"{raw} has no source in SOURCES.md"
            assert raw.with_suffix(".yml").is_file(), f"{raw} has no expected .yml"


@pytest.mark.parametrize("name", PLATFORMS)
def test_every_capture_folder_is_a_command_the_platform_parses(name: str) -> None:
    platform = get_platform(name)
    folders = {p.name for p in capture_root(platform).iterdir() if any(p.glob("*.raw"))}
    assert folders <= set(command_folders(platform))


@pytest.mark.parametrize(
    ("name", "raw"),
    CAPTURES,
    ids=lambda v: v if isinstance(v, str) else f"{v.parent.name}/{v.stem}",
)
def test_capture_parses_to_its_expected_rows_and_to_a_status(name: str, raw: Path) -> None:
    platform = get_platform(name)
    command = command_folders(platform)[raw.parent.name]
    text = raw.read_text(encoding="utf-8")
    expected = yaml.safe_load(raw.with_suffix(".yml").read_text(encoding="utf-8"))
    assert platform.parsers.parse(command, text) == expected["parsed_sample"]
    if command in platform.verify_commands:
        platform.parse_status({command: text})  # the normalised layer reads it too


# --- plans ----------------------------------------------------------------------------------
def nothing(rendered: RenderedConfig) -> DeviceConfig:
    return DeviceConfig(rendered.device, rendered.platform, ())


@pytest.mark.parametrize("case", CASES)
@pytest.mark.parametrize("name", PLATFORMS)
def test_a_device_without_the_vpn_gets_a_change(name: str, case: str) -> None:
    platform = get_platform(name)
    device, vpn = golden_cases(name)[case]
    intended = platform.render(device, vpn)
    deployer = platform.deployer
    plan = deployer.plan(deployer.owned(nothing(intended), device, vpn), intended, device, vpn)
    assert not plan.in_sync
    assert (plan.device, plan.platform, plan.vpn_id) == (device.name, name, vpn.id)


@pytest.mark.parametrize("case", CASES)
@pytest.mark.parametrize("name", PLATFORMS)
def test_a_device_holding_what_cgw_renders_needs_no_change(name: str, case: str) -> None:
    platform = get_platform(name)
    device, vpn = golden_cases(name)[case]
    intended = platform.render(device, vpn)
    deployer = platform.deployer
    owned = deployer.owned(intended.as_running(), device, vpn)
    plan = deployer.plan(owned, intended, device, vpn)
    assert plan.in_sync, plan.commands
    assert deployer.plan(owned, intended, device, vpn) == plan  # planning is pure
