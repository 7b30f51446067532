"""The preflight's frame-based stack traces equal the SDK's own, registration by registration."""

from __future__ import annotations

from pathlib import Path

import pytest
from pulumi.runtime import resource as sdk_resource

from nhi.preflight import source_positions
from nhi.preflight.capture import capture_program
from nhi.preflight.program import load_program, stack_config

TESTS = Path(__file__).resolve().parents[2]
REPO = TESTS.parent


@pytest.mark.parametrize(
    ("directory", "stack"), [(REPO, "dev"), (TESTS / "programs" / "open_world", "test")], ids=["dev", "open_world"]
)
def test_every_registration_gets_the_stack_trace_the_sdk_would_give(
    directory: Path, stack: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    assert source_positions.applies(), "written for the pinned SDK: update it with the SDK"
    sdk_function, our_function = sdk_resource._get_stack_trace, source_positions.stack_trace
    compared = []

    def both():  # called where the SDK calls it: every frame that matters is the same for both
        ours, theirs = our_function(), sdk_function()
        compared.append((ours, theirs))
        return theirs

    # The capture installs its own function; ours replaces it for this test, comparing on every call.
    monkeypatch.setattr(source_positions, "stack_trace", both)
    program = load_program(directory)
    capture = capture_program(program, stack_config(program, stack))
    assert len(compared) >= len(capture.resources) - 1  # every registration but the stack's own
    assert all(ours == theirs for ours, theirs in compared)
    assert any(len(theirs.frames) > 3 for _, theirs in compared)
    user_frames = [f.pc.uri for _, theirs in compared for f in theirs.frames if f.pc.uri]
    assert any(uri.startswith(f"file://{directory}") for uri in user_frames)


def test_a_call_outside_any_resource_constructor_has_no_frames() -> None:
    assert source_positions.stack_trace() == sdk_resource._get_stack_trace()
    assert len(source_positions.stack_trace().frames) == 0


def test_names_that_are_no_absolute_path_have_no_position() -> None:
    assert source_positions._uri("<frozen runpy>") is None
    assert source_positions._uri("/srv/app/__main__.py") == "file:///srv/app/__main__.py"
