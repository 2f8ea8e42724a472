"""`--prune`: a plan also removes what cgw created for VPNs the device no longer terminates,
and never anything else; without it an old VPN's objects are left alone."""

from __future__ import annotations

import subprocess
import sys
from dataclasses import replace
from pathlib import Path

import pytest
from render_cases import golden_cases

from cgw.errors import CgwError
from cgw.lab.routers import start_router
from cgw.model import RUNNING_CONFIG, DeviceConfig, DeviceFile
from cgw.platforms import get_platform
from cgw.workflow import DeviceJob, Resolved, plan_running, render_config

OLD_ID = "vpn-0ffff000011112222"  # a VPN this device terminated before


def old_and_new(platform: str, tmp_path: Path) -> tuple[DeviceJob, DeviceConfig]:
    """A device holding an old VPN's config (other tunnel numbers) and the current one's, as
    its simulator prints it once it has loaded both."""
    device, vpn = golden_cases(platform)["branch-01"]
    old_vpn = replace(vpn, id=OLD_ID)
    moved = replace(device, local=replace(device.local, tunnel_numbers=(11, 12)))
    old, new = render_config(moved, old_vpn), render_config(device, vpn)
    if [f.path for f in new.files] == [RUNNING_CONFIG]:
        setup = {"initial_config": old.text + new.text}
    else:
        setup = {"initial_files": {f.path: f.content for f in (*old.files, *new.files)}}
    router = start_router(
        platform, hostname=device.name, username="u", password="pw-" + "x" * 12,
        host_key_path=tmp_path / "key", **setup,  # type: ignore[arg-type]
    )  # fmt: skip
    try:
        saved = router.saved_files()
    finally:
        router.stop()
    files = tuple(DeviceFile(path, content) for path, content in saved.items())
    return DeviceJob(device, vpn), DeviceConfig(device.name, platform, files)


def test_resolved_pruning_marks_every_job() -> None:
    device, vpn = golden_cases("cisco_xe")["branch-01"]
    resolved = Resolved(jobs=[DeviceJob(device, vpn)], failures={})
    assert resolved.pruning(False) is resolved
    assert [job.prune for job in resolved.pruning(True).jobs] == [True]


@pytest.mark.parametrize("platform", ["cisco_xe", "juniper_junos", "strongswan"])
def test_an_old_vpn_is_left_alone_without_prune_and_removed_with_it(
    platform: str, tmp_path: Path
) -> None:
    job, running = old_and_new(platform, tmp_path)
    assert plan_running(job, running).in_sync  # the current VPN is in place; the old one stays
    pruned = plan_running(replace(job, prune=True), running)
    assert not pruned.in_sync
    removed = [r for r in pruned.remove if not r.startswith(" ")]  # top-level statements
    removed += [c.path for c in pruned.files if c.new is None]
    assert removed and all(
        OLD_ID.removeprefix("vpn-") in r or "11" in r or "12" in r for r in removed
    )
    assert not [r for r in removed if job.vpn.id in r]  # nothing of the current VPN


def test_a_platform_that_cannot_prune_says_so_in_one_line() -> None:
    device, vpn = golden_cases("paloalto_panos")["branch-01"]
    deployer = get_platform("paloalto_panos").deployer
    with pytest.raises(CgwError, match="--prune is not available"):
        deployer.owned(DeviceConfig.cli(device.name, device.platform, ""), device, vpn, prune=True)


@pytest.mark.parametrize("command", ["diff", "push"])
def test_prune_is_an_option_of_diff_and_push(command: str) -> None:
    done = subprocess.run(
        [sys.executable, "-m", "cgw", command, "--help"],
        capture_output=True, text=True, check=False, timeout=60,
    )  # fmt: skip
    assert done.returncode == 0 and "--prune" in done.stdout
