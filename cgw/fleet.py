"""Many devices at once: a bounded worker pool, per-device outcomes, interrupts, exit codes.

Ctrl-C (SIGINT reaches the main thread only) is handled here for every fleet command:

- first Ctrl-C: no device is started any more; each device in flight runs on to a consistent
  end (its task sees `FleetRun.stop` set and stops waiting, e.g. for tunnels to come up) within
  `grace_s`; devices never started are reported `not-started` (untouched);
- second Ctrl-C (or the grace period running out): cgw stops waiting; devices still in flight
  are reported `abandoned`, left under the device's own safety net (revert timer, commit
  confirmed, atomic rename). Workers are daemon threads, so exiting cuts their sessions.
"""

from __future__ import annotations

import contextvars
import sys
import threading
import time
from collections import deque
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass, field
from typing import Generic, Literal, TypeVar

from cgw.errors import CgwError
from cgw.secrets import Masker, current_masker

Item = TypeVar("Item")
Result = TypeVar("Result")

# Exit codes from best to worst: an error on any device outranks a tunnel down or a pending change.
EXIT_SEVERITY = (0, 2, 1, 130)
EXIT_INTERRUPTED = 130
# How long cgw waits, after a first Ctrl-C, for devices in flight to finish their transaction.
DEFAULT_GRACE_S = 180.0
_POLL_S = 0.1

State = Literal["done", "failed", "not-started", "abandoned"]


@dataclass(frozen=True)
class Outcome(Generic[Result]):
    """What one device's task gave: a value, a one-line error, or why it has neither."""

    device: str
    value: Result | None = None
    error: str | None = None
    state: State = "done"

    @property
    def ok(self) -> bool:
        return self.state == "done"


@dataclass
class FleetRun(Generic[Result]):
    """The outcome of every device, in input order, and whether the user interrupted."""

    outcomes: list[Outcome[Result]] = field(default_factory=list)
    interrupted: bool = False  # a first Ctrl-C: nothing new was started
    abandoned: bool = False  # a second Ctrl-C (or grace over): devices in flight were left

    def __iter__(self) -> Iterator[Outcome[Result]]:
        return iter(self.outcomes)

    def __len__(self) -> int:
        return len(self.outcomes)


class StopSignal:
    """Set on the first Ctrl-C: tasks in flight finish their transaction without waiting more."""

    def __init__(self) -> None:
        self._event = threading.Event()

    def set(self) -> None:
        self._event.set()

    def is_set(self) -> bool:
        return self._event.is_set()

    def sleep(self, seconds: float) -> bool:
        """Sleep up to `seconds`; True when interrupted meanwhile."""
        return self._event.wait(seconds)


def _note(message: str) -> None:
    sys.stderr.write(f"cgw: {message}\n")
    sys.stderr.flush()


def run_fleet(
    items: Sequence[tuple[str, Item]],
    task: Callable[[Item], Result],
    *,
    workers: int = 8,
    on_done: Callable[[Outcome[Result]], None] | None = None,
    stop: StopSignal | None = None,
    masker: Masker | None = None,
    grace_s: float = DEFAULT_GRACE_S,
) -> FleetRun[Result]:
    """Run `task` for every (device name, item), at most `workers` at a time, in input order.

    Devices are started one by one as workers free up, never queued ahead, so a Ctrl-C starts
    no new device. Any exception ends that device's task only, as a one-line masked error.
    """
    if workers < 1:
        raise CgwError("--workers must be at least 1")
    stop = stop or StopSignal()
    masker = masker or current_masker()
    run: FleetRun[Result] = FleetRun()
    pending = deque(items)
    results: dict[str, Outcome[Result]] = {}
    in_flight: set[str] = set()
    lock = threading.Lock()

    def finish(outcome: Outcome[Result]) -> None:
        with lock:
            results[outcome.device] = outcome
            in_flight.discard(outcome.device)
        if on_done is not None:
            on_done(outcome)

    def worker() -> None:
        while True:
            with lock:
                if stop.is_set() or not pending:
                    return
                name, item = pending.popleft()
                in_flight.add(name)
            try:
                outcome: Outcome[Result] = Outcome(name, value=task(item))
            except (CgwError, OSError) as exc:
                outcome = Outcome(name, error=_one_line(exc, masker), state="failed")
            except Exception as exc:
                message = _one_line(exc, masker)
                outcome = Outcome(
                    name, error=f"internal error: {type(exc).__name__}: {message}", state="failed"
                )
            finish(outcome)

    threads = [
        threading.Thread(
            target=contextvars.copy_context().run, args=(worker,), name=f"cgw-{i}", daemon=True
        )
        for i in range(min(workers, max(1, len(items))))
    ]
    for thread in threads:
        thread.start()
    try:
        _join(threads, deadline=None)
    except KeyboardInterrupt:
        stop.set()
        run.interrupted = True
        with lock:
            flying = sorted(in_flight)
        if flying:
            _note(
                f"interrupted: starting no new device; waiting up to {grace_s:g} s for"
                f" {', '.join(flying)} to finish (Ctrl-C again to stop waiting)"
            )
        try:
            if not _join(threads, deadline=time.monotonic() + grace_s):
                run.abandoned = True
        except KeyboardInterrupt:
            run.abandoned = True
        if run.abandoned:
            _note("stopped waiting: devices still in flight are left under their safety net")
    with lock:
        for name, _ in items:
            if name in results:
                run.outcomes.append(results[name])
            elif name in in_flight:
                run.outcomes.append(Outcome(name, state="abandoned"))
            else:
                run.outcomes.append(Outcome(name, state="not-started"))
    return run


def _join(threads: Sequence[threading.Thread], deadline: float | None) -> bool:
    """Wait for the threads (interruptible by Ctrl-C); False when the deadline passed first."""
    for thread in threads:
        while thread.is_alive():
            if deadline is not None and time.monotonic() >= deadline:
                return False
            thread.join(_POLL_S)
    return True


def _one_line(exc: BaseException, masker: Masker) -> str:
    return masker.mask(" ".join(str(exc).split()) or type(exc).__name__)


def worst_exit_code(codes: Sequence[int]) -> int:
    """The worst of several exit codes: 130 (interrupted) over 1 (error) over 2 (down) over 0."""
    return max(codes, key=EXIT_SEVERITY.index, default=0)


def fleet_exit_code(run: FleetRun[Result], code_of: Callable[[Result], int]) -> int:
    """The exit code of a fleet run: 130 when interrupted, else the worst device's."""
    codes = [
        code_of(o.value) if o.value is not None else 1
        for o in run.outcomes
        if o.state in ("done", "failed")
    ]
    if run.interrupted:
        codes.append(EXIT_INTERRUPTED)
    return worst_exit_code(codes)
