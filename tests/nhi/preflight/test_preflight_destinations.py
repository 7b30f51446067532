"""`nhi preflight` refuses bad destinations and durations with exit 2 and one paragraph, before any work, and
writes its report whole or not at all."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from nhi.cli import main

TESTS = Path(__file__).resolve().parents[2]
TIDY = TESTS / "programs" / "tidy"
SIMPLE_PACK = TESTS / "packs" / "simple"
TIDY_RUN = ["preflight", "--program", str(TIDY), "--stack", "test", "--policy-pack", str(SIMPLE_PACK)]


def run(capsys: pytest.CaptureFixture[str], *args: str) -> tuple[int, str, str]:
    code = main([*TIDY_RUN, *args])
    out, err = capsys.readouterr()
    return code, out, err


@pytest.mark.parametrize("value", ["nan", "inf", "-inf", "0", "-1", "soon"])
def test_pack_timeout_must_be_a_finite_positive_number(capsys: pytest.CaptureFixture[str], value: str) -> None:
    with pytest.raises(SystemExit) as exited:
        main([*TIDY_RUN, f"--pack-timeout={value}"])
    assert exited.value.code == 2
    err = capsys.readouterr().err
    assert "argument --pack-timeout" in err and repr(value) in err
    assert "Traceback" not in err


def test_output_naming_a_directory_exits_2_naming_it(capsys: pytest.CaptureFixture[str], tmp_path: Path) -> None:
    code, out, err = run(capsys, "--output", str(tmp_path))
    assert code == 2 and out == ""
    assert f"--output {tmp_path} is a directory" in err
    assert list(tmp_path.iterdir()) == []


def test_output_in_a_missing_directory_exits_2_naming_it(capsys: pytest.CaptureFixture[str], tmp_path: Path) -> None:
    missing = tmp_path / "nowhere"
    code, _, err = run(capsys, "--output", str(missing / "report.json"))
    assert code == 2
    assert f"the directory {missing} does not exist" in err


def test_manifests_naming_a_file_exits_2_naming_it(capsys: pytest.CaptureFixture[str], tmp_path: Path) -> None:
    existing = tmp_path / "manifests"
    existing.write_text("mine\n")
    code, _, err = run(capsys, "--manifests", str(existing))
    assert code == 2
    assert f"--manifests {existing} is a file" in err
    assert existing.read_text() == "mine\n"


def test_the_report_replaces_the_output_file_whole(capsys: pytest.CaptureFixture[str], tmp_path: Path) -> None:
    output = tmp_path / "report.json"
    output.write_text("an older report\n")
    output.chmod(0o640)
    code, out, _ = run(capsys, "--format", "json", "--output", str(output))
    assert code == 0 and out == ""
    assert json.loads(output.read_text())["summary"]["mandatory"] == 0
    assert output.stat().st_mode & 0o777 == 0o640  # the file keeps its mode
    assert [p.name for p in tmp_path.iterdir()] == ["report.json"]  # no scratch file left behind


def test_a_report_that_cannot_be_written_leaves_the_old_file(
    capsys: pytest.CaptureFixture[str], tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    import os

    from nhi.commands import arguments

    output = tmp_path / "report.json"
    output.write_text("an older report\n")

    def full_disk(source: str, target: Path) -> None:
        raise OSError(28, "No space left on device")

    monkeypatch.setattr(arguments.os, "replace", full_disk)
    code, _, err = run(capsys, "--format", "json", "--output", str(output))
    assert code == 2
    assert f"--output {output} could not be written: No space left on device" in err
    assert output.read_text() == "an older report\n"
    assert sorted(os.listdir(tmp_path)) == ["report.json"]


def test_a_pack_config_that_is_a_directory_exits_2_naming_it(
    capsys: pytest.CaptureFixture[str], tmp_path: Path
) -> None:
    code, _, err = run(capsys, "--policy-pack-config", str(tmp_path))
    assert code == 2
    assert f"Policy pack config {tmp_path} cannot be read: Is a directory." in err


def test_manifests_that_cannot_be_written_exit_2_naming_the_directory(
    capsys: pytest.CaptureFixture[str], tmp_path: Path
) -> None:
    a_file = tmp_path / "a-file"
    a_file.write_text("mine\n")
    code, _, err = run(capsys, "--manifests", str(a_file / "manifests"))  # a directory inside a file
    assert code == 2
    assert f"--manifests {a_file / 'manifests'}: cannot write" in err and "Traceback" not in err
