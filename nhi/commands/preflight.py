"""`nhi preflight`: the offline preview, the plan and the policy verdict of a stack with no cloud account."""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

from nhi.preflight import report
from nhi.preflight.errors import PreflightError
from nhi.preflight.manifests import write_manifests
from nhi.preflight.run import REPO_ROOT, PreflightOptions, run_preflight

from .arguments import (
    add_debug_argument,
    add_output_argument,
    add_program_arguments,
    add_timeout_argument,
    check_output,
    seconds,
    write_report,
)

SUMMARY = "offline preview: the plan and the policy verdict of a stack, with no cloud account"
DESCRIPTION = (
    "Run a Pulumi Python program under the SDK's mock engine and send every resource to each "
    "policy pack over the Analyzer gRPC protocol, as `pulumi preview --policy-pack` does. "
    "Exit 0: no mandatory violation; 1: at least one; 2: bad usage, config, program or pack."
)


def add_arguments(parser: argparse.ArgumentParser) -> None:
    add_program_arguments(parser)
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
    add_output_argument(parser)
    parser.add_argument("--manifests", type=Path, metavar="DIR", help="write each Kubernetes resource as YAML into DIR")
    parser.add_argument(
        "--strict",
        action="store_true",
        help="also fail when a mandatory policy could not run on an unknown value, or a multi-language "
        "component (remote=True) could not be constructed offline, so nothing inside it was judged",
    )
    parser.add_argument(
        "--pack-timeout",
        type=seconds,
        default=30.0,
        metavar="SECONDS",
        help="how long a pack may take to start and print its port (default 30)",
    )
    add_timeout_argument(parser)
    add_debug_argument(parser)


def _pack_configs(args: argparse.Namespace) -> tuple[Path, ...]:
    """The configs given, or with this repository's pack, its own program and `--stack NAME`, that
    environment's own. Another program's stack names mean nothing to our environments: it gets the pack's
    own levels, as `pulumi preview --policy-pack policy` gives it."""
    environment_config = REPO_ROOT / "policy" / "config" / f"{args.stack}.json"
    own_program = args.program.resolve() == REPO_ROOT.resolve()
    if not args.pack_configs and not args.packs and own_program and args.stack and environment_config.is_file():
        # Our pack judges each environment with its own config, as `make preflight` and CI do.
        print(
            f"Policy pack config: {environment_config.relative_to(REPO_ROOT)} (the {args.stack} environment's)",
            file=sys.stderr,
        )
        return (environment_config,)
    return tuple(args.pack_configs)


def _check_manifests(directory: Path | None) -> None:
    if directory is not None and directory.exists() and not directory.is_dir():
        raise PreflightError(f"--manifests {directory} is a file: name a directory to write the manifests into.")


def run(args: argparse.Namespace) -> int:
    # Refused before the program runs: a bad destination should not cost a whole preflight.
    check_output(args.output)
    _check_manifests(args.manifests)
    options = PreflightOptions(
        program=args.program,
        stack=args.stack,
        stack_file=args.stack_file,
        packs=tuple(args.packs) if args.packs else (REPO_ROOT / "policy",),
        pack_configs=_pack_configs(args),
        unknowns=args.unknowns,
        startup_timeout=args.pack_timeout,
        program_timeout=args.timeout,
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
    write_report(text, args.output)
    return verdict.exit_code(args.strict)
