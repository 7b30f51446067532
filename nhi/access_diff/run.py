"""Run an access diff: capture the program with each side's stack file, build both inventories, compare."""

from __future__ import annotations

import tempfile
from dataclasses import dataclass
from pathlib import Path

from nhi.inventory.build import build
from nhi.inventory.source import capture_config
from nhi.preflight.errors import PreflightError
from nhi.preflight.program import load_program, stack_config

from .diff import AccessDiff, compare
from .sides import stack_file_at_ref


@dataclass(frozen=True)
class DiffOptions:
    program: Path
    stack: str | None = None
    stack_file: Path | None = None
    against_ref: str | None = None
    against_file: Path | None = None
    timeout: float | None = None
    """Seconds each side's run of the program may take (None: no limit)."""


def run_access_diff(options: DiffOptions) -> AccessDiff:
    if (options.against_ref is None) == (options.against_file is None):
        raise PreflightError(
            "Say what to compare against: --against REF (the same stack file at a git ref) or "
            "--against-file PATH (another stack file)."
        )
    program = load_program(options.program)
    new_config = stack_config(program, options.stack, options.stack_file)
    assert new_config.source is not None  # stack_config always reads a file
    with tempfile.TemporaryDirectory(prefix="nhi-access-diff-") as scratch:
        if options.against_ref is not None:
            old_file = stack_file_at_ref(new_config.source, options.against_ref, Path(scratch))
            before = f"`{options.against_ref}`"
        else:
            assert options.against_file is not None
            old_file = options.against_file
            before = f"`{options.against_file}`"
        # The same stack name on both sides, so that names derived from it compare equal.
        old_config = stack_config(program, new_config.name, old_file)
        old = build(capture_config(program, old_config, options.timeout))
    new = build(capture_config(program, new_config, options.timeout))
    after = "the working tree" if options.against_ref is not None else f"`{new_config.source}`"
    return compare(old, new, before, after)
