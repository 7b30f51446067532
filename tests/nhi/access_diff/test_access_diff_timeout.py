"""`nhi access-diff --timeout`: each side's run of the program is stopped at the limit with exit 2."""

from __future__ import annotations

from pathlib import Path

import pytest

from nhi.cli import main


def test_a_stuck_program_is_stopped_at_the_timeout(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    program = tmp_path / "stuck"
    program.mkdir()
    (program / "Pulumi.yaml").write_text("name: stuck\nruntime: python\n")
    (program / "Pulumi.dev.yaml").write_text("config: {}\n")
    (program / "__main__.py").write_text("import time\ntime.sleep(600)\n")
    stack_file = str(program / "Pulumi.dev.yaml")
    run = ["access-diff", "--program", str(program), "--stack-file", stack_file, "--against-file", stack_file]
    assert main([*run, "--timeout", "1"]) == 2
    assert "The program did not finish within 1 s (--timeout) at __main__.py:2" in capsys.readouterr().err
