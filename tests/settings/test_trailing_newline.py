"""A value with a trailing newline is malformed, not the value before it: `$` matches before a final newline, so
every pattern in settings is matched whole (`fullmatch`, or `\\Z` in DIGEST_REF_RE)."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest

import settings
from components.pods import DIGEST_REF_RE, pinned_image
from tests.conftest import stack_file_config

CLUSTER = "nhi-platform:cluster"
WORKLOADS = "nhi-platform:workloads"
GATE = "nhi-platform:rolloutGate"


def problem_paths(change: Callable[[dict[str, Any]], None]) -> list[str]:
    config = stack_file_config("dev")
    change(config)
    try:
        settings.parse_config(config)
    except settings.SettingsError as error:
        return [problem.path for problem in error.problems]
    return []


def _append_newline(mapping: dict[str, Any], key: str) -> None:
    mapping[key] += "\n"


@pytest.mark.parametrize(
    ("change", "path"),
    [
        (lambda c: _append_newline(c[WORKLOADS][0]["rollout"], "blue"), f"{WORKLOADS}[0].rollout.blue"),
        (lambda c: _append_newline(c[GATE], "image"), f"{GATE}.image"),
        (
            lambda c: _append_newline(c[CLUSTER]["nodeGroups"][0], "bottlerocketRelease"),
            f"{CLUSTER}.nodeGroups[0].bottlerocketRelease",
        ),
        (lambda c: _append_newline(c[CLUSTER], "name"), f"{CLUSTER}.name"),
        (lambda c: _append_newline(c[WORKLOADS][0], "namespace"), f"{WORKLOADS}[0].namespace"),
    ],
)
def test_a_trailing_newline_is_refused_with_the_key_path(change: Callable[[dict[str, Any]], None], path: str) -> None:
    assert path in problem_paths(change)


def test_the_stack_as_written_is_valid() -> None:
    assert problem_paths(lambda config: None) == []


def test_the_digest_pattern_refuses_a_trailing_newline_wherever_it_is_used() -> None:
    image = stack_file_config("dev")[WORKLOADS][0]["rollout"]["blue"]
    registry = image.split("/", 1)[0]
    assert DIGEST_REF_RE.match(image) and pinned_image(image, (registry,)) == image
    assert DIGEST_REF_RE.match(image + "\n") is None
    with pytest.raises(ValueError, match="expected an image pinned by digest"):
        pinned_image(image + "\n", (registry,))
