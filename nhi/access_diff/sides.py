"""The two sides of an access diff: the stack file in the working tree, and the same file at a git ref (read
with `git show COMMIT:./FILE` from the file's own directory) or another stack file. The program is the same on
both sides (the working tree's): only the stack's configuration differs."""

from __future__ import annotations

import subprocess
from pathlib import Path

from nhi.preflight.errors import PreflightError

GIT_TIMEOUT_SECONDS = 60


def _git(directory: Path, *args: str) -> subprocess.CompletedProcess[bytes]:
    try:
        return subprocess.run(
            ["git", "-C", str(directory), *args], capture_output=True, timeout=GIT_TIMEOUT_SECONDS, check=False
        )
    except FileNotFoundError:
        raise PreflightError(
            "--against needs git, which is not installed; compare two files with --against-file instead."
        ) from None
    except subprocess.TimeoutExpired:
        raise PreflightError(f"git {args[0]} did not answer within {GIT_TIMEOUT_SECONDS} s in {directory}.") from None


def _last_line(result: subprocess.CompletedProcess[bytes], fallback: str) -> str:
    lines = result.stderr.decode(errors="replace").strip().splitlines()
    return lines[-1] if lines else fallback


def resolve_commit(directory: Path, ref: str) -> str:
    """The commit `ref` names, refused unless it is one: a value git could read as an option (a leading `-`)
    never reaches git, and only the commit's id is passed on (to `git show`)."""
    if not ref or ref.startswith("-") or any(not character.isprintable() for character in ref):
        raise PreflightError(
            f"--against {ref!r} is not a git ref: name a commit, branch or tag (it cannot start with '-')."
        )
    # `--verify` takes exactly one revision, and `^{commit}` makes it a commit: nothing else is accepted.
    result = _git(directory, "rev-parse", "--verify", "--quiet", f"{ref}^{{commit}}")
    commit = result.stdout.decode(errors="replace").strip()
    if result.returncode != 0 or not commit:
        raise PreflightError(
            f"--against {ref!r} names no commit in the repository of {directory}: "
            f"{_last_line(result, 'git rev-parse found nothing')}. Name a commit, branch or tag."
        )
    return commit


def stack_file_at_ref(path: Path, ref: str, into: Path) -> Path:
    """Write the content of `path` at git `ref` into the directory `into`, under the same file name."""
    directory = path.resolve().parent
    commit = resolve_commit(directory, ref)
    result = _git(directory, "show", f"{commit}:./{path.name}")
    if result.returncode != 0:
        raise PreflightError(
            f"Cannot read {path} at git ref {ref!r}: {_last_line(result, 'git show failed')}. "
            "Name a commit, branch or tag where the stack file exists (for a new stack file, "
            "there is nothing to compare against)."
        )
    target = into / path.name
    target.write_bytes(result.stdout)
    return target
