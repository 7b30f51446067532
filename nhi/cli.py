"""The `nhi` command line: `main(argv) -> int` builds the parser from the command registry and runs the chosen
command through the one error handler. Each command lives in its own module under `nhi/commands/`."""

from __future__ import annotations

import argparse
from collections.abc import Sequence

from .commands import COMMANDS
from .error_handler import exit_without_teardown, run_command
from .preflight import capture


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="nhi", description="nhi-platform: non-human identities on immutable EKS.")
    commands = parser.add_subparsers(dest="command", required=True, metavar="COMMAND")
    for name, command in COMMANDS.items():
        sub = commands.add_parser(name, help=command.SUMMARY, description=command.DESCRIPTION)
        command.add_arguments(sub)
        # `prog` names the command in failure messages; a command with subcommands sets its own on each.
        sub.set_defaults(run=command.run, prog=sub.prog)
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    args = build_parser().parse_args(argv)  # usage errors exit 2, as argparse does
    return run_command(args.run, args)


def run() -> None:
    """Console-script entry point (`nhi`, `python -m nhi`)."""
    capture.process_exits_after_run()
    exit_without_teardown(main())
