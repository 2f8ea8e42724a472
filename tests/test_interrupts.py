"""Ctrl-C during a fleet push, as a user presses it: the real `cgw` in a child process, SIGINT at
several points, then every simulated router is read back. Each device must be exactly as it was
or exactly as cgw intends, the summary must say which, cgw exits 130, and no device that had not
been started is touched."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import threading
import time
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest
from envelope import parse_envelope

from cgw.lab.sim_lab import SimLab, start_sim_lab

DEVICES = ("branch-01", "branch-02", "branch-03")
# The lab's clock runs 60x, so a revert timer or `commit confirmed` left behind by an abandoned
# push (minutes on a real router) restores the device within seconds.
CLOCK_RATE = 60.0
# Added before every command a router answers, so a push takes long enough to interrupt.
LATENCY_S = 0.02


@pytest.fixture
def lab(tmp_path: Path) -> Iterator[SimLab]:
    lab = start_sim_lab(tmp_path / "lab", clock_rate=CLOCK_RATE)
    for router in lab.routers.values():
        router.faults.latency = LATENCY_S
    # An IOS router with an archive path, as cgw's README asks: `configure terminal revert
    # timer` is then the safety net that restores it when cgw goes away mid-change.
    ios = lab.routers["branch-01"]
    with ios.context.lock:
        ios.state.running.load("archive\n path flash:cgw-archive\n maximum 5\n")
    try:
        yield lab
    finally:
        lab.stop()


def cgw(lab: SimLab, *args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "cgw", *args],
        capture_output=True, text=True, timeout=300, env={**os.environ, **lab.env}, check=False,
    )  # fmt: skip


class Push:
    """`cgw push --all --yes --workers 1 --json` running in a child process."""

    def __init__(self, lab: SimLab) -> None:
        self.stderr: list[str] = []
        self.process = subprocess.Popen(
            [sys.executable, "-m", "cgw", "push", "--all", "--yes", "--workers", "1", "--json",
             "--verify-timeout", "20"],
            stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
            env={**os.environ, **lab.env},
        )  # fmt: skip
        self._reader = threading.Thread(target=self._read_stderr, daemon=True)
        self._reader.start()

    def _read_stderr(self) -> None:
        assert self.process.stderr is not None
        for line in self.process.stderr:
            self.stderr.append(line)

    def wait_for(self, condition: Callable[[], bool], what: str, timeout_s: float = 120) -> None:
        deadline = time.monotonic() + timeout_s
        while not condition():
            if self.process.poll() is not None:
                pytest.fail(f"cgw ended before {what}: {''.join(self.stderr)}")
            if time.monotonic() > deadline:
                pytest.fail(f"timed out waiting for {what}: {''.join(self.stderr)}")
            time.sleep(0.01)

    def said(self, text: str) -> bool:
        return any(text in line for line in self.stderr)

    def interrupt(self) -> None:
        self.process.send_signal(signal.SIGINT)

    def finish(self) -> tuple[int, dict[str, dict[str, object]]]:
        assert self.process.stdout is not None
        stdout = self.process.stdout.read()
        self.process.wait(timeout=300)
        self._reader.join(timeout=10)
        envelope = parse_envelope(stdout)
        assert envelope["interrupted"] is True
        rows = {item["name"]: item for item in envelope["results"]}
        return self.process.returncode, rows


def configs(lab: SimLab) -> dict[str, str]:
    return {name: lab.routers[name].running_config() for name in DEVICES}


def in_sync(lab: SimLab) -> dict[str, bool]:
    """Which devices hold exactly cgw's intended configuration, by a fresh `cgw diff`."""
    result = cgw(lab, "diff", "--all", "--json")
    items = parse_envelope(result.stdout)["results"]
    assert all(item["status"] == "ok" for item in items), result.stdout
    return {item["name"]: item["data"]["in_sync"] for item in items}


def settle(lab: SimLab, before: dict[str, str], timeout_s: float = 30) -> dict[str, str]:
    """The routers' configs once every device is exactly old or exactly new (safety nets run)."""
    deadline = time.monotonic() + timeout_s
    while True:
        now = configs(lab)
        synced = in_sync(lab)
        if all(now[d] == before[d] or synced[d] for d in DEVICES):
            return now
        if time.monotonic() > deadline:
            mixed = [d for d in DEVICES if now[d] != before[d] and not synced[d]]
            pytest.fail(f"neither old nor new after {timeout_s} s: {mixed}")
        time.sleep(0.5)


