"""The `nhi` command line: one function per command, `main(argv) -> int`."""

from __future__ import annotations

import argparse
import os
import sys
from collections.abc import Sequence
from pathlib import Path

from .preflight import capture, report
from .preflight.errors import PreflightError
from .preflight.manifests import write_manifests
from .preflight.run import REPO_ROOT, PreflightOptions, run_preflight

EXIT_OK, EXIT_VIOLATIONS, EXIT_ERROR = 0, 1, 2
EXIT_BROKEN_PIPE = 128 + 13  # SIGPIPE


def _program_arguments(parser: argparse.ArgumentParser) -> None:
    """Which program and stack to run: the same for every command that runs a program."""
    which = parser.add_mutually_exclusive_group(required=True)
    which.add_argument("--stack", help="stack name: reads Pulumi.NAME.yaml from the program's stack config dir")
    which.add_argument("--stack-file", type=Path, help="a stack file anywhere")
    parser.add_argument(
        "--program", type=Path, default=REPO_ROOT, help="the Pulumi Python project to run (default: this repository)"
    )


def _preflight_parser(commands: argparse._SubParsersAction) -> None:  # type: ignore[type-arg]
    parser = commands.add_parser(
        "preflight",
        help="offline preview: the plan and the policy verdict of a stack, with no cloud account",
        description="Run a Pulumi Python program under the SDK's mock engine and send every resource to each "
        "policy pack over the Analyzer gRPC protocol, as `pulumi preview --policy-pack` does. "
        "Exit 0: no mandatory violation; 1: at least one; 2: bad usage, config, program or pack.",
    )
    _program_arguments(parser)
    parser.add_argument(
        "--policy-pack",
        type=Path,
        action="append",
        dest="packs",
        help="policy pack directory, repeatable (default: this repository's policy/)",
    )
    parser.add_argument(
        "--policy-pack-config",
        type=Path,
        action="append",
        dest="pack_configs",
        default=[],
        help="the JSON `pulumi preview --policy-pack-config` takes; pairs with --policy-pack in "
        "order (default with this repository's pack and --stack NAME: policy/config/NAME.json "
        "when it exists)",
    )
    parser.add_argument(
        "--unknowns",
        action="store_true",
        help="leave computed outputs unknown, as in a first preview, and send them to packs as unknowns",
    )
    parser.add_argument("--format", choices=("table", "json", "sarif"), default="table")
    parser.add_argument("--output", type=Path, help="write the report to FILE instead of standard output")
    parser.add_argument("--manifests", type=Path, metavar="DIR", help="write each Kubernetes resource as YAML into DIR")
    parser.add_argument(
        "--strict", action="store_true", help="also fail when a mandatory policy could not run on an unknown value"
    )
    parser.add_argument(
        "--pack-timeout",
        type=float,
        default=30.0,
        metavar="SECONDS",
        help="how long a pack may take to start and print its port (default 30)",
    )
    parser.add_argument("--debug", action="store_true", help="show tracebacks of failures")
    parser.set_defaults(handler=preflight)


def preflight(args: argparse.Namespace) -> int:
    pack_configs = tuple(args.pack_configs)
    environment_config = REPO_ROOT / "policy" / "config" / f"{args.stack}.json"
    if not pack_configs and not args.packs and args.stack and environment_config.is_file():
        # Our pack judges each environment with its own config, as `make preflight` and CI do.
        pack_configs = (environment_config,)
        print(
            f"Policy pack config: {environment_config.relative_to(REPO_ROOT)} (the {args.stack} environment's)",
            file=sys.stderr,
        )
    options = PreflightOptions(
        program=args.program,
        stack=args.stack,
        stack_file=args.stack_file,
        packs=tuple(args.packs) if args.packs else (REPO_ROOT / "policy",),
        pack_configs=pack_configs,
        unknowns=args.unknowns,
        startup_timeout=args.pack_timeout,
    )
    verdict = run_preflight(options)
    if args.manifests:
        written = write_manifests(verdict.capture, args.manifests)
        print(f"Wrote {len(written)} Kubernetes manifests to {args.manifests}", file=sys.stderr)
    if args.format == "json":
        text = report.dumps(report.to_json(verdict))
    elif args.format == "sarif":
        text = report.dumps(report.to_sarif(verdict, args.program.resolve()))
    else:
        text = report.to_table(verdict, args.strict)
    if args.output:
        args.output.write_text(text + "\n")
    else:
        print(text)
    return verdict.exit_code(args.strict)


