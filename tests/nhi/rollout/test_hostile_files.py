"""`nhi rollout status|release|promote` on stack files that are not what they should be (another encoding, tags,
recursive or multiplying aliases, deep nesting, repeated keys, YAML 1.1 numbers, a directory, a pipe, an
unreadable file) and on malformed images: exit 2, one paragraph naming the file, no traceback, the file as it
was. In-process through `nhi.cli.main` for every case, and as real processes for one case of each kind."""

from __future__ import annotations

import os
import subprocess
import sys
from collections.abc import Callable
from pathlib import Path

import pytest

from nhi.cli import main
from nhi.rollout.image_ref import BAD_NAME, NOT_A_DIGEST
from tests.conftest import REPO

DEV = (REPO / "stacks" / "Pulumi.dev.yaml").read_text()
REGISTRY = "111122223333.dkr.ecr.eu-west-1.amazonaws.com"
NEW = f"{REGISTRY}/cart@sha256:{'e' * 64}"
MOVES = {
    "status": ("status",),
    "release": ("release", "--workload", "cart", "--image", NEW),
    "promote": ("promote", "--workload", "cart"),
}


def _with(old: str, new: str) -> bytes:
    assert old in DEV
    return DEV.replace(old, new, 1).encode()


def _bomb() -> bytes:
    levels = [f"x{i}: &x{i} [{', '.join([f'*x{i - 1}'] * 9)}]" for i in range(1, 9)]
    return ("x0: &x0 [a, a, a, a, a, a, a, a, a]\n" + "\n".join(levels) + "\n" + DEV).encode()


# name -> (the file's bytes, a fragment of the message)
HOSTILE: dict[str, tuple[bytes, str]] = {
    "latin-1": (DEV.replace("# Stack `dev`", "# Stack `dev` (é)").encode("latin-1"), "is not UTF-8: byte 0xe9"),
    "utf-16": (DEV.encode("utf-16"), "is UTF-16"),
    "invalid-utf-8": (DEV.encode() + b"# \xff\xfe\n", "is not UTF-8: byte 0xff"),
    "date": (_with("      port: 8080\n", "      port: 8080\n      since: 2026-11-24\n"), "is a timestamp"),
    "binary": (_with("namespace: edge", "namespace: !!binary ZWRnZQ=="), "the tag !!binary"),
    "set": (_with("  aws:region: eu-west-1", "  aws:region: !!set {eu-west-1: null}"), "the tag !!set"),
    "python": (_with("namespace: edge", "namespace: !!python/name:os.system edge"), "the tag !!python/name"),
    "recursive-alias": (_with("access: []", "access: &loop [*loop]"), "inside its own anchor"),
    "alias-bomb": (_bomb(), "aliases expand to more than"),
    "deep": (_with("access: []", "access: " + "[" * 10_000 + "]" * 10_000), "nested deeper than"),
    "repeated-key": (_with("      port: 8080\n", "      port: 8080\n      port: 9090\n"), "is given twice"),
    "octal": (_with("      port: 8080\n", "      port: 017620\n"), "017620 is 8080 to the Pulumi CLI"),
    "base-60": (_with("      port: 8080\n", "      port: 2:14:40\n"), "expected a valid integer, got '2:14:40'"),
    "not-yaml": (_with("  aws:region: eu-west-1", "  aws:region: [eu-west-1"), "not valid YAML"),
}


def hostile_file(directory: Path, name: str) -> Path:
    path = directory / "Pulumi.dev.yaml"
    path.write_bytes(HOSTILE[name][0])
    return path


def check_refused(path: Path, move: str, code: int, err: str, fragment: str) -> None:
    assert code == 2
    assert "Traceback" not in err
    assert err.startswith(f"nhi rollout {move}: refused: ") and str(path) in err and fragment in err
    assert "\n" not in err.rstrip("\n"), "one paragraph"


@pytest.mark.parametrize("move", sorted(MOVES))
@pytest.mark.parametrize("name", sorted(HOSTILE))
def test_a_hostile_stack_file_is_refused_in_one_paragraph(
    capsys: pytest.CaptureFixture[str], tmp_path: Path, name: str, move: str
) -> None:
    path = hostile_file(tmp_path, name)
    code = main(["rollout", *MOVES[move][:1], "--stack-file", str(path), *MOVES[move][1:]])
    check_refused(path, move, code, capsys.readouterr().err, HOSTILE[name][1])
    assert path.read_bytes() == HOSTILE[name][0]
    assert sorted(p.name for p in tmp_path.iterdir()) == ["Pulumi.dev.yaml"]


