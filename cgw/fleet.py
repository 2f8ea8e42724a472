"""Many devices at once: a bounded worker pool, per-device outcomes, the worst exit code."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from concurrent.futures import ThreadPoolExecutor, as_completed
from dataclasses import dataclass
from typing import Generic, TypeVar

from cgw.errors import CgwError
from cgw.secrets import PROCESS_MASKER

Item = TypeVar("Item")
Result = TypeVar("Result")

# Exit codes from best to worst: an error on any device outranks a tunnel down or a pending change.
EXIT_SEVERITY = (0, 2, 1)


@dataclass(frozen=True)
class Outcome(Generic[Result]):
    """What one device's task gave: a value, or a one-line error."""

    device: str
    value: Result | None = None
    error: str | None = None

    @property
    def ok(self) -> bool:
        return self.error is None


def run_fleet(
    items: Sequence[tuple[str, Item]],
    task: Callable[[Item], Result],
    *,
    workers: int = 8,
    on_done: Callable[[Outcome[Result]], None] | None = None,
) -> list[Outcome[Result]]:
    """Run `task` for every (device name, item), at most `workers` at a time, in input order.

    A CgwError (or an OSError: a file that cannot be written) ends that device's task only, as
    a one-line error; other devices go on.
    """
    if workers < 1:
        raise CgwError("--workers must be at least 1")
    outcomes: dict[str, Outcome[Result]] = {}
    with ThreadPoolExecutor(max_workers=min(workers, max(1, len(items)))) as pool:
        futures = {pool.submit(task, item): name for name, item in items}
        for future in as_completed(futures):
            name = futures[future]
            try:
                outcome: Outcome[Result] = Outcome(name, value=future.result())
            except (CgwError, OSError) as exc:
                outcome = Outcome(name, error=PROCESS_MASKER.mask(" ".join(str(exc).split())))
            outcomes[name] = outcome
            if on_done is not None:
                on_done(outcome)
    return [outcomes[name] for name, _ in items]


def worst_exit_code(codes: Sequence[int]) -> int:
    """The worst of several exit codes: 1 (error) over 2 (down / changes) over 0."""
    return max(codes, key=EXIT_SEVERITY.index, default=0)
