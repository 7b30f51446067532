"""Arguments several commands share, and where a command writes its report."""

from __future__ import annotations

import argparse
import contextlib
import math
import os
import stat
import tempfile
from pathlib import Path

from nhi.preflight.errors import PreflightError
from nhi.preflight.run import REPO_ROOT
from nhi.preflight.time_limit import DEFAULT_PROGRAM_TIMEOUT


def add_program_arguments(parser: argparse.ArgumentParser) -> None:
    """Which program and stack to run: the same for every command that runs a program."""
    which = parser.add_mutually_exclusive_group(required=True)
    which.add_argument("--stack", help="stack name: reads Pulumi.NAME.yaml from the program's stack config dir")
    which.add_argument("--stack-file", type=Path, help="a stack file anywhere")
    parser.add_argument(
        "--program", type=Path, default=REPO_ROOT, help="the Pulumi Python project to run (default: this repository)"
    )


def add_output_argument(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--output", type=Path, help="write the report to FILE instead of standard output")


def add_timeout_argument(parser: argparse.ArgumentParser) -> None:
    parser.add_argument(
        "--timeout",
        type=seconds,
        default=DEFAULT_PROGRAM_TIMEOUT,
        metavar="SECONDS",
        help=f"how long the program may run before it is stopped (default {DEFAULT_PROGRAM_TIMEOUT:g})",
    )


def add_debug_argument(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--debug", action="store_true", help="show tracebacks of failures")


def seconds(text: str) -> float:
    """An argparse type: a duration in seconds, finite and above zero (`nan`, `inf`, `0` and `-1` refused)."""
    try:
        value = float(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"expected a number of seconds, got {text!r}") from None
    if not math.isfinite(value) or value <= 0:
        raise argparse.ArgumentTypeError(f"expected a finite number of seconds above 0, got {text!r}")
    return value


def check_output(output: Path | None) -> None:
    """Refuse an `--output` that cannot be written before any work is done (the report comes last)."""
    if output is None:
        return
    if output.is_dir():
        raise PreflightError(f"--output {output} is a directory: name a file to write the report to.")
    parent = output.parent
    if not parent.is_dir():
        raise PreflightError(f"--output {output}: the directory {parent} does not exist.")
    if not os.access(parent, os.W_OK | os.X_OK):
        raise PreflightError(f"--output {output}: the directory {parent} is not writable.")


def write_report(text: str, output: Path | None) -> None:
    """The report to `--output FILE`, or to standard output. The file is written whole or not at all: to a
    temporary file beside it, renamed over it once complete (a full disk leaves the old file as it was)."""
    if output is None:
        print(text)
        return
    check_output(output)
    descriptor, scratch = tempfile.mkstemp(prefix=f".{output.name}.", suffix=".tmp", dir=output.parent)
    try:
        with os.fdopen(descriptor, "w", encoding="utf-8") as file:
            file.write(text + "\n")
        os.chmod(scratch, _file_mode(output))
        os.replace(scratch, output)
    except OSError as error:
        with contextlib.suppress(OSError):
            os.unlink(scratch)
        raise PreflightError(f"--output {output} could not be written: {error.strerror or error}.") from None
    except BaseException:
        with contextlib.suppress(OSError):
            os.unlink(scratch)
        raise


def _file_mode(path: Path) -> int:
    """The mode the report keeps: the existing file's, else what a plain open() would give (mkstemp's is 0600)."""
    with contextlib.suppress(OSError):
        return stat.S_IMODE(path.stat().st_mode)
    umask = os.umask(0)
    os.umask(umask)
    return 0o666 & ~umask
