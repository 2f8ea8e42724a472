"""`cgw init`: a commented starter inventory `cgw inventory check` accepts, never overwriting."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from cgw.cli import main
from cgw.commands.init import INVENTORY_FILES, starter_inventory
from cgw.inventory import CredentialsSpec, HostSpec, LocalSpec, VpnSpec, load_inventory
from cgw.platforms import all_platforms
from cgw.resources import example_inventory_root

# A documented key in the comments: "#   name   explanation" (two spaces or more before it).
_DOCUMENTED_KEY = re.compile(r"^#\s+(\w+):?\s{2,}\S", re.MULTILINE)
_INVENTORY_KEYS = (
    set(HostSpec.model_fields)
    | set(CredentialsSpec.model_fields)
    | set(VpnSpec.model_fields)
    | set(LocalSpec.model_fields)
)


def _init(argv: list[str]) -> int:
    return main(["init", *argv])


def test_writes_three_files_that_inventory_check_accepts(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    folder = tmp_path / "nested" / "inv"
    assert _init([str(folder)]) == 0
    assert sorted(p.name for p in folder.iterdir()) == sorted(INVENTORY_FILES)
    out = capsys.readouterr().out
    assert f"cgw -i {folder} inventory check" in out
    assert main(["-i", str(folder), "inventory", "check"]) == 0
    assert "4 devices, OK" in capsys.readouterr().out or len(all_platforms()) != 4


def test_one_example_device_per_registered_platform(tmp_path: Path) -> None:
    assert _init([str(tmp_path / "inv")]) == 0
    devices = load_inventory(tmp_path / "inv").devices.values()
    platforms = all_platforms()
    assert sorted(d.platform for d in devices) == sorted(platforms)
    for device in devices:
        assert device.local.wan_interface == platforms[device.platform].default_wan_interface
        assert device.groups == (device.platform,)
    selectors = [d.vpn for d in devices]
    assert any(v.vpn_id for v in selectors) and any(v.customer_gateway_ip for v in selectors)


def test_comments_explain_every_key_the_brief_names_and_only_real_keys(tmp_path: Path) -> None:
    text = "\n".join(starter_inventory(all_platforms()).values())
    documented = set(_DOCUMENTED_KEY.findall(text))
    assert documented <= _INVENTORY_KEYS, documented - _INVENTORY_KEYS
    wanted = {
        "username", "username_env", "password_env", "secret_env", "key_file",
        "vpn_id", "customer_gateway_ip", "wan_interface", "tunnel_numbers",
        "advertised_prefixes", "static_routes", "local_asn", "release", "host", "port",
        "groups", "platform", "timeout", "local_outside_ip",
    }  # fmt: skip
    assert wanted <= documented, wanted - documented
    assert "password:" not in text and "secret:" not in text


def test_every_commented_out_example_is_valid_once_uncommented(tmp_path: Path) -> None:
    commented_setting = re.compile(r"^(\s*)# (\w+: \S.*)$", re.MULTILINE)
    folder = tmp_path / "inv"
    folder.mkdir()
    uncommented = 0
    for name, text in starter_inventory(all_platforms()).items():
        new_text, count = commented_setting.subn(r"\1\2", text)
        uncommented += count
        (folder / name).write_text(new_text)
    assert uncommented >= len(all_platforms()) * 2
    devices = load_inventory(folder).devices.values()
    assert all(d.local.local_asn == 65000 and d.local.static_routes for d in devices)
    assert all(d.credentials.key_file and d.credentials.secret_env for d in devices)


def test_default_folder_is_inventory_in_the_working_folder(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.chdir(tmp_path)
    monkeypatch.delenv("CGW_INVENTORY", raising=False)
    assert _init([]) == 0
    assert (tmp_path / "inventory" / "hosts.yaml").is_file()
    assert main(["inventory", "check"]) == 0


def test_default_folder_follows_the_inventory_option(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.setenv("CGW_INVENTORY", str(tmp_path / "site"))
    assert _init([]) == 0
    assert "next: edit them, then `cgw inventory check`" in capsys.readouterr().out
    assert main(["inventory", "check"]) == 0
    assert main(["-i", str(tmp_path / "other"), "init"]) == 0
    assert (tmp_path / "other" / "groups.yaml").is_file()


@pytest.mark.parametrize("existing", INVENTORY_FILES)
def test_refuses_to_overwrite_any_file_and_writes_nothing(
    existing: str, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    (tmp_path / existing).write_text("# mine\n")
    assert _init([str(tmp_path)]) == 1
    captured = capsys.readouterr()
    lines = captured.err.splitlines()
    assert len(lines) == 1 and existing in lines[0] and "overwrite" in lines[0]
    assert captured.out == ""
    assert [p.name for p in tmp_path.iterdir()] == [existing]
    assert (tmp_path / existing).read_text() == "# mine\n"


def test_a_file_where_the_folder_should_be_is_one_line_exit_1(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    (tmp_path / "inv").write_text("x")
    assert _init([str(tmp_path / "inv")]) == 1
    assert len(capsys.readouterr().err.splitlines()) == 1


def test_example_writes_the_bundled_example_inventory(tmp_path: Path) -> None:
    assert _init(["--example", str(tmp_path / "ex")]) == 0
    for name in INVENTORY_FILES:
        source = example_inventory_root() / name
        assert (tmp_path / "ex" / name).read_text() == source.read_text()
    assert main(["-i", str(tmp_path / "ex"), "inventory", "check"]) == 0
