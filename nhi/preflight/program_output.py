"""A program's own output goes to standard error while it runs, so that a report on standard output (JSON,
SARIF) stays parseable: not only `print()`, but everything that reaches file descriptor 1 (a child process,
`os.write(1, ...)`, `sys.__stdout__`, a logging handler bound to either)."""

from __future__ import annotations

import contextlib
import os
import sys
from collections.abc import Iterator

STDOUT, STDERR = 1, 2


def _flush(*streams: object) -> None:
    for stream in streams:
        flush = getattr(stream, "flush", None)
        if flush is not None:
            with contextlib.suppress(OSError, ValueError):
                flush()


@contextlib.contextmanager
def to_stderr() -> Iterator[None]:
    """Point file descriptor 1 at standard error (and `sys.stdout` at `sys.stderr`) for the block; the real
    standard output is kept aside and restored after it, whatever the block wrote through its own buffers."""
    _flush(sys.stdout, sys.__stdout__)  # what was written before the program belongs to the real stdout
    try:
        real_stdout = os.dup(STDOUT)
    except OSError:  # no standard output at all (closed by the caller): nothing to keep apart
        real_stdout = None
    try:
        if real_stdout is not None:
            os.dup2(STDERR, STDOUT)
        with contextlib.redirect_stdout(sys.stderr):
            yield
    finally:
        _flush(sys.stdout, sys.__stdout__, sys.stderr)  # the program's buffered output, still to stderr
        if real_stdout is not None:
            os.dup2(real_stdout, STDOUT)
            os.close(real_stdout)
