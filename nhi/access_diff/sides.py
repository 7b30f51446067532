"""The two sides of an access diff: the stack file in the working tree, and the same file at a git ref (read
with `git show REF:./FILE` from the file's own directory) or another stack file. The program is the same on
both sides (the working tree's): only the stack's configuration differs."""

from __future__ import annotations

import subprocess
from pathlib import Path

from nhi.preflight.errors import PreflightError


def stack_file_at_ref(path: Path, ref: str, into: Path) -> Path:
    """Write the content of `path` at git `ref` into the directory `into`, under the same file name."""
    directory = path.resolve().parent
    try:
        result = subprocess.run(
            ["git", "-C", str(directory), "show", f"{ref}:./{path.name}"], capture_output=True, timeout=60, check=False
        )
    except FileNotFoundError:
        raise PreflightError(
            "--against needs git, which is not installed; compare two files with --against-file instead."
        ) from None
    if result.returncode != 0:
        reason = result.stderr.decode(errors="replace").strip().splitlines()
        raise PreflightError(
            f"Cannot read {path} at git ref {ref!r}: {reason[-1] if reason else 'git show failed'}. "
            "Name a commit, branch or tag where the stack file exists (for a new stack file, "
            "there is nothing to compare against)."
        )
    target = into / path.name
    target.write_bytes(result.stdout)
    return target
