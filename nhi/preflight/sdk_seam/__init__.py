"""The preflight's one seam to the pulumi SDK's internals: every use of a private name of the SDK lives here.

While the preflight runs a program under the SDK's mocks, two parts of the SDK take time without changing what
is captured. Each shortcut below replaces one, during the capture only (the SDK's own is put back when it ends):

- `linear_wait`: the wait for outstanding registrations in linear time (the SDK's loop is quadratic);
- `source_positions`: each registration's source positions built from its frames, without reading sources.

Each shortcut names the SDK versions it was tested with (its `TESTED` table) and is applied only on those, and
only if every private name it needs is still there (`gate`); on any other SDK it is not applied and the SDK's
own code runs: the same capture, only slower (a program that fails may see its error as the SDK's wait surfaces
it), and never an import error (the SDK's internals are looked up when a shortcut is applied, not when the
preflight is imported).

Environment:
- NHI_PREFLIGHT_SDK_SEAM=0: apply no shortcut (the SDK's own behaviour, for comparing captures);
- NHI_PREFLIGHT_SDK_SEAM_DEBUG=1: say on stderr, at each capture, which shortcuts are active and why;
- NHI_PREFLIGHT_SDK_SEAM_PRETEND_VERSION=V: tests only; the SDK's versions read as V.
The pack has its own seam (policy/nhi_rules/sdk_seam, NHI_POLICY_SDK_SEAM...): the pack is a process of its
own, which inherits the preflight's environment.

After an SDK upgrade the shortcuts stand aside until their tables name the new version: add it, run
tests/nhi/preflight/test_sdk_seam.py (it compares the answers with the SDK's own on real programs), and keep it
only if they agree; otherwise update the shortcut for the new SDK, or leave it off."""

from __future__ import annotations

import contextlib
from collections.abc import Iterator

from . import linear_wait, source_positions
from .gate import PREFLIGHT, State

SHORTCUTS = (linear_wait.SHORTCUT, source_positions.SHORTCUT)


@contextlib.contextmanager
def installed() -> Iterator[list[State]]:
    """Apply the shortcuts that pass the gate while a program runs under the preflight, then put the SDK's own
    back."""
    states, undos = PREFLIGHT.apply(SHORTCUTS)
    try:
        yield states
    finally:
        for undo in undos:
            undo()
