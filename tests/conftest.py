"""Shared test fixtures: fake AWS credentials, and helpers that run a program fresh under the preflight's
mocks and return what it registered."""

from __future__ import annotations

import copy
from collections.abc import Callable
from functools import cache
from pathlib import Path
from typing import Any

import pytest
import yaml

import settings
from nhi.preflight.capture import Capture, capture_program
from nhi.preflight.program import load_program, stack_config

REPO = Path(__file__).resolve().parents[1]
STACKS = ("dev", "staging", "prod")


@pytest.fixture(autouse=True)
def fake_aws_credentials(monkeypatch: pytest.MonkeyPatch) -> None:
    """No test may reach a real account: moto and boto3 see these, and nothing else."""
    for key, value in {
        "AWS_ACCESS_KEY_ID": "testing",
        "AWS_SECRET_ACCESS_KEY": "testing",
        "AWS_SECURITY_TOKEN": "testing",
        "AWS_SESSION_TOKEN": "testing",
        "AWS_DEFAULT_REGION": "eu-west-1",
    }.items():
        monkeypatch.setenv(key, value)


@cache
def _capture_named_stack(stack: str, unknowns: bool) -> Capture:
    program = load_program(REPO)
    return capture_program(program, stack_config(program, stack), unknowns=unknowns)


def capture_stack(stack: str, *, unknowns: bool = False) -> Capture:
    """The capture of one of our stacks (cached per session: treat it as read-only)."""
    return _capture_named_stack(stack, unknowns)


def stack_settings(stack: str) -> settings.StackSettings:
    """The settings of one of our stack files, as the program reads them."""
    return settings.stack_file_settings(REPO / "stacks" / f"Pulumi.{stack}.yaml")


def stack_file_config(stack: str) -> dict[str, Any]:
    """A deep copy of a stack file's `config:` mapping, to change and write back with `write_stack_file`."""
    return copy.deepcopy(yaml.safe_load((REPO / "stacks" / f"Pulumi.{stack}.yaml").read_text())["config"])


def write_stack_file(directory: Path, stack: str, config: dict[str, Any]) -> Path:
    path = directory / f"Pulumi.{stack}.yaml"
    path.write_text(yaml.safe_dump({"config": config}, sort_keys=False))
    return path


def capture_stack_file(path: Path, *, unknowns: bool = False, program_dir: Path = REPO) -> Capture:
    program = load_program(program_dir)
    return capture_program(program, stack_config(program, stack_file=path), unknowns=unknowns)


@pytest.fixture
def capture_config(tmp_path: Path) -> Callable[..., Capture]:
    """Capture our program with a changed copy of a stack file: `capture_config("prod", change)` where
    `change(config)` edits the config mapping in place."""

    def run(stack: str, change: Callable[[dict[str, Any]], None], *, unknowns: bool = False) -> Capture:
        config = stack_file_config(stack)
        change(config)
        return capture_stack_file(write_stack_file(tmp_path, stack, config), unknowns=unknowns)

    return run
