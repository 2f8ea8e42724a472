"""The worker pool: devices start one by one, any failure is that device's, order is kept."""

from __future__ import annotations

import threading
import time

import pytest

from cgw.errors import DeviceError
from cgw.fleet import StopSignal, fleet_exit_code, run_fleet, worst_exit_code
from cgw.secrets import Masker


def test_each_failure_is_its_devices_and_masked() -> None:
    def task(name: str) -> int:
        if name == "b":
            raise DeviceError("b: refused pre-shared-key Leaked.key_value_1")
        if name == "c":
            raise KeyError("surprise")
        return 0

    run = run_fleet([(n, n) for n in "abcd"], task, workers=2, masker=Masker())
    assert [o.device for o in run] == list("abcd")
    assert [o.state for o in run] == ["done", "failed", "failed", "done"]
    assert "Leaked.key_value_1" not in (run.outcomes[1].error or "")
    assert (run.outcomes[2].error or "").startswith("internal error: KeyError")
    assert fleet_exit_code(run, lambda code: code) == 1


def test_devices_are_started_one_by_one_so_a_stop_starts_no_more() -> None:
    stop = StopSignal()
    started: list[str] = []

    def task(name: str) -> str:
        started.append(name)
        if name == "a":
            stop.set()  # as the first Ctrl-C does, while "a" is in flight
            time.sleep(0.2)
        return name

    run = run_fleet([(n, n) for n in "abc"], task, workers=1, stop=stop)
    assert started == ["a"]
    assert [o.state for o in run] == ["done", "not-started", "not-started"]
    assert run.interrupted and fleet_exit_code(run, lambda _: 0) == 130


def test_a_second_stop_abandons_what_is_in_flight() -> None:
    stop = StopSignal()
    release = threading.Event()

    def task(name: str) -> str:
        stop.set()
        stop._abandon.set()  # the second Ctrl-C
        release.wait(5)
        return name

    run = run_fleet([("a", "a"), ("b", "b")], task, workers=1, stop=stop)
    release.set()
    assert run.abandoned and [o.state for o in run] == ["abandoned", "not-started"]


@pytest.mark.parametrize(("codes", "worst"), [([0, 2], 2), ([2, 1, 0], 1), ([1, 130], 130)])
def test_worst_exit_code(codes: list[int], worst: int) -> None:
    assert worst_exit_code(codes) == worst
