"""A program that sleeps, loops or waits on an output that never resolves is stopped at `--timeout` with
exit 2 and one paragraph saying where it was and how far it came; a long run shows progress on a terminal."""

from __future__ import annotations

import io
import time
from pathlib import Path

import pytest

from nhi.cli import main
from nhi.preflight.time_limit import progress

SIMPLE_PACK = Path(__file__).resolve().parents[2] / "packs" / "simple"

STUCK_PROGRAMS = {
    "sleeps": ("import time\nimport pulumi_aws as aws\naws.s3.Bucket('data')\ntime.sleep(600)\n", "at __main__.py:4"),
    "loops": ("import pulumi_aws as aws\naws.s3.Bucket('data')\nwhile True:\n    pass\n", "at __main__.py:"),
    "swallows": (
        "import time\nwhile True:\n    try:\n        time.sleep(600)\n    except Exception:\n        pass\n",
        "at __main__.py:4",
    ),
    "awaits": (
        "import asyncio\nimport pulumi\n"
        "pulumi.export('never', pulumi.Output.from_input(asyncio.get_event_loop().create_future()))\n",
        "waiting in the event loop",
    ),
}


@pytest.mark.parametrize("kind", sorted(STUCK_PROGRAMS))
def test_a_stuck_program_is_stopped_at_the_timeout_with_exit_2(
    capsys: pytest.CaptureFixture[str], tmp_path: Path, kind: str
) -> None:
    source, where = STUCK_PROGRAMS[kind]
    program = tmp_path / kind
    program.mkdir()
    (program / "Pulumi.yaml").write_text(f"name: {kind}\nruntime: python\n")
    (program / "Pulumi.dev.yaml").write_text("config:\n  aws:region: eu-west-1\n")
    (program / "__main__.py").write_text(source)
    started = time.monotonic()
    code = main(
        ["preflight", "--program", str(program), "--stack", "dev", "--policy-pack", str(SIMPLE_PACK), "--timeout", "2"]
    )
    took = time.monotonic() - started
    err = capsys.readouterr().err
    assert code == 2
    assert took < 15
    assert "The program did not finish within 2 s (--timeout)" in err and where in err
    assert "Traceback" not in err
    if kind in ("sleeps", "loops"):
        assert "resources registered so far, the last aws:s3/bucket:Bucket::data" in err


@pytest.mark.parametrize("value", ["nan", "inf", "0", "-5"])
def test_the_timeout_must_be_a_finite_positive_number(capsys: pytest.CaptureFixture[str], value: str) -> None:
    with pytest.raises(SystemExit) as exited:
        main(["preflight", "--stack", "dev", f"--timeout={value}"])
    assert exited.value.code == 2
    assert "argument --timeout" in capsys.readouterr().err


class Terminal(io.StringIO):
    def isatty(self) -> bool:
        return True


def test_progress_is_shown_on_a_terminal_only() -> None:
    terminal, log = Terminal(), io.StringIO()
    for stream in (terminal, log):
        with progress(lambda: 7, stream, every=0.05):
            time.sleep(0.3)
    assert "the program is still running: 7 resources registered" in terminal.getvalue()
    assert log.getvalue() == ""