def run_nhi(*argv: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "nhi", *argv], capture_output=True, text=True, cwd=REPO, timeout=120, check=False
    )


@pytest.mark.parametrize(
    ("move", "name"),
    [("status", "latin-1"), ("release", "date"), ("promote", "alias-bomb"), ("status", "deep")],
)
def test_as_a_process_a_hostile_stack_file_exits_2_without_a_traceback(tmp_path: Path, move: str, name: str) -> None:
    path = hostile_file(tmp_path, name)
    done = run_nhi("rollout", MOVES[move][0], "--stack-file", str(path), *MOVES[move][1:])
    check_refused(path, move, done.returncode, done.stderr, HOSTILE[name][1])
    assert done.stdout == "" and path.read_bytes() == HOSTILE[name][0]


def _pipe(directory: Path) -> Path:
    os.mkfifo(directory / "pipe.yaml")
    return directory / "pipe.yaml"


def _dangling_link(directory: Path) -> Path:
    (directory / "link.yaml").symlink_to(directory / "gone.yaml")
    return directory / "link.yaml"


OTHER_FILES: dict[str, Callable[[Path], Path]] = {
    "directory": lambda directory: directory,
    "pipe": _pipe,
    "dangling-link": _dangling_link,
}


@pytest.mark.parametrize("kind", sorted(OTHER_FILES))
def test_something_other_than_a_stack_file_is_refused(tmp_path: Path, kind: str) -> None:
    path = OTHER_FILES[kind](tmp_path)
    for move in ("status", "promote"):
        done = run_nhi("rollout", MOVES[move][0], "--stack-file", str(path), *MOVES[move][1:])
        check_refused(path, move, done.returncode, done.stderr, "")


def test_an_unreadable_stack_file_is_refused(
    capsys: pytest.CaptureFixture[str], tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    path = tmp_path / "Pulumi.dev.yaml"
    path.write_text(DEV)
    real_open = os.open

    def denied(file: str | os.PathLike[str], *args: int) -> int:  # as root, a chmod 000 file is still readable
        if file == path:
            raise PermissionError(13, "Permission denied")
        return real_open(file, *args)

    monkeypatch.setattr(os, "open", denied)
    code = main(["rollout", "status", "--stack-file", str(path)])
    check_refused(path, "status", code, capsys.readouterr().err, "cannot be read: Permission denied")


@pytest.mark.parametrize(
    ("image", "message"),
    [
        (f"{REGISTRY}/../payments@sha256:{'e' * 64}", "the repository path has the component '..'"),
        (f"{REGISTRY}/team/./cart@sha256:{'e' * 64}", "the repository path has the component '.'"),
        (f"{REGISTRY}/team//cart@sha256:{'e' * 64}", "the repository path has the component ''"),
        (f"{REGISTRY}/cart-@sha256:{'e' * 64}", "the repository path has the component 'cart-'"),
        (f"{REGISTRY}/{'a' * 250}@sha256:{'e' * 64}", "the name is 295 characters, more than 255"),
    ],
)
def test_a_malformed_image_name_is_refused(
    capsys: pytest.CaptureFixture[str], tmp_path: Path, image: str, message: str
) -> None:
    path = tmp_path / "Pulumi.dev.yaml"
    path.write_text(DEV)
    code = main(["rollout", "release", "--stack-file", str(path), "--workload", "cart", "--image", image])
    err = capsys.readouterr().err
    assert (code, path.read_text()) == (2, DEV)
    assert err.startswith("nhi rollout release: refused: " + BAD_NAME.format(image=image, problem="")[:-1])
    assert message in err


def test_an_image_with_a_trailing_newline_is_not_pinned(capsys: pytest.CaptureFixture[str], tmp_path: Path) -> None:
    path = tmp_path / "Pulumi.dev.yaml"
    path.write_text(DEV)
    image = NEW + "\n"
    code = main(["rollout", "release", "--stack-file", str(path), "--workload", "cart", "--image", image])
    assert (code, path.read_text()) == (2, DEV)
    assert capsys.readouterr().err == f"nhi rollout release: refused: {NOT_A_DIGEST.format(image=image)}\n"
