"""Work on ranges of case ids spread over processes (`SqlAlchemyStore.verify(workers=...)`).

The processes are spawned, not forked: a fork would share the parent's open database
connections and whatever locks its threads held.

Ctrl-C is the parent's alone. A terminal sends SIGINT to every process of its foreground
group, workers included; each would raise `KeyboardInterrupt` and print its own traceback, and
the parent would wait for the ranges already handed out. So the workers ignore SIGINT from
birth, and the parent, interrupted, ends them and raises `KeyboardInterrupt` itself. So too
on SIGTERM, which the command line turns into `SystemExit` in the parent.
"""

from __future__ import annotations

import contextlib
import multiprocessing
import signal
from collections.abc import Callable, Iterator, Sequence
from concurrent.futures import ProcessPoolExecutor, as_completed
from concurrent.futures.process import BrokenProcessPool
from typing import TypeVar

import attrs

from reintegration_fsm.errors import FormInvalid, StoreError, describe

Span = tuple[str | None, str | None]
"""A range of case ids: after the first (None: from the start) up to the second (None: to the
end)."""

SPANS_PER_WORKER = 4
"""Ranges per process at most: small enough ranges that a process finishing early takes
another one, and that progress is told more than once per process."""

MAX_WORKERS = 32
"""Processes at most (`verify(workers=...)`, `copy_store(workers=...)`, the command line's
`--workers`). Each holds a database connection of its own (PostgreSQL allows 100 by default,
MariaDB 151, shared with the service) and about a second and some tens of MB to start; a
larger count is a slip (10,000 for 10), refused rather than cut down unseen. Windows' process
pools take 61 at most."""

T = TypeVar("T")


@attrs.frozen
class Failed:
    """A `StoreError` met in a worker, sent back as what makes one (it does not pickle)."""

    message: str
    retryable: bool

    @classmethod
    def of(cls, error: StoreError) -> Failed:
        """The failure that `error` reports."""
        return cls(str(error), error.retryable)


def check_workers(workers: object, action: str = "verify") -> None:
    """Refuse a count of processes that is not a whole number from 1 to `MAX_WORKERS`
    (`action` names what was asked, as the refusal's form).

    Raises:
        FormInvalid: not a whole number from 1 to `MAX_WORKERS`.
    """
    if not isinstance(workers, int) or isinstance(workers, bool) or not 1 <= workers <= MAX_WORKERS:
        raise FormInvalid(
            action,
            "workers",
            f"must be a whole number from 1 to {MAX_WORKERS}, not {describe(workers)}",
        )


def spread(
    work: Callable[[Span], T | Failed],
    spans: Sequence[Span],
    workers: int,
    done: Callable[[T], None],
    action: str,
) -> list[T]:
    """`work` on each of `spans` in up to `workers` processes; the results in span order.

    `done` is called here with each result as its span finishes. `action` names the work for
    an error's message ("verify the store").

    Raises:
        StoreError: a worker failed (the first failure met; the spans not started are dropped).
    """
    context = multiprocessing.get_context("spawn")
    pool = ProcessPoolExecutor(
        max_workers=min(workers, len(spans)), mp_context=context, initializer=ignore_interrupts
    )
    results: dict[int, T] = {}
    try:
        with _interrupts_held():  # a worker starts with SIGINT held, until it ignores it
            futures = {pool.submit(work, span): number for number, span in enumerate(spans)}
        for future in as_completed(futures):
            outcome = future.result()
            if isinstance(outcome, Failed):
                raise StoreError(outcome.message, retryable=outcome.retryable)
            results[futures[future]] = outcome
            done(outcome)
    except BrokenProcessPool:
        raise StoreError(
            f"could not {action}: a worker process ended without an answer (killed, out of "
            f"memory, or started by a script whose top level is not under "
            f"`if __name__ == '__main__':`)",
            retryable=False,
        ) from None
    except (KeyboardInterrupt, SystemExit):
        # They ignore Ctrl-C, and SIGTERM reaches the parent alone (the command line raises
        # SystemExit on it): waiting would wait for their ranges (review RM, RM1).
        _end_workers(pool)
        raise
    finally:
        try:
            pool.shutdown(wait=True, cancel_futures=True)
        except KeyboardInterrupt:  # Ctrl-C while waiting for the workers (after a failure)
            _end_workers(pool)
            pool.shutdown(wait=True, cancel_futures=True)
            raise
    return [results[number] for number in range(len(spans))]


def ignore_interrupts() -> None:
    """A worker's first act: ignore SIGINT (Ctrl-C), which its parent handles for it."""
    signal.signal(signal.SIGINT, signal.SIG_IGN)
    if hasattr(signal, "pthread_sigmask"):
        signal.pthread_sigmask(signal.SIG_UNBLOCK, {signal.SIGINT})


@contextlib.contextmanager
def _interrupts_held() -> Iterator[None]:
    """Hold SIGINT back from this thread while the workers are started.

    A spawned process inherits the held signal, so a Ctrl-C while it imports (before
    `ignore_interrupts` runs) waits instead of printing a traceback; here it is delivered
    on leaving. As `multiprocessing.resource_tracker` starts its own process.
    """
    if not hasattr(signal, "pthread_sigmask"):  # Windows: a console's Ctrl-C is another matter
        yield
        return
    held = signal.pthread_sigmask(signal.SIG_BLOCK, {signal.SIGINT})
    try:
        yield
    finally:
        signal.pthread_sigmask(signal.SIG_SETMASK, held)


def _end_workers(pool: ProcessPoolExecutor) -> None:
    """Terminate the pool's worker processes (what Python 3.14's `terminate_workers` does)."""
    for process in list((pool._processes or {}).values()):
        if process.is_alive():
            process.terminate()
