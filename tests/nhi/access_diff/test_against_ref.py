"""`nhi access-diff --against REF` hands git nothing it could read as an option: a value starting with `-` is
refused with exit 2 before git runs, and only a verified commit id reaches `git show`."""

from __future__ import annotations

import shutil
import subprocess
from pathlib import Path

import pytest

from nhi.access_diff.sides import resolve_commit
from nhi.cli import main
from nhi.preflight.errors import PreflightError
from tests.conftest import REPO


@pytest.fixture
def repo(tmp_path: Path) -> Path:
    repo = tmp_path / "repo"
    repo.mkdir()
    shutil.copy(REPO / "stacks" / "Pulumi.dev.yaml", repo / "Pulumi.dev.yaml")
    identity = ["-c", "user.name=t", "-c", "user.email=t@example.com"]
    for args in (["init", "-q", "-b", "main"], ["add", "Pulumi.dev.yaml"], [*identity, "commit", "-q", "-m", "dev"]):
        subprocess.run(["git", "-C", str(repo), *args], check=True, capture_output=True)
    return repo


@pytest.mark.parametrize("option", ["--output={leak}", "-o{leak}", "-"])
def test_a_ref_git_could_read_as_an_option_is_refused_and_writes_nothing(
    repo: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str], option: str
) -> None:
    leak = tmp_path / "leak"
    # `git show --output=X:./FILE` would write to X:./FILE: the directory it needs is there, ready.
    (tmp_path / "leak:.").mkdir()
    against = option.format(leak=leak)
    assert main(["access-diff", "--stack-file", str(repo / "Pulumi.dev.yaml"), f"--against={against}"]) == 2
    err = capsys.readouterr().err
    assert f"--against {against!r} is not a git ref" in err and "Traceback" not in err
    assert not leak.exists() and list((tmp_path / "leak:.").iterdir()) == []


@pytest.mark.parametrize("ref", ["no-such-branch", "HEAD^{tree}", "HEAD:Pulumi.dev.yaml", "main\nHEAD", ""])
def test_a_ref_that_names_no_commit_is_refused(repo: Path, ref: str) -> None:
    with pytest.raises(PreflightError) as refused:
        resolve_commit(repo, ref)
    assert repr(ref) in refused.value.message


def test_a_branch_resolves_to_its_commit(repo: Path) -> None:
    head = subprocess.run(["git", "-C", str(repo), "rev-parse", "HEAD"], capture_output=True, text=True, check=True)
    assert resolve_commit(repo, "main") == head.stdout.strip()
