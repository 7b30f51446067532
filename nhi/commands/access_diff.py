"""`nhi access-diff`: what a change to a stack file does to identities and access, for a pull request."""

from __future__ import annotations

import argparse
from pathlib import Path

from nhi.error_handler import EXIT_ACCESS_WIDENS, EXIT_OK

from .arguments import (
    add_debug_argument,
    add_output_argument,
    add_program_arguments,
    add_timeout_argument,
    check_output,
    write_report,
)

SUMMARY = "what a stack change does to identities and access, for a pull request"
DESCRIPTION = (
    "Compare the identities and access of a stack file in the working tree with the same file at "
    "a git ref (--against) or with another stack file (--against-file): identities added or "
    "removed, permissions gained or lost, trust and bindings, network flows opened or closed. "
    "Both sides run this working tree's program. Exit 0: access does not widen; 3: it widens "
    "(a new identity, action or resource, trust principal or binding, flow...); 2: bad usage, "
    "config, program or git ref."
)


def add_arguments(parser: argparse.ArgumentParser) -> None:
    add_program_arguments(parser)
    against = parser.add_mutually_exclusive_group(required=True)
    against.add_argument("--against", metavar="REF", help="git ref (branch, tag, commit) to compare the file with")
    against.add_argument("--against-file", type=Path, metavar="PATH", help="the stack file before the change")
    parser.add_argument("--format", choices=("markdown", "json"), default="markdown")
    add_output_argument(parser)
    add_timeout_argument(parser)
    add_debug_argument(parser)


def run(args: argparse.Namespace) -> int:
    # Imported when the command runs, as each command's own modules are: the other commands have no use for them.
    from nhi.access_diff import report
    from nhi.access_diff.run import DiffOptions, run_access_diff

    check_output(args.output)  # before both sides run
    options = DiffOptions(args.program, args.stack, args.stack_file, args.against, args.against_file, args.timeout)
    diff = run_access_diff(options)
    write_report(report.to_json(diff) if args.format == "json" else report.to_markdown(diff), args.output)
    return EXIT_ACCESS_WIDENS if diff.widens else EXIT_OK
