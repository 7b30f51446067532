"""`nhi revoke`: the kill switch for one workload's or the pipeline's identity (docs/audit.md)."""

from __future__ import annotations

import argparse
import time
from pathlib import Path

from nhi.error_handler import EXIT_OK

SUMMARY = "revoke every session of one workload's (or the pipeline's) role now, recorded in the stack file"
DESCRIPTION = (
    "Record the revocation time in the stack file (revokeSessionsBefore, with the edit lock and atomic write of "
    "`nhi rollout`). The next `pulumi up` attaches AWS's deny-older-sessions policy to the role (every session "
    "issued before that time is denied every action) and replaces the workload's pods, which start with fresh "
    "sessions. Exit 0: recorded; 2: refused or bad usage, file unchanged."
)

# The drill after the edit, with the time each step is expected to take on a real account (docs/audit.md says where
# each expectation comes from; none was measured here, where no account is at hand).
NEXT_STEPS = (
    (
        "pulumi up --stack {stack} (or merge: the deploy workflow runs it)",
        "expected 1-2 min: one inline policy, one tag",
    ),
    ("IAM enforces the deny on every older session", "expected seconds; IAM is eventually consistent"),
    ("the workload's Deployments roll to new pods with fresh sessions", "expected 1-3 min, one pod at a time"),
    ("nhi audit --stack {stack}: no drift, nothing undeclared left", "expected under 1 min"),
)


def add_arguments(parser: argparse.ArgumentParser) -> None:
    which = parser.add_mutually_exclusive_group(required=True)
    which.add_argument("--stack", help="stack name: edits Pulumi.NAME.yaml in the project's stack config dir")
    which.add_argument("--stack-file", type=Path, help="a stack file anywhere")
    whose = parser.add_mutually_exclusive_group(required=True)
    whose.add_argument("--workload", help="the workload whose role's sessions are revoked")
    whose.add_argument("--pipeline", metavar="ENV", help="the pipeline's deploy and preview roles of environment ENV")


def run(args: argparse.Namespace) -> int:
    from nhi.revoke.record import record_revocation
    from nhi.rollout.stackfile import resolve_stack_file

    started = time.monotonic()
    path = resolve_stack_file(args.stack, args.stack_file)
    recorded = record_revocation(path, workload=args.workload, pipeline=args.pipeline)
    took = time.monotonic() - started
    stack = args.stack or path.name.removeprefix("Pulumi.").removesuffix(".yaml")
    who = f"workload {args.workload}" if args.workload else f"the {args.pipeline} pipeline's roles"
    lines = [
        f"nhi revoke: {who} in {path}",
        f"  {recorded.key}",
        *([f"    - {recorded.previous}"] if recorded.previous else []),
        f"    + {recorded.time}",
        f"1. recorded the revocation time in the stack file ({took:.2f} s)",
    ]
    lines += [f"{n}. {step.format(stack=stack)} ({cost})" for n, (step, cost) in enumerate(NEXT_STEPS, start=2)]
    print("\n".join(lines))
    return EXIT_OK
