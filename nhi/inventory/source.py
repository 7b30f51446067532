"""Capture a stack for the inventory: the same program run as the preflight, with no policy pack."""

from __future__ import annotations

import contextlib
import sys
from pathlib import Path

from nhi.preflight.capture import Capture, capture_program
from nhi.preflight.program import Program, StackConfig, load_program, stack_config


def capture_config(program: Program, config: StackConfig) -> Capture:
    # The program's own prints go to stderr, so that JSON and Markdown on stdout stay clean.
    with contextlib.redirect_stdout(sys.stderr):
        return capture_program(program, config)


def capture_stack(program_dir: Path, stack: str | None = None, stack_file: Path | None = None) -> Capture:
    program = load_program(program_dir)
    return capture_config(program, stack_config(program, stack, stack_file))
