"""`cgw diff DEVICE --running-config SAVED`: the same plan as the online diff, with no SSH.

For every platform a simulated router serves, the router's configuration is saved as an engineer
would (a CLI router's running configuration as it shows it; a host's files as a folder and as a
tar archive), then the offline diff must print exactly what the online diff against that router
prints: text, `--json` and exit code, before and after a push.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import tarfile
from collections.abc import Iterator
from pathlib import Path
from typing import TYPE_CHECKING

import pytest

from cgw.lab.router_lab import RouterLab, lab_branches, served_platforms, start_router_lab
from cgw.model import RUNNING_CONFIG

if TYPE_CHECKING:
    from cgw.lab.aws_server import LabAws

PLATFORMS = served_platforms()


@pytest.fixture(scope="module")
def router_lab(lab_aws: LabAws, tmp_path_factory: pytest.TempPathFactory) -> Iterator[RouterLab]:
    folder = tmp_path_factory.mktemp("offline-diff") / "lab"
    lab = start_router_lab(folder, lab_aws.endpoint, lab_branches(PLATFORMS, 1))
    try:
        yield lab
    finally:
        lab.stop()


def cgw(lab: RouterLab, *args: str, **env: str) -> subprocess.CompletedProcess[str]:
    """The real entry point in a child process, pointed at the lab like a user's shell."""
    return subprocess.run(
        [sys.executable, "-m", "cgw", "-i", str(lab.folder), *args],
        capture_output=True,
        text=True,
        timeout=300,
        env={**os.environ, **lab.env, **env},
        check=False,
    )


def save(lab: RouterLab, device: str, folder: Path) -> list[Path]:
    """The router's configuration saved as a user would: a file, or a folder and a tar archive."""
    saved = lab.routers[device].saved_files()
    if list(saved) == [RUNNING_CONFIG]:
        path = folder / f"{device}.txt"
        path.write_text(saved[RUNNING_CONFIG])
        return [path]
    root = folder / device
    for host_path, content in saved.items():
        target = root / host_path.lstrip("/")
        target.parent.mkdir(parents=True, exist_ok=True)
        target.write_text(content)
    archive = folder / f"{device}.tar.gz"
    with tarfile.open(archive, "w:gz") as tar:
        tar.add(root, arcname=".")
    return [root, archive]


def assert_same_plan(lab: RouterLab, device: str, saved: Path, empty_known_hosts: Path) -> int:
    """Offline and online diff print the same text and JSON and exit alike; the exit code."""
    online_text = cgw(lab, "diff", device)
    online_json = cgw(lab, "diff", device, "--json")
    assert online_text.returncode in (0, 2), online_text.stdout + online_text.stderr
    # An empty known_hosts: any SSH attempt would fail the host key check.
    no_ssh = {"CGW_KNOWN_HOSTS": str(empty_known_hosts)}
    offline_text = cgw(lab, "diff", device, "--running-config", str(saved), **no_ssh)
    offline_json = cgw(lab, "diff", device, "--running-config", str(saved), "--json", **no_ssh)
    assert offline_text.stdout == online_text.stdout, offline_text.stderr
    assert offline_text.returncode == online_text.returncode
    offline, online = json.loads(offline_json.stdout), json.loads(online_json.stdout)
    assert offline == online
    assert [r["status"] for r in online["results"]] == ["ok"]
    assert offline_json.returncode == online_json.returncode == online_text.returncode
    return online_text.returncode


@pytest.mark.parametrize("platform", PLATFORMS)
def test_offline_diff_gives_the_online_plan(
    router_lab: RouterLab, platform: str, tmp_path: Path
) -> None:
    device = next(b.name for b in router_lab.branches if b.platform == platform)
    empty = tmp_path / "empty_known_hosts"
    empty.write_text("")
    bare = tmp_path / "bare"
    bare.mkdir()
    for saved in save(router_lab, device, bare):
        assert assert_same_plan(router_lab, device, saved, empty) == 2
    pushed = cgw(router_lab, "push", device, "--yes")
    assert pushed.returncode == 0, pushed.stdout + pushed.stderr
    after = tmp_path / "after"
    after.mkdir()
    for saved in save(router_lab, device, after):
        assert assert_same_plan(router_lab, device, saved, empty) == 0
    # The bare router's saved configuration still plans the whole change, offline.
    for saved in save_again(bare, device):
        result = cgw(router_lab, "diff", device, "--running-config", str(saved), "--json")
        assert result.returncode == 2
        assert json.loads(result.stdout)["results"][0]["data"]["commands"]


