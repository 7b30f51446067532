"""`nhi rollout`: the blue-green moves (release, promote, rollback) as edits of a stack file, and the status."""

from __future__ import annotations

import argparse
from pathlib import Path
from typing import TYPE_CHECKING

from nhi.error_handler import EXIT_OK
from nhi.preflight.report import dumps

if TYPE_CHECKING:
    from nhi.rollout.moves import Move
    from nhi.rollout.stackfile import StackFile

SUMMARY = "blue-green moves as stack-file edits: release, promote, rollback; and status"
DESCRIPTION = (
    "Edit a stack file for the common blue-green moves, keeping its comments and formatting, and "
    "print what the next `pulumi up` will do. The edited file is validated by the settings before "
    "it is written, one edit at a time (docs/releases.md). Exit 0: done (or nothing to change); 2: refused or "
    "bad usage, file unchanged."
)


def add_arguments(parser: argparse.ArgumentParser) -> None:
    moves = parser.add_subparsers(dest="move", required=True, metavar="MOVE")

    def move(name: str, help_text: str, *, workload_required: bool = True) -> argparse.ArgumentParser:
        sub = moves.add_parser(name, help=help_text, description=help_text)
        sub.set_defaults(prog=sub.prog)  # failures name the move: `nhi rollout release: refused: ...`
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


def run(args: argparse.Namespace) -> int:
    # Imported when the command runs: they bring this platform's components and settings, which
    # `nhi preflight` of another program has no use for.
    from nhi.rollout import moves
    from nhi.rollout.file_edit import exclusive_edit, replace_file
    from nhi.rollout.stackfile import StackFile, resolve_stack_file

    path = resolve_stack_file(args.stack, args.stack_file)
    if args.move == "status":
        statuses = moves.status(StackFile.read(path), args.workload)
        as_json = args.format == "json"
        print(dumps(moves.status_json(path, statuses)) if as_json else moves.status_table(path, statuses))
        return EXIT_OK
    if args.dry_run:
        result = _move(StackFile.read(path), args)
    else:
        # Read, checked and written under the edit lock: the move applies to the file as the last edit left it,
        # and the next edit waits for this one (nhi.rollout.file_edit).
        with exclusive_edit(path) as target:
            file = StackFile.read(path, at=target)
            result = _move(file, args)
            if not isinstance(result, str):
                replace_file(path, target, file.encoded(result.text))
    if isinstance(result, str):  # nothing to change
        print(result)
        return EXIT_OK
    print(result.describe(written=not args.dry_run))
    return EXIT_OK


def _move(file: StackFile, args: argparse.Namespace) -> Move | str:
    """The move `args` asks for, on `file`: what to write, or a message when there is nothing to change."""
    from nhi.rollout import moves

    if args.move == "release":
        return moves.release(file, args.workload, args.image, args.slot)
    return (moves.promote if args.move == "promote" else moves.rollback)(file, args.workload)
