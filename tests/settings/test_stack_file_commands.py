"""Every command that reads a stack file (`nhi preflight`, `inventory`, `access-diff`, `rollout status|release|
promote`) on one that is not what it should be (another encoding, a tag, a recursive or multiplying alias, deep
nesting, a repeated key, a YAML 1.1 number, not YAML, a directory, a pipe, a missing or unreadable file): exit 2,
one paragraph that names the file, no traceback, and the file as it was. In-process through `nhi.cli.main` for
every command and case, and as real processes for one case of each command."""

from __future__ import annotations

import os
import subprocess
import sys
from collections.abc import Callable
from pathlib import Path

import pytest

from nhi.cli import main
from tests.conftest import REPO

DEV_FILE = REPO / "stacks" / "Pulumi.dev.yaml"
DEV = DEV_FILE.read_text()
NEW = f"111122223333.dkr.ecr.eu-west-1.amazonaws.com/cart@sha256:{'e' * 64}"
# command -> its arguments after the stack file
COMMANDS: dict[str, tuple[str, ...]] = {
    "preflight": ("preflight", "--stack-file"),
    "inventory": ("inventory", "--stack-file"),
    "access-diff": ("access-diff", "--against-file", str(DEV_FILE), "--stack-file"),
    "rollout status": ("rollout", "status", "--stack-file"),
    "rollout release": ("rollout", "release", "--workload", "cart", "--image", NEW, "--stack-file"),
    "rollout promote": ("rollout", "promote", "--workload", "cart", "--stack-file"),
}


def _with(old: str, new: str) -> bytes:
    assert old in DEV
    return DEV.replace(old, new, 1).encode()


def _alias_bomb() -> bytes:
    levels = [f"x{i}: &x{i} [{', '.join([f'*x{i - 1}'] * 9)}]" for i in range(1, 9)]
    return ("x0: &x0 [a, a, a, a, a, a, a, a, a]\n" + "\n".join(levels) + "\n" + DEV).encode()


# name -> (the file's bytes, a fragment of the message)
HOSTILE: dict[str, tuple[bytes, str]] = {
    "latin-1": (DEV.replace("# Stack `dev`", "# Stack `dev` (é)").encode("latin-1"), "is not UTF-8: byte 0xe9"),
    "utf-16": (DEV.encode("utf-16"), "is UTF-16"),
    "invalid-utf-8": (DEV.encode() + b"# \xff\xfe\n", "is not UTF-8: byte 0xff"),
    "date": (_with("      port: 8080\n", "      port: 8080\n      since: 2026-11-24\n"), "is a timestamp"),
    "timestamp-tag": (_with("namespace: edge", "namespace: !!timestamp 2026-11-24"), "the tag !!timestamp"),
    "binary": (_with("namespace: edge", "namespace: !!binary ZWRnZQ=="), "the tag !!binary"),
    "set": (_with("  aws:region: eu-west-1", "  aws:region: !!set {eu-west-1: null}"), "the tag !!set"),
    "python": (_with("namespace: edge", "namespace: !!python/name:os.system edge"), "the tag !!python/name"),
    "recursive-alias": (_with("access: []", "access: &loop [*loop]"), "inside its own anchor"),
    "alias-bomb": (_alias_bomb(), "aliases expand to more than"),
    "deep": (_with("access: []", "access: " + "[" * 10_000 + "]" * 10_000), "nested deeper than"),
    "repeated-key": (_with("      port: 8080\n", "      port: 8080\n      port: 9090\n"), "is given twice"),
    "octal": (_with("      port: 8080\n", "      port: 017620\n"), "017620 is 8080 to the Pulumi CLI"),
    "not-yaml": (_with("  aws:region: eu-west-1", "  aws:region: [eu-west-1"), "not valid YAML"),
}


def hostile_file(directory: Path, name: str) -> Path:
    path = directory / "Pulumi.dev.yaml"
    path.write_bytes(HOSTILE[name][0])
    return path


def check_refused(command: str, path: Path, code: int | None, err: str, fragment: str) -> None:
    assert code == 2, err
    assert "Traceback" not in err
    assert err.startswith(f"nhi {command}: ") and str(path) in err and fragment in err, err
    assert "\n" not in err.rstrip("\n"), "one paragraph"


