"""Arguments several commands share, and where a command writes its report."""

from __future__ import annotations

import argparse
from pathlib import Path

from nhi.preflight.run import REPO_ROOT


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


def add_debug_argument(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--debug", action="store_true", help="show tracebacks of failures")


def write_report(text: str, output: Path | None) -> None:
    """The report to `--output FILE`, or to standard output."""
    if output:
        output.write_text(text + "\n")
    else:
        print(text)
