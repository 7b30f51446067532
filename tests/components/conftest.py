"""Fixtures of the component tests: each of our stacks, its capture by the preflight, and what its stack file
declares (the settings), so that a test compares what the engine sees with what the stack file says."""

from __future__ import annotations

import pytest

import settings
from nhi.preflight.capture import Capture
from tests.conftest import STACKS, capture_stack, stack_settings


@pytest.fixture(params=STACKS)
def stack(request: pytest.FixtureRequest) -> str:
    """Each of our stacks in turn (dev, staging, prod)."""
    return str(request.param)


@pytest.fixture
def capture(stack: str) -> Capture:
    """The stack's preflight capture (cached per session: treat it as read-only)."""
    return capture_stack(stack)


@pytest.fixture
def declared(stack: str) -> settings.StackSettings:
    """The stack's settings, read from its stack file."""
    return stack_settings(stack)
