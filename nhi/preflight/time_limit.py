"""How long a program may run under the preflight, and a sign of life while it does.

The program runs in the main thread of our own process, in Python (a loop, a sleep) or in the event loop (a
wait on an output that never resolves): the one thing that interrupts all of them portably is a signal. So
the limit is SIGALRM's timer, whose handler raises `ProgramTimedOut` in the main thread. Off the main thread,
or where there is no SIGALRM (Windows), the program runs without a limit."""

from __future__ import annotations

import contextlib
import signal
import sys
import threading
import time
from collections.abc import Callable, Iterator
from types import FrameType
from typing import TextIO

DEFAULT_PROGRAM_TIMEOUT = 600.0
"""Generous: the largest stacks we measured run in under 10 s."""
PROGRESS_EVERY_SECONDS = 5.0


class ProgramTimedOut(KeyboardInterrupt):
    """The program's time is up. A KeyboardInterrupt, because that (with SystemExit) is what asyncio lets
    through its callbacks and tasks, and what a program's own `except Exception` does not swallow."""

    def __init__(self, seconds: float) -> None:
        super().__init__(seconds)
        self.seconds = seconds


@contextlib.contextmanager
def time_limit(seconds: float | None) -> Iterator[None]:
    """Raise ProgramTimedOut in the block once `seconds` have passed (main thread, POSIX)."""
    if seconds is None or threading.current_thread() is not threading.main_thread() or not hasattr(signal, "SIGALRM"):
        yield
        return

    def expire(signum: int, frame: FrameType | None) -> None:
        raise ProgramTimedOut(seconds)

    previous = signal.signal(signal.SIGALRM, expire)
    signal.setitimer(signal.ITIMER_REAL, seconds)
    try:
        yield
    finally:
        signal.setitimer(signal.ITIMER_REAL, 0)
        signal.signal(signal.SIGALRM, previous)


@contextlib.contextmanager
def progress(
    registered: Callable[[], int], stream: TextIO | None = None, every: float = PROGRESS_EVERY_SECONDS
) -> Iterator[None]:
    """While the block runs, say every `every` seconds how many resources are registered, when `stream`
    (standard error) is a terminal: a long run shows it is alive, a log stays as it was."""
    out = stream if stream is not None else sys.stderr
    try:
        interactive = out.isatty()
    except (AttributeError, ValueError):
        interactive = False
    if not interactive:
        yield
        return
    done = threading.Event()
    started = time.monotonic()

    def report() -> None:
        while not done.wait(every):
            count = registered()
            print(
                f"... the program is still running: {count} resource{'s' if count != 1 else ''} registered "
                f"in {time.monotonic() - started:.0f} s",
                file=out,
                flush=True,
            )

    reporter = threading.Thread(target=report, name="preflight-progress", daemon=True)
    reporter.start()
    try:
        yield
    finally:
        done.set()
        reporter.join()
