"""The generated site, built once for the docs tests (it captures the dev stack, about a second)."""

from __future__ import annotations

import pytest

from docgen import REPO
from docgen.outputs import Site
from docgen.site import build_site


@pytest.fixture(scope="session")
def site() -> Site:
    return build_site(REPO)
