"""Item 7 of issue 16: a program runs with its own interpreter, the virtualenv its Pulumi.yaml names
(`runtime.options.virtualenv`), as the Python language host runs it; a named virtualenv that does not exist is
refused (exit 2) as the language host refuses it."""

from __future__ import annotations

import json
import shutil
import site
import subprocess
import sys
from pathlib import Path

import pytest

from .engine_corpus import CORPUS, preflight

HELPER = """def queue_name(stem: str) -> str:
    return f"events-platform-{stem}"
"""


def _program_with_its_own_virtualenv(tmp_path: Path) -> tuple[Path, Path]:
    """The corpus program, and beside it a real virtualenv of its own (another interpreter, not the one running
    the tests) with the program's helper module installed only there; it sees the SDK through a .pth file,
    as a virtualenv that installed it would."""
    program = tmp_path / "own-venv"
    shutil.copytree(CORPUS / "engine_own_venv", program)
    venv = program / "venv"
    base_python = getattr(sys, "_base_executable", sys.executable)
    subprocess.run([base_python, "-m", "venv", "--without-pip", str(venv)], check=True)
    (packages,) = (venv / "lib").glob("python3*/site-packages")
    (packages / "naming_conventions.py").write_text(HELPER)
    (packages / "preflight_sdk.pth").write_text("\n".join(site.getsitepackages()) + "\n")
    return program, venv


def _preflight_json(capsys: pytest.CaptureFixture[str], program: Path, *extra: str) -> tuple[int, str, str]:
    """The JSON preflight of `program`'s dev stack with the simple test pack."""
    pack = CORPUS.parents[1] / "packs" / "simple"
    return preflight(
        capsys, "--program", str(program), "--stack", "dev", "--policy-pack", str(pack), "--format", "json", *extra
    )


def test_the_program_runs_in_its_own_virtualenv(capsys: pytest.CaptureFixture[str], tmp_path: Path) -> None:
    program, _ = _program_with_its_own_virtualenv(tmp_path)
    code, out, err = _preflight_json(capsys, program)
    assert code == 0, err
    report = json.loads(out)
    (queue,) = [r for r in report["resources"] if r["type"] == "aws:sqs/queue:Queue"]
    assert queue["inputs"]["name"] == "events-platform-events"  # from the helper only its virtualenv has
    (stack,) = [r for r in report["resources"] if r["type"] == "pulumi:pulumi:Stack"]
    assert stack["urn"].endswith("::own-venv-dev")


def test_the_program_interpreter_is_its_virtualenv(capsys: pytest.CaptureFixture[str], tmp_path: Path) -> None:
    from nhi.preflight.capture_child import capture_in
    from nhi.preflight.interpreter import program_python
    from nhi.preflight.program import load_program, stack_config

    program_dir, venv = _program_with_its_own_virtualenv(tmp_path)
    program = load_program(program_dir)
    python = program_python(program)
    assert python == venv / "bin" / "python"
    seen: list[str] = []
    capture = capture_in(
        python,
        program,
        stack_config(program, "dev"),
        unknowns=False,
        on_resource=lambda r: seen.append(r.type),
        timeout=60,
    )
    (stack,) = capture.of_type("pulumi:pulumi:Stack")
    assert stack.outputs["interpreter"] == str(venv)
    assert seen.count("aws:sqs/queue:Queue") == 1  # each registration handed on as it happened


def test_a_named_virtualenv_that_does_not_exist_exits_2(capsys: pytest.CaptureFixture[str], tmp_path: Path) -> None:
    program = tmp_path / "own-venv"
    shutil.copytree(CORPUS / "engine_own_venv", program)
    code, out, err = preflight(capsys, "--program", str(program), "--stack", "dev")
    assert code == 2 and out == ""
    assert f"The 'virtualenv' option in Pulumi.yaml is set to 'venv', but '{program / 'venv'}' doesn't exist" in err
    assert "Traceback" not in err


def test_a_failing_program_in_its_virtualenv_says_where_in_one_paragraph(
    capsys: pytest.CaptureFixture[str], tmp_path: Path
) -> None:
    program, _ = _program_with_its_own_virtualenv(tmp_path)
    main = program / "__main__.py"
    main.write_text(main.read_text() + 'raise ValueError("no queue name for the archive stage")\n')
    code, out, err = preflight(capsys, "--program", str(program), "--stack", "dev")
    assert code == 2 and out == ""
    assert "The program failed at __main__.py:10: ValueError: no queue name for the archive stage" in err
    assert "Traceback" not in err


def test_what_the_preflight_could_not_judge_survives_the_virtualenv(
    capsys: pytest.CaptureFixture[str], tmp_path: Path
) -> None:
    """A program in its own interpreter hands back its remote components and lookups too: the capture child
    encodes them as JSON and the parent rebuilds them, so `--strict` and the lookups table see them."""
    program, _ = _program_with_its_own_virtualenv(tmp_path)
    (program / "__main__.py").write_text(
        (program / "__main__.py").read_text()
        + "\nclass Cluster(pulumi.ComponentResource):\n"
        + "    def __init__(self, name: str) -> None:\n"
        + "        super().__init__('eks:index:Cluster', name, {}, pulumi.ResourceOptions(version='4.4.0'),"
        + " remote=True)\n\n\nCluster('cluster')\n"
        + "zones = aws.get_availability_zones()\n"
    )
    code, out, err = _preflight_json(capsys, program, "--strict")
    report = json.loads(out)
    assert [(c["type"], c["version"]) for c in report["notConstructed"]] == [("eks:index:Cluster", "4.4.0")]
    assert [(lookup["token"], lookup["answer"]) for lookup in report["lookups"]] == [
        ("aws:index/getAvailabilityZones:getAvailabilityZones", "stand-in")
    ]
    assert code == 1, err
