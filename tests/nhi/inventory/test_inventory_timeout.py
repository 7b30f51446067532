"""`nhi inventory --timeout`: a program that never finishes is stopped at the limit with exit 2."""

from __future__ import annotations

from pathlib import Path

import pytest

from nhi.cli import main


def test_a_stuck_program_is_stopped_at_the_timeout(
    stuck_program: tuple[Path, Path], capsys: pytest.CaptureFixture[str]
) -> None:
    program, stack_file = stuck_program
    assert main(["inventory", "--program", str(program), "--stack-file", str(stack_file), "--timeout", "1"]) == 2
    assert "The program did not finish within 1 s (--timeout) at __main__.py:2" in capsys.readouterr().err


@pytest.mark.parametrize("value", ["0", "-1", "nan", "inf", "soon"])
def test_the_limit_is_a_finite_number_of_seconds_above_zero(value: str, capsys: pytest.CaptureFixture[str]) -> None:
    with pytest.raises(SystemExit) as raised:
        main(["inventory", "--stack", "dev", "--timeout", value])
    assert raised.value.code == 2
    assert "--timeout" in capsys.readouterr().err
