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
import signal
import sys
import threading
import time
from collections import deque
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass, field
from types import FrameType
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
    """Ctrl-C as data: the first sets `is_set()` (start nothing new, finish what is in flight),
    the second sets `abandoned` (stop waiting). Tasks in flight poll it."""

    def __init__(self) -> None:
        self._event = threading.Event()
        self._abandon = threading.Event()
        self._installed = False

    def set(self) -> None:
        self._event.set()

    def is_set(self) -> bool:
        return self._event.is_set()

    @property
    def abandoned(self) -> bool:
        return self._abandon.is_set()

    def sleep(self, seconds: float) -> bool:
        """Sleep up to `seconds`; True when interrupted meanwhile."""
        return self._event.wait(seconds)

    def _on_sigint(self, signum: int, frame: FrameType | None) -> None:
        if self._event.is_set():
            self._abandon.set()
        self._event.set()

    @contextmanager
    def catching_sigint(self) -> Iterator[None]:
        """Within this block, SIGINT sets this signal instead of raising KeyboardInterrupt, so
        a Ctrl-C at any instant (even while cgw prints) is seen the same way. A no-op off the
        main thread or when an enclosing block already catches it."""
        if self._installed or threading.current_thread() is not threading.main_thread():
            yield
            return
        previous = signal.signal(signal.SIGINT, self._on_sigint)
        self._installed = True
        try:
            yield
        finally:
            signal.signal(signal.SIGINT, previous)
            self._installed = False


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

    workers_left = [min(workers, max(1, len(items)))]
    all_done = threading.Event()

    def worker() -> None:
        try:
            work()
        finally:
            with lock:
                workers_left[0] -= 1
                if workers_left[0] == 0:
                    all_done.set()

    def work() -> None:
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
        for i in range(workers_left[0])
    ]
    with stop.catching_sigint():
        for thread in threads:
            thread.start()
        _wait(all_done, stop, deadline=None)
        if stop.is_set() and not all_done.is_set():
            run.interrupted = True
            with lock:
                flying = sorted(in_flight)
            if flying:
                _note(
                    f"interrupted: starting no new device; waiting up to {grace_s:g} s for"
                    f" {', '.join(flying)} to finish (Ctrl-C again to stop waiting)"
                )
            if not _wait(all_done, stop, deadline=time.monotonic() + grace_s, abandon=True):
                run.abandoned = True
                _note("stopped waiting: devices still in flight are left under their safety net")
        elif stop.is_set():
            run.interrupted = True
    with lock:
        for name, _ in items:
            if name in results:
                run.outcomes.append(results[name])
            elif name in in_flight:
                run.outcomes.append(Outcome(name, state="abandoned"))
            else:
                run.outcomes.append(Outcome(name, state="not-started"))
    return run


def _wait(
    done: threading.Event, stop: StopSignal, deadline: float | None, abandon: bool = False
) -> bool:
    """Wait until every worker is done (True), or the deadline passes, or the user interrupts
    (or, with `abandon`, interrupts a second time) first (False)."""
    while not done.wait(_POLL_S):
        if deadline is not None and time.monotonic() >= deadline:
            return False
        if stop.abandoned if abandon else stop.is_set():
            return False
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
