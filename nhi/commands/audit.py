"""`nhi audit`: the live account compared with what a stack declares, after deploy (docs/audit.md)."""

from __future__ import annotations

import argparse

from nhi.audit.last_accessed import DEFAULT_UNUSED_DAYS
from nhi.audit.model import DEFAULT_FAIL_ON, SEVERITIES
from nhi.error_handler import EXIT_OK, EXIT_VIOLATIONS

from .arguments import (
    add_debug_argument,
    add_output_argument,
    add_program_arguments,
    add_timeout_argument,
    check_output,
    write_report,
)

SUMMARY = "the live account against what a stack declares: undeclared identities, drift, keys, wide trust"
DESCRIPTION = (
    "Read the live AWS account (credentials from the usual AWS chain; the stack's preview role can make every "
    "call) and compare it with the identities the stack's program declares: undeclared identities, drift of "
    "trust, permissions, boundaries and bindings, long-lived credentials, wide trust, unused access and node "
    "groups at another release. It only reads. Exit 0: no finding at or above --fail-on; 1: findings; 2: bad "
    "usage, config, program, credentials or account."
)


def _days(text: str) -> int:
    try:
        value = int(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"expected a whole number of days, got {text!r}") from None
    if not 1 <= value <= 400:  # IAM tracks service last-accessed data for about 400 days
        raise argparse.ArgumentTypeError(f"expected 1 to 400 days, got {value}")
    return value


def add_arguments(parser: argparse.ArgumentParser) -> None:
    add_program_arguments(parser)
    parser.add_argument("--format", choices=("table", "json", "sarif"), default="table")
    add_output_argument(parser)
    parser.add_argument("--endpoint-url", metavar="URL", help="an AWS-compatible endpoint instead of AWS's own")
    parser.add_argument(
        "--fail-on", choices=SEVERITIES, default=DEFAULT_FAIL_ON, help="exit 1 on a finding this severe or worse"
    )
    parser.add_argument(
        "--unused-days",
        type=_days,
        default=DEFAULT_UNUSED_DAYS,
        metavar="DAYS",
        help="access unused this long is reported",
    )
    add_timeout_argument(parser)
    add_debug_argument(parser)


def run(args: argparse.Namespace) -> int:
    # Imported when the command runs: boto3 and the comparisons are of no use to the other commands.
    from nhi.audit import report
    from nhi.audit.run import AuditOptions, run_audit
    from nhi.preflight.report import dumps

    check_output(args.output)
    options = AuditOptions(args.program, args.stack, args.stack_file, args.endpoint_url, args.timeout, args.unused_days)
    result = run_audit(options)
    if args.format == "json":
        text = dumps(report.to_json(result, args.fail_on))
    elif args.format == "sarif":
        text = dumps(report.to_sarif(result))
    else:
        text = report.to_table(result, args.fail_on)
    write_report(text, args.output)
    return EXIT_VIOLATIONS if result.failing(args.fail_on) else EXIT_OK
