"""How a command of `nhi` ends: its exit codes (defined here, once), and the one handler that turns a failure
the user can act on into one paragraph on stderr and exit code 2 (the traceback only with `--debug`).

A failure that is not one of these (a bug of ours) is not caught: it ends with Python's traceback."""

from __future__ import annotations

import argparse
import os
import sys
import traceback
from collections.abc import Callable
from dataclasses import dataclass
from typing import NoReturn

from pulumi import RunError

from .preflight.errors import PreflightError
from .rollout.errors import RolloutRefused

EXIT_OK = 0
"""Done: no mandatory violation, access does not widen, the move is made (or there was nothing to change)."""
EXIT_VIOLATIONS = 1
"""`nhi preflight`: at least one mandatory policy is violated; `nhi audit`: a finding at or above `--fail-on`."""
EXIT_ERROR = 2
"""Bad usage (argparse exits 2 as well), config, program, pack, file or git ref; a refused rollout move."""
EXIT_ACCESS_WIDENS = 3
"""`nhi access-diff`: the change gives an identity more access, reach or principals (ask for a second review)."""
EXIT_INTERRUPTED = 128 + 2
"""Ctrl-C: the status a shell gives a process killed by SIGINT."""
EXIT_BROKEN_PIPE = 128 + 13
"""The reader of the output went away: the status a shell gives a process killed by SIGPIPE."""

Run = Callable[[argparse.Namespace], int]
"""A command's `run(args) -> int`."""


@dataclass(frozen=True)
class Failure:
    """What the user reads of a failure: the paragraph after `nhi <command>: ` and what `--debug` adds."""

    paragraph: str
    detail: str | None = None
    suggest_debug: bool = False
    """Say that `--debug` shows more: only where the detail is worth asking for (a program's traceback)."""


def explain(error: Exception) -> Failure | None:
    """The failure as the user reads it, or None when it is not one the user can act on (a bug of ours)."""
    if isinstance(error, RolloutRefused):
        return Failure(f"refused: {error.message}")
    if isinstance(error, PreflightError):
        return Failure(error.message, error.detail, suggest_debug=bool(error.detail))
    if isinstance(error, RunError | OSError):
        # A settings error (a RunError, which `pulumi up` also prints without a traceback) or a file that
        # cannot be read or written (`--output` into a missing directory, a full disk): the message says it all.
        return Failure(str(error), "".join(traceback.format_exception(error)).rstrip())
    return None


def report(failure: Failure, prog: str, *, debug: bool) -> None:
    print(f"{prog}: {failure.paragraph}", file=sys.stderr)
    if debug and failure.detail:
        print(failure.detail, file=sys.stderr)
    elif failure.suggest_debug:
        print("(run with --debug for the traceback)", file=sys.stderr)


def run_command(command: Run, args: argparse.Namespace) -> int:
    """Run `command` and map how it ends to an exit code. `args.prog` names the command in messages
    (`nhi rollout status`); `args.debug`, where the command has the flag, shows tracebacks."""
    try:
        return int(command(args))
    except BrokenPipeError:
        # The reader went away (`nhi inventory ... | head`): stop quietly, as git and coreutils do.
        return EXIT_BROKEN_PIPE
    except KeyboardInterrupt:
        return EXIT_INTERRUPTED
    except Exception as error:
        failure = explain(error)
        if failure is None:
            raise
        report(failure, args.prog, debug=getattr(args, "debug", False))
        return EXIT_ERROR


def exit_without_teardown(code: int) -> NoReturn:
    """Leave the process with `code` once its output is written, skipping the interpreter's teardown: a
    preflight leaves a large heap behind (measured: tearing it down costs 0.6 s at 2,000 resources), and by
    now every report is written and every pack process stopped."""
    try:
        sys.stdout.flush()
    except BrokenPipeError:
        code = EXIT_BROKEN_PIPE
    sys.stderr.flush()
    os._exit(code)