@pytest.mark.parametrize("command", sorted(COMMANDS))
@pytest.mark.parametrize("name", sorted(HOSTILE))
def test_a_hostile_stack_file_is_refused_in_one_paragraph(
    capsys: pytest.CaptureFixture[str], tmp_path: Path, name: str, command: str
) -> None:
    path = hostile_file(tmp_path, name)
    code = main([*COMMANDS[command], str(path)])
    check_refused(command, path, code, capsys.readouterr().err, HOSTILE[name][1])
    assert path.read_bytes() == HOSTILE[name][0]
    assert sorted(p.name for p in tmp_path.iterdir()) == ["Pulumi.dev.yaml"]


def run_nhi(*argv: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "nhi", *argv], capture_output=True, text=True, cwd=REPO, timeout=300, check=False
    )


@pytest.mark.parametrize(
    ("command", "name"),
    [
        ("preflight", "latin-1"),
        ("preflight", "alias-bomb"),
        ("inventory", "date"),
        ("access-diff", "deep"),
        ("rollout status", "utf-16"),
        ("rollout release", "recursive-alias"),
        ("rollout promote", "set"),
    ],
)
def test_as_a_process_a_hostile_stack_file_exits_2_without_a_traceback(tmp_path: Path, command: str, name: str) -> None:
    path = hostile_file(tmp_path, name)
    done = run_nhi(*COMMANDS[command], str(path))
    check_refused(command, path, done.returncode, done.stderr, HOSTILE[name][1])
    assert path.read_bytes() == HOSTILE[name][0]


def _pipe(directory: Path) -> Path:
    os.mkfifo(directory / "Pulumi.dev.yaml")
    return directory / "Pulumi.dev.yaml"


def _dangling_link(directory: Path) -> Path:
    (directory / "Pulumi.dev.yaml").symlink_to(directory / "gone.yaml")
    return directory / "Pulumi.dev.yaml"


OTHER_FILES: dict[str, Callable[[Path], Path]] = {
    "directory": lambda directory: directory,
    "pipe": _pipe,
    "dangling-link": _dangling_link,
}


@pytest.mark.parametrize("command", sorted(COMMANDS))
@pytest.mark.parametrize("kind", sorted(OTHER_FILES))
def test_something_other_than_a_stack_file_is_refused(
    capsys: pytest.CaptureFixture[str], tmp_path: Path, kind: str, command: str
) -> None:
    path = OTHER_FILES[kind](tmp_path)
    code = main([*COMMANDS[command], str(path)])
    check_refused(command, path, code, capsys.readouterr().err, "")


@pytest.mark.parametrize("command", sorted(COMMANDS))
def test_an_unreadable_stack_file_is_refused(
    capsys: pytest.CaptureFixture[str], tmp_path: Path, monkeypatch: pytest.MonkeyPatch, command: str
) -> None:
    path = tmp_path / "Pulumi.dev.yaml"
    path.write_text(DEV)
    real_open = os.open

    def denied(file: str | os.PathLike[str], *args: int) -> int:  # as root, a chmod 000 file is still readable
        if Path(file) == path:
            raise PermissionError(13, "Permission denied")
        return real_open(file, *args)

    monkeypatch.setattr(os, "open", denied)
    code = main([*COMMANDS[command], str(path)])
    check_refused(command, path, code, capsys.readouterr().err, "cannot be read: Permission denied")


@pytest.mark.parametrize("command", ["preflight", "inventory", "rollout status"])
def test_a_yaml_1_1_sexagesimal_port_is_text_to_every_command(
    capsys: pytest.CaptureFixture[str], tmp_path: Path, command: str
) -> None:
    # PyYAML (YAML 1.1) read `2:14:40` as 8080, so the preflight passed a port the Pulumi CLI reads as text.
    path = tmp_path / "Pulumi.dev.yaml"
    path.write_bytes(_with("      port: 8080\n", "      port: 2:14:40\n"))
    code = main([*COMMANDS[command], str(path)])
    err = capsys.readouterr().err
    assert code == 2 and "Traceback" not in err
    assert "nhi-platform:workloads[0].port: expected a valid integer, got '2:14:40'" in err
