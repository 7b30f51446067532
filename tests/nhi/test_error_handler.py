"""The one error handler: each failure a user can act on is one paragraph on stderr and exit 2, with its
traceback only under --debug; a closed pipe and Ctrl-C end quietly with the shell's statuses; a bug of ours
keeps its traceback."""

from __future__ import annotations

import argparse
import os
import subprocess
import sys
import traceback
from collections.abc import Callable
from pathlib import Path

import pytest

from nhi.cli import main
from nhi.error_handler import (
    EXIT_BROKEN_PIPE,
    EXIT_ERROR,
    EXIT_INTERRUPTED,
    EXIT_VIOLATIONS,
    Run,
    run_command,
)
from nhi.preflight.errors import PreflightError
from nhi.rollout.errors import RolloutRefused
from settings.errors import Problem, SettingsError

TIDY = Path(__file__).resolve().parents[1] / "programs" / "tidy"
PROBLEM = Problem("nhi-platform:environment", "expected 'dev', 'staging' or 'prod', got 'purple'")
MISSING = "/missing/report.json"


def raising(error: BaseException) -> Run:
    def command(_: argparse.Namespace) -> int:
        raise error

    return command


def handled(
    capsys: pytest.CaptureFixture[str], command: Run, prog: str = "nhi preflight", *, debug: bool = False
) -> tuple[int, str]:
    """The exit code and stderr of `command` run through the handler; nothing may reach stdout."""
    code = run_command(command, argparse.Namespace(prog=prog, debug=debug))
    out, err = capsys.readouterr()
    assert out == ""
    return code, err


def a_program_traceback() -> str:
    try:
        raise KeyError("missing")
    except KeyError:
        return traceback.format_exc()


FAILURES: dict[str, tuple[Callable[[], Exception], str, str]] = {
    # name: (the error, the command, what stderr says)
    "preflight": (
        lambda: PreflightError("Stack file x.yaml does not exist."),
        "nhi preflight",
        "nhi preflight: Stack file x.yaml does not exist.\n",
    ),
    "rollout": (
        lambda: RolloutRefused("x.yaml declares no workload 'api'"),
        "nhi rollout promote",
        "nhi rollout promote: refused: x.yaml declares no workload 'api'\n",
    ),
    "settings": (
        lambda: SettingsError([PROBLEM], "stack 'dev'"),
        "nhi inventory",
        f"nhi inventory: stack 'dev' has 1 problem:\n  - {PROBLEM}\n",
    ),
    "missing file": (
        lambda: FileNotFoundError(2, "No such file or directory", MISSING),
        "nhi preflight",
        f"nhi preflight: [Errno 2] No such file or directory: '{MISSING}'\n",
    ),
    "unwritable file": (
        lambda: PermissionError(13, "Permission denied", MISSING),
        "nhi rollout release",
        f"nhi rollout release: [Errno 13] Permission denied: '{MISSING}'\n",
    ),
}


@pytest.mark.parametrize("name", list(FAILURES))
def test_each_failure_is_one_paragraph_and_exit_2(capsys: pytest.CaptureFixture[str], name: str) -> None:
    error, prog, expected = FAILURES[name]
    code, err = handled(capsys, raising(error()), prog)
    assert (code, err) == (EXIT_ERROR, expected)


@pytest.mark.parametrize("name", ["settings", "missing file", "unwritable file"])
def test_debug_adds_the_traceback(capsys: pytest.CaptureFixture[str], name: str) -> None:
    error, prog, expected = FAILURES[name]
    code, err = handled(capsys, raising(error()), prog, debug=True)
    assert code == EXIT_ERROR
    assert err.startswith(expected + "Traceback (most recent call last):\n")
    assert f"{type(error()).__name__}: " in err


def test_a_program_failure_points_to_debug_which_shows_its_traceback(capsys: pytest.CaptureFixture[str]) -> None:
    detail = a_program_traceback()
    failure = PreflightError("The program stopped before registering its resources: 'missing'", detail)
    code, err = handled(capsys, raising(failure))
    assert (code, err) == (EXIT_ERROR, f"nhi preflight: {failure.message}\n(run with --debug for the traceback)\n")
    code, err = handled(capsys, raising(failure), debug=True)
    assert (code, err) == (EXIT_ERROR, f"nhi preflight: {failure.message}\n{detail}\n")
    assert "Traceback (most recent call last)" in err


def test_a_command_without_debug_flag_shows_no_traceback(capsys: pytest.CaptureFixture[str]) -> None:
    """`nhi rollout` has no --debug: its namespace has no `debug` at all."""
    code = run_command(raising(PermissionError(13, "Permission denied", MISSING)), argparse.Namespace(prog="nhi r"))
    assert (code, capsys.readouterr().err) == (EXIT_ERROR, f"nhi r: [Errno 13] Permission denied: '{MISSING}'\n")


def test_a_closed_pipe_ends_quietly_with_sigpipes_status(capsys: pytest.CaptureFixture[str]) -> None:
    assert handled(capsys, raising(BrokenPipeError(32, "Broken pipe"))) == (EXIT_BROKEN_PIPE, "")
    assert EXIT_BROKEN_PIPE == 141


def test_ctrl_c_ends_quietly_with_sigints_status(capsys: pytest.CaptureFixture[str]) -> None:
    assert handled(capsys, raising(KeyboardInterrupt())) == (EXIT_INTERRUPTED, "")
    assert EXIT_INTERRUPTED == 130


def test_a_commands_own_exit_code_passes_through(capsys: pytest.CaptureFixture[str]) -> None:
    assert handled(capsys, lambda _: EXIT_VIOLATIONS) == (EXIT_VIOLATIONS, "")


def test_a_bug_of_ours_keeps_its_traceback(capsys: pytest.CaptureFixture[str]) -> None:
    with pytest.raises(ZeroDivisionError):
        handled(capsys, raising(ZeroDivisionError("division by zero")))


def test_a_report_that_cannot_be_written_is_one_line_and_exit_2(
    capsys: pytest.CaptureFixture[str], tmp_path: Path
) -> None:
    target = tmp_path / "missing" / "inventory.txt"
    code = main(["inventory", "--program", str(TIDY), "--stack", "test", "--output", str(target)])
    err = capsys.readouterr().err
    assert code == EXIT_ERROR
    assert err == f"nhi inventory: --output {target}: the directory {target.parent} does not exist.\n"


@pytest.mark.parametrize(("reader_stays", "expected"), [(True, 3), (False, EXIT_BROKEN_PIPE)])
def test_the_process_leaves_with_the_code_once_its_output_is_written(reader_stays: bool, expected: int) -> None:
    """The output waits in stdout's buffer until the process leaves: it is flushed then, and a reader gone by
    then gives SIGPIPE's status, quietly."""
    script = "from nhi.error_handler import exit_without_teardown\nprint('done')\nexit_without_teardown(3)\n"
    buffered = {key: value for key, value in os.environ.items() if key != "PYTHONUNBUFFERED"}
    process = subprocess.Popen(
        [sys.executable, "-c", script], stdout=subprocess.PIPE, stderr=subprocess.PIPE, env=buffered
    )
    assert process.stdout is not None and process.stderr is not None
    if reader_stays:
        assert process.stdout.read() == b"done\n"
    else:
        process.stdout.close()
    assert (process.wait(timeout=60), process.stderr.read()) == (expected, b"")