def save_again(folder: Path, device: str) -> list[Path]:
    return sorted(p for p in folder.iterdir() if p.name.startswith(device))


# --------------------------------------------------------------------------- errors


@pytest.fixture
def any_device(router_lab: RouterLab) -> str:
    return router_lab.branches[0].name


def one_line_error(result: subprocess.CompletedProcess[str]) -> str:
    assert result.returncode == 1, result.stdout + result.stderr
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1, result.stderr
    return lines[0]


def test_missing_saved_config(router_lab: RouterLab, any_device: str, tmp_path: Path) -> None:
    missing = tmp_path / "nope.txt"
    line = one_line_error(cgw(router_lab, "diff", any_device, "--running-config", str(missing)))
    assert line == f"cgw: error: {missing}: no such file or folder"


def test_saved_config_that_is_not_text(
    router_lab: RouterLab, any_device: str, tmp_path: Path
) -> None:
    binary = tmp_path / "dump.bin"
    binary.write_bytes(b"\xff\xfe\x00garbage")
    line = one_line_error(cgw(router_lab, "diff", any_device, "--running-config", str(binary)))
    assert line == f"cgw: error: {binary}: not UTF-8 text"


@pytest.mark.skipif(os.geteuid() == 0, reason="root reads files whatever their mode")
def test_unreadable_saved_config(router_lab: RouterLab, any_device: str, tmp_path: Path) -> None:
    locked = tmp_path / "locked.txt"
    locked.write_text("hostname x\n")
    locked.chmod(0)
    line = one_line_error(cgw(router_lab, "diff", any_device, "--running-config", str(locked)))
    assert line.startswith(f"cgw: error: {locked}: cannot read it")


def test_unreadable_archive(router_lab: RouterLab, any_device: str, tmp_path: Path) -> None:
    archive = tmp_path / "host.tar"
    with tarfile.open(archive, "w") as tar:
        tar.add(tmp_path, arcname=".")  # holds no regular file
    line = one_line_error(cgw(router_lab, "diff", any_device, "--running-config", str(archive)))
    assert line == f"cgw: error: {archive}: the archive holds no files"


@pytest.mark.parametrize("selection", [["--all"], ["-g", "lab"], ["A", "B"]])
def test_running_config_takes_exactly_one_device(
    router_lab: RouterLab, selection: list[str], tmp_path: Path
) -> None:
    saved = tmp_path / "saved.txt"
    saved.write_text("hostname x\n")
    names = [b.name for b in router_lab.branches[:2]]
    args = [names[0], names[1]] if selection == ["A", "B"] else selection
    line = one_line_error(cgw(router_lab, "diff", *args, "--running-config", str(saved)))
    assert line == "cgw: error: --running-config plans one device: name exactly one"


@pytest.mark.parametrize("platform", PLATFORMS)
def test_a_router_started_from_a_saved_config_runs_that_config(
    router_lab: RouterLab, platform: str, tmp_path: Path
) -> None:
    """What `cgw lab routers --running-config` relies on: boot from a save, show the same."""
    from cgw.lab.aws_oracle import AwsOracle
    from cgw.lab.router_lab import initial_config
    from cgw.lab.routers import start_router
    from cgw.saved_config import load_saved_config

    branch = next(b for b in router_lab.branches if b.platform == platform)
    original = router_lab.routers[branch.name]
    for saved in save(router_lab, branch.name, tmp_path):
        text, files = initial_config(load_saved_config(saved, branch.name, platform))
        copy = start_router(
            platform,
            hostname=branch.name,
            username=branch.username,
            password="x",
            host_key_path=tmp_path / "copy.key",
            outside_ip=branch.cgw_ip,
            initial_config=text,
            initial_files=files,
        )
        try:
            assert copy.saved_files() == original.saved_files()
            # And the AWS-backed oracle judges both alike (tunnels up once pushed).
            judge = AwsOracle([vpn_id(router_lab, branch.name)], report=False)
            assert judge.evaluate(copy.kind, copy.running_config()) == judge.evaluate(
                original.kind, original.running_config()
            )
        finally:
            copy.stop()


def vpn_id(lab: RouterLab, device: str) -> str:
    """The VPN connection the lab created for `device` (by its Name tag)."""
    from cgw.lab.seed import lab_ec2_client

    ec2 = lab_ec2_client(lab.env["AWS_ENDPOINT_URL"])
    found = ec2.describe_vpn_connections(Filters=[{"Name": "tag:Name", "Values": [device]}])
    return str(found["VpnConnections"][0]["VpnConnectionId"])
