"""`nhi inventory`: every non-human identity of a stack, as a table, JSON, Markdown or a Graphviz picture."""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

from nhi.error_handler import EXIT_OK

from .arguments import (
    add_debug_argument,
    add_output_argument,
    add_program_arguments,
    add_timeout_argument,
    write_report,
)

SUMMARY = "every non-human identity of a stack: who can assume it, what it can do and reach"
DESCRIPTION = (
    "Run a Pulumi Python program under the SDK's mock engine, as the preflight does, and list "
    "one row per non-human identity (IAM roles and users, EKS access entries, Kubernetes service "
    "accounts): who can assume it, its credentials, its actions by IAM access level, its network "
    "reach from the rendered NetworkPolicies, and the images that run under it. "
    "Exit 0: done; 2: bad usage, config or program."
)


def add_arguments(parser: argparse.ArgumentParser) -> None:
    add_program_arguments(parser)
    parser.add_argument(
        "--format",
        choices=("table", "json", "markdown"),
        help="the report's format (default: table; none with --graph unless asked)",
    )
    add_output_argument(parser)
    parser.add_argument(
        "--graph",
        type=Path,
        metavar="FILE",
        help="draw workloads, flows, identities and AWS resources to FILE.svg|.png|.pdf (Graphviz's "
        "dot) or FILE.dot (the source)",
    )
    add_timeout_argument(parser)
    add_debug_argument(parser)


def run(args: argparse.Namespace) -> int:
    # Imported when the command runs, as each command's own modules are: the other commands have no use for them.
    from nhi.inventory import formats, graph
    from nhi.inventory.build import build
    from nhi.inventory.source import capture_stack

    if args.graph:
        graph.check_target(args.graph)  # a bad file name or a missing Graphviz fails before the program runs
    found = build(capture_stack(args.program, args.stack, args.stack_file, args.timeout))
    if args.graph:
        graph.render(found, args.graph)
        print(f"Wrote the inventory graph to {args.graph}", file=sys.stderr)
        if args.format is None and args.output is None:
            return EXIT_OK
    render = {"json": formats.to_json, "markdown": formats.to_markdown}.get(args.format or "table", formats.to_table)
    write_report(render(found), args.output)
    return EXIT_OK