def _inventory_parser(commands: argparse._SubParsersAction) -> None:  # type: ignore[type-arg]
    parser = commands.add_parser(
        "inventory",
        help="every non-human identity of a stack: who can assume it, what it can do and reach",
        description="Run a Pulumi Python program under the SDK's mock engine, as the preflight does, and list "
        "one row per non-human identity (IAM roles and users, EKS access entries, Kubernetes service "
        "accounts): who can assume it, its credentials, its actions by IAM access level, its network "
        "reach from the rendered NetworkPolicies, and the images that run under it. "
        "Exit 0: done; 2: bad usage, config or program.",
    )
    _program_arguments(parser)
    parser.add_argument(
        "--format",
        choices=("table", "json", "markdown"),
        help="the report's format (default: table; none with --graph unless asked)",
    )
    parser.add_argument("--output", type=Path, help="write the report to FILE instead of standard output")
    parser.add_argument(
        "--graph",
        type=Path,
        metavar="FILE",
        help="draw workloads, flows, identities and AWS resources to FILE.svg|.png|.pdf (Graphviz's "
        "dot) or FILE.dot (the source)",
    )
    parser.add_argument("--debug", action="store_true", help="show tracebacks of failures")
    parser.set_defaults(handler=inventory)


def inventory(args: argparse.Namespace) -> int:
    from .inventory import formats, graph
    from .inventory.build import build
    from .inventory.source import capture_stack

    if args.graph:
        graph.check_target(args.graph)  # a bad file name or a missing Graphviz fails before the program runs
    found = build(capture_stack(args.program, args.stack, args.stack_file))
    if args.graph:
        graph.render(found, args.graph)
        print(f"Wrote the inventory graph to {args.graph}", file=sys.stderr)
        if args.format is None and args.output is None:
            return EXIT_OK
    render = {"json": formats.to_json, "markdown": formats.to_markdown}.get(args.format or "table", formats.to_table)
    text = render(found)
    if args.output:
        args.output.write_text(text + "\n")
    else:
        print(text)
    return EXIT_OK


EXIT_ACCESS_WIDENS = 3


def _access_diff_parser(commands: argparse._SubParsersAction) -> None:  # type: ignore[type-arg]
    parser = commands.add_parser(
        "access-diff",
        help="what a stack change does to identities and access, for a pull request",
        description="Compare the identities and access of a stack file in the working tree with the same file at "
        "a git ref (--against) or with another stack file (--against-file): identities added or "
        "removed, permissions gained or lost, trust and bindings, network flows opened or closed. "
        "Both sides run this working tree's program. Exit 0: access does not widen; 3: it widens "
        "(a new identity, action or resource, trust principal or binding, flow...); 2: bad usage, "
        "config, program or git ref.",
    )
    _program_arguments(parser)
    against = parser.add_mutually_exclusive_group(required=True)
    against.add_argument("--against", metavar="REF", help="git ref (branch, tag, commit) to compare the file with")
    against.add_argument("--against-file", type=Path, metavar="PATH", help="the stack file before the change")
    parser.add_argument("--format", choices=("markdown", "json"), default="markdown")
    parser.add_argument("--output", type=Path, help="write the report to FILE instead of standard output")
    parser.add_argument("--debug", action="store_true", help="show tracebacks of failures")
    parser.set_defaults(handler=access_diff)


def access_diff(args: argparse.Namespace) -> int:
    from .access_diff import report
    from .access_diff.run import DiffOptions, run_access_diff

    diff = run_access_diff(DiffOptions(args.program, args.stack, args.stack_file, args.against, args.against_file))
    text = report.to_json(diff) if args.format == "json" else report.to_markdown(diff)
    if args.output:
        args.output.write_text(text + "\n")
    else:
        print(text)
    return EXIT_ACCESS_WIDENS if diff.widens else EXIT_OK