def check_each_device(
    lab: SimLab, before: dict[str, str], rows: dict[str, dict[str, object]]
) -> dict[str, str]:
    """Every device exactly old or exactly new, and the summary says which; returns the states."""
    after = settle(lab, before)
    synced = in_sync(lab)
    states = {}
    for device in DEVICES:
        data = rows[device]["data"]
        assert isinstance(data, dict), rows[device]
        state = str(data["device_state"])
        states[device] = state
        old = after[device] == before[device]
        if state in ("untouched", "rolled back"):
            assert old, f"{device}: summary says {state} but its configuration changed"
        elif state == "changed":
            assert synced[device] and not old, f"{device}: summary says changed, it is not new"
        else:
            assert state == "left under its safety net", (device, state)
            assert old or synced[device]
        if data["result"] == "not-started":
            assert old, f"{device} was never started but its configuration changed"
    return states


def test_interrupt_before_the_first_device_changes_nothing(lab: SimLab) -> None:
    before = configs(lab)
    push = Push(lab)
    push.wait_for(lambda: push.said("branch-01 planned"), "the first plan")
    push.interrupt()
    code, rows = push.finish()
    assert code == 130
    assert check_each_device(lab, before, rows) == dict.fromkeys(DEVICES, "untouched")
    assert configs(lab) == before


def test_interrupt_mid_first_device_finishes_it_and_starts_no_other(lab: SimLab) -> None:
    before = configs(lab)
    push = Push(lab)
    first = lab.routers["branch-01"]
    push.wait_for(lambda: first.running_config() != before["branch-01"], "branch-01 to change")
    push.interrupt()
    code, rows = push.finish()
    assert code == 130
    states = check_each_device(lab, before, rows)
    assert states["branch-01"] in ("changed", "rolled back")
    assert states["branch-02"] == states["branch-03"] == "untouched"
    assert rows["branch-02"]["status"] == rows["branch-03"]["status"] == "not-started"
    assert push.said("starting no new device")


def test_interrupt_between_devices(lab: SimLab) -> None:
    before = configs(lab)
    push = Push(lab)
    push.wait_for(lambda: push.said("branch-01 pushed"), "branch-01 to be pushed")
    push.interrupt()
    code, rows = push.finish()
    assert code == 130
    states = check_each_device(lab, before, rows)
    assert states["branch-01"] == "changed"
    # branch-02 may have been started in the instant before the signal; then it finished.
    assert states["branch-03"] == "untouched"
    assert rows["branch-03"]["status"] == "not-started"


def test_second_interrupt_leaves_the_device_to_its_safety_net(lab: SimLab) -> None:
    before = configs(lab)
    push = Push(lab)
    first = lab.routers["branch-01"]
    push.wait_for(lambda: first.running_config() != before["branch-01"], "branch-01 to change")
    first.faults.latency = 2.0  # the rest of its change now takes longer than the user waits
    push.interrupt()
    push.wait_for(lambda: push.said("starting no new device"), "the first interrupt's notice")
    push.interrupt()
    code, rows = push.finish()
    assert code == 130
    assert rows["branch-01"]["status"] == "abandoned"
    assert push.said("left under their safety net")
    first.faults.latency = LATENCY_S
    states = check_each_device(lab, before, rows)
    assert states == {
        "branch-01": "left under its safety net",
        "branch-02": "untouched",
        "branch-03": "untouched",
    }
    # The revert timer fired: the router is back to exactly what it ran before.
    assert lab.routers["branch-01"].running_config() == before["branch-01"]


@pytest.mark.parametrize("command", ["diff", "verify"])
def test_interrupted_diff_and_verify_report_what_they_did_not_reach(
    lab: SimLab, command: str
) -> None:
    before = configs(lab)
    for router in lab.routers.values():
        router.faults.latency = 0.3  # reading a router now takes a few seconds
    process = subprocess.Popen(
        [sys.executable, "-m", "cgw", command, "--all", "--workers", "1", "--json"],
        stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, env={**os.environ, **lab.env},
    )  # fmt: skip
    assert process.stderr is not None and process.stdout is not None
    verb = "planned" if command == "diff" else "verified"
    for line in process.stderr:
        if f"branch-01 {verb}" in line:
            process.send_signal(signal.SIGINT)
            break
    stdout = process.stdout.read()
    assert process.wait(timeout=120) == 130
    envelope = parse_envelope(stdout)
    assert envelope["interrupted"] is True and envelope["exit_code"] == 130
    rows = {item["name"]: item["status"] for item in envelope["results"]}
    assert rows["branch-01"] == "ok" and rows["branch-03"] == "not-started"
    assert configs(lab) == before
