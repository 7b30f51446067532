"""`nhi access-diff --timeout`: each side's run of the program is stopped at the limit with exit 2."""

from __future__ import annotations

from pathlib import Path

import pytest

from nhi.cli import main


def test_a_stuck_program_is_stopped_at_the_timeout(
    stuck_program: tuple[Path, Path], capsys: pytest.CaptureFixture[str]
) -> None:
    program, stack_file = stuck_program
    run = ["access-diff", "--program", str(program), "--stack-file", str(stack_file), "--against-file", str(stack_file)]
    assert main([*run, "--timeout", "1"]) == 2
    assert "The program did not finish within 1 s (--timeout) at __main__.py:2" in capsys.readouterr().err