def _rollout_parser(commands: argparse._SubParsersAction) -> None:  # type: ignore[type-arg]
    parser = commands.add_parser(
        "rollout",
        help="blue-green moves as stack-file edits: release, promote, rollback; and status",
        description="Edit a stack file for the common blue-green moves, keeping its comments and formatting, and "
        "print what the next `pulumi up` will do. The edited file is validated by the settings before "
        "it is written. Exit 0: done (or nothing to change); 2: refused or bad usage, file unchanged.",
    )
    moves = parser.add_subparsers(dest="move", required=True, metavar="MOVE")

    def move(name: str, help_text: str, *, workload_required: bool = True) -> argparse.ArgumentParser:
        sub = moves.add_parser(name, help=help_text, description=help_text)
        which = sub.add_mutually_exclusive_group(required=True)
        which.add_argument("--stack", help="stack name: edits Pulumi.NAME.yaml in the project's stack config dir")
        which.add_argument("--stack-file", type=Path, help="a stack file anywhere")
        sub.add_argument("--workload", required=workload_required, help="the workload's name")
        if name != "status":
            sub.add_argument("--dry-run", action="store_true", help="print the change without writing the file")
        return sub

    release = move("release", "put an image (by digest) on the idle slot; traffic does not move")
    release.add_argument("--image", required=True, metavar="REF@sha256:DIGEST", help="the image, pinned by digest")
    release.add_argument(
        "--slot", help="the slot you expect to receive it (must be the idle one); default: the idle slot"
    )
    move("promote", "make the idle slot live (after `pulumi up` has run its gate)")
    move("rollback", "make the previous slot live again (it is still on the idle slot)")
    status = move("status", "slots, digests and which is live, per workload", workload_required=False)
    status.add_argument("--format", choices=("table", "json"), default="table")
    parser.set_defaults(handler=rollout)


def rollout(args: argparse.Namespace) -> int:
    # Imported here, as the other commands' modules are: they bring this platform's components and settings,
    # which `nhi preflight` of another program has no use for.
    from .rollout import moves as rollout_moves
    from .rollout.errors import RolloutRefused
    from .rollout.stackfile import StackFile, resolve_stack_file, write_atomically

    try:
        file = StackFile.read(resolve_stack_file(args.stack, args.stack_file))
        if args.move == "status":
            statuses = rollout_moves.status(file, args.workload)
            print(
                report.dumps(rollout_moves.status_json(file.path, statuses))
                if args.format == "json"
                else rollout_moves.status_table(file.path, statuses)
            )
            return EXIT_OK
        if args.move == "release":
            result = rollout_moves.release(file, args.workload, args.image, args.slot)
        else:
            result = (
                rollout_moves.promote(file, args.workload)
                if args.move == "promote"
                else rollout_moves.rollback(file, args.workload)
            )
        if isinstance(result, str):
            print(result)
            return EXIT_OK
        if not args.dry_run:
            write_atomically(result.path, result.text)
        print(result.describe(written=not args.dry_run))
        return EXIT_OK
    except RolloutRefused as error:
        print(f"nhi rollout {args.move}: refused: {error.message}", file=sys.stderr)
        return EXIT_ERROR
    except OSError as error:  # unreadable file, full disk: the file is untouched (written atomically)
        print(f"nhi rollout {args.move}: {error}", file=sys.stderr)
        return EXIT_ERROR


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="nhi", description="nhi-platform: non-human identities on immutable EKS.")
    commands = parser.add_subparsers(dest="command", required=True, metavar="COMMAND")
    _preflight_parser(commands)
    _inventory_parser(commands)
    _access_diff_parser(commands)
    _rollout_parser(commands)
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    parser = build_parser()
    args = parser.parse_args(argv)  # usage errors exit 2, as argparse does
    try:
        return int(args.handler(args))
    except PreflightError as error:
        print(f"nhi {args.command}: {error.message}", file=sys.stderr)
        if getattr(args, "debug", False) and error.detail:
            print(error.detail, file=sys.stderr)
        elif error.detail:
            print("(run with --debug for the traceback)", file=sys.stderr)
        return EXIT_ERROR
    except KeyboardInterrupt:
        return 130


def run() -> None:
    """Console-script entry point (`nhi`, `python -m nhi`)."""
    capture.process_exits_after_run()
    try:
        code = main()
        # A preflight leaves a large heap behind (measured: tearing it down costs 0.6 s at 2,000 resources).
        # By now every report is written and every pack process stopped, so leave without the teardown.
        sys.stdout.flush()
    except BrokenPipeError:
        # The reader went away (`nhi inventory ... | head`): stop quietly, with the status a shell gives a
        # process killed by SIGPIPE, as git and coreutils do.
        code = EXIT_BROKEN_PIPE
    sys.stderr.flush()
    os._exit(code)
