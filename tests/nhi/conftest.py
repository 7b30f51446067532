"""Fixtures shared by the command tests."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest

from tests.conftest import REPO


@pytest.fixture
def stuck_program(tmp_path: Path) -> tuple[Path, Path]:
    """A Pulumi Python program that never finishes (it sleeps for ten minutes), and its stack file."""
    program = tmp_path / "stuck"
    program.mkdir()
    (program / "Pulumi.yaml").write_text("name: stuck\nruntime: python\n")
    (program / "Pulumi.dev.yaml").write_text("config: {}\n")
    (program / "__main__.py").write_text("import time\ntime.sleep(600)\n")
    return program, program / "Pulumi.dev.yaml"


@pytest.fixture
def prod(tmp_path: Path) -> Path:
    """A copy of the prod stack file, alone in its folder, for commands that edit it."""
    path = tmp_path / "Pulumi.prod.yaml"
    shutil.copy(REPO / "stacks" / "Pulumi.prod.yaml", path)
    return path
