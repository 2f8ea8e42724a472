"""The contract against each platform's simulated router (found through the lab's registry):
a push makes the device need no further change and brings both tunnels up; a session cut at
any line leaves the device exactly as it was or exactly as intended once cgw has recovered.

Parametrised over every registered platform that some simulator stands in for, so a new
vendor with a simulator is held to it with no test written for it.
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from dataclasses import dataclass
from pathlib import Path

import pytest

from cgw.aws import AwsContext
from cgw.errors import DeviceError
from cgw.inventory import load_inventory
from cgw.platforms import get_platform
from cgw.push import push_plan
from cgw.workflow import DeviceJob, SshOptions, device_session, plan_on_session, vpns_for_devices

pytest.importorskip("moto")

from cgw.lab.router_lab import RouterLab, lab_branches, served_platforms, start_router_lab
from cgw.lab.routers import SimRouter

PLATFORMS = served_platforms()
MAX_CUTS = 400
# A session of up to this many lines is cut at every line; a longer one (FortiOS, PAN-OS push
# 100+ lines and each cut costs two SSH sessions) at its first and last lines and evenly between.
EVERY_LINE_UP_TO = 80
EDGE_CUTS = 12
MIDDLE_CUTS = 24


def cut_points(total: int) -> list[int]:
    """Where to cut a session of `total` lines (1-based); the last cut lets the push finish."""
    if total <= EVERY_LINE_UP_TO:
        return list(range(1, total + 2))
    step = (total - 2 * EDGE_CUTS) / (MIDDLE_CUTS + 1)
    middle = {EDGE_CUTS + round(step * (i + 1)) for i in range(MIDDLE_CUTS)}
    edges = {*range(1, EDGE_CUTS + 1), *range(total - EDGE_CUTS + 1, total + 2)}
    return sorted(edges | middle)


@dataclass
class Bench:
    """One simulated router of a platform, its inventory device and VPN, and SSH options."""

    lab: RouterLab
    router: SimRouter
    job: DeviceJob
    ssh: SshOptions
    backups: Path


@pytest.fixture(params=PLATFORMS)
def bench(
    request: pytest.FixtureRequest, lab_aws: object, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> Iterator[Bench]:
    platform: str = request.param
    # One branch per platform, each with its own customer gateway address in the shared lab AWS.
    branches = [b for b in lab_branches(PLATFORMS, 1) if b.platform == platform]
    lab = start_router_lab(tmp_path / "lab", lab_aws.endpoint, branches)  # type: ignore[attr-defined]
    try:
        for name, value in lab.env.items():
            monkeypatch.setenv(name, value)
        device = load_inventory(tmp_path / "lab").devices[branches[0].name]
        job = vpns_for_devices(AwsContext(), [device])[0]
        router = lab.routers[device.name]
        router.clock.rate = 600.0  # revert timers and commit-confirmed windows pass quickly
        yield Bench(lab, router, job, SshOptions(known_hosts=lab.known_hosts), tmp_path / "b")
    finally:
        lab.stop()


def push_once(bench: Bench) -> str:
    """One push (no verify) on one session; its outcome."""
    deployer = get_platform(bench.job.device.platform).deployer
    with device_session(bench.job, bench.ssh) as session:
        job, running, plan = plan_on_session(session, bench.job)
        result = push_plan(deployer, session, job.device, running, plan, backup_dir=bench.backups)
    return result.outcome


def in_sync(bench: Bench) -> bool:
    with device_session(bench.job, bench.ssh) as session:
        return plan_on_session(session, bench.job)[2].in_sync


def test_push_brings_the_device_to_intended_and_a_second_plan_is_empty(bench: Bench) -> None:
    from cgw.workflow import verify_device

    assert not in_sync(bench)
    assert push_once(bench) == "applied"
    assert in_sync(bench)
    status = verify_device(bench.job, bench.ssh)
    assert status.overall == "UP", [t.reason for t in status.tunnels]


def test_cut_points_cover_short_sessions_whole_and_long_ones_at_both_ends() -> None:
    assert cut_points(5) == [1, 2, 3, 4, 5, 6]
    long = cut_points(300)
    assert long[:EDGE_CUTS] == list(range(1, EDGE_CUTS + 1)) and long[-1] == 301
    assert len(long) <= 2 * EDGE_CUTS + MIDDLE_CUTS + 1


@pytest.mark.timeout(900)
def test_a_drop_at_every_line_leaves_old_or_new(bench: Bench) -> None:
    router = bench.router
    old: Mapping[str, str] = dict(router.saved_files())
    before = router.context.lines_received
    push_once(bench)
    total = router.context.lines_received - before
    new = dict(router.saved_files())
    assert new != old
    deployer = get_platform(bench.job.device.platform).deployer
    outcomes: list[str] = []
    for cut in [*cut_points(total), *range(total + 2, MAX_CUTS)]:
        router.reset(old)
        opened_at = router.context.lines_received
        finished = False
        with device_session(bench.job, bench.ssh) as session:
            job, running, plan = plan_on_session(session, bench.job)
            router.faults.drop_after_lines = router.context.lines_received - opened_at + cut
            try:
                push_plan(deployer, session, job.device, running, plan, backup_dir=bench.backups)
                finished = True
            except DeviceError:
                pass
            finally:
                router.faults.clear()
        if not finished:
            with device_session(bench.job, bench.ssh) as session:
                deployer.recover(session, job.device, running)
        now = dict(router.saved_files())
        differs = sorted(k for k in {*old, *now} if old.get(k) != now.get(k))
        detail = [(now.get(k), old.get(k), new.get(k)) for k in differs]
        assert now in (old, new), f"cut at line {cut}: neither old nor new ({differs}) {detail}"
        outcomes.append("old" if now == old else "new")
        if finished:
            break
    assert outcomes[-1] == "new", "no push completed"
    assert len(outcomes) > 1
