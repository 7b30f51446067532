"""Capture a stack for the inventory: the same program run as the preflight, with no policy pack."""

from __future__ import annotations

from pathlib import Path

from nhi.preflight import program_output
from nhi.preflight.capture import Capture, capture_program
from nhi.preflight.program import Program, StackConfig, load_program, stack_config


def capture_config(program: Program, config: StackConfig, timeout: float | None = None) -> Capture:
    # The program's own output goes to stderr, so that JSON and Markdown on stdout stay clean.
    with program_output.to_stderr():
        return capture_program(program, config, timeout=timeout)


def capture_stack(
    program_dir: Path, stack: str | None = None, stack_file: Path | None = None, timeout: float | None = None
) -> Capture:
    program = load_program(program_dir)
    return capture_config(program, stack_config(program, stack, stack_file), timeout)
