"""The pack's one seam to pulumi_policy's internals: every use of a private name of the SDK lives here.

pulumi_policy's analyzer servicer (`_PolicyAnalyzerServicer`, private) does more work per resource than the
pack needs, a cost every `pulumi preview` and `nhi preflight` pays (measured with both seams' shortcuts on and
off: `nhi preflight` of prod 1.4 s against 2.4 s, of a 2,236-resource stack 5 s against 12.5 s). Each shortcut
replaces one piece of it:

- `shared_conversions`: a resource's properties converted once per Analyze call, not once per policy;
- `configure_once`: the runtime configured once per environment, not on every call;
- `stack_once`: the stack's resources built once per AnalyzeStack call, not once per stack policy;
- `dispatch`: only the policies that judge a resource's type run.

Each shortcut names the SDK versions it was tested with (its `TESTED` table) and is applied only on those, and
only if every private name it needs is still there (`gate`); on any other SDK it is not applied and the SDK's
own code runs: the same verdicts, only slower, and never an import error (the SDK's internals are looked up
when a shortcut is applied, not when this package is imported). The servicer's class and its name-mangled
attributes are named only in `servicer`.

Environment:
- NHI_POLICY_SDK_SEAM=0: apply no shortcut (the SDK's own behaviour, for comparing verdicts);
- NHI_POLICY_SDK_SEAM_DEBUG=1: say on stderr, once, which shortcuts are active and why (off by default: the
  engine shows a pack's stderr);
- NHI_POLICY_SDK_SEAM_PRETEND_VERSION=V: tests only; the SDK's versions read as V.

After an SDK upgrade the shortcuts stand aside until their tables name the new version: add it, run
tests/policy/test_sdk_seam.py (it compares the answers with the SDK's own on real programs), and keep it only if
they agree; otherwise update the shortcut for the new SDK, or leave it off."""

from __future__ import annotations

import contextlib
from collections.abc import Iterator

from . import configure_once, dispatch, shared_conversions, stack_once
from .gate import PACK, State

# In this order: the dispatch wraps the Analyze that shares conversions.
SHORTCUTS = (shared_conversions.SHORTCUT, configure_once.SHORTCUT, stack_once.SHORTCUT, dispatch.SHORTCUT)


def install() -> list[State]:
    """Apply the shortcuts that pass the gate, for the rest of the process (the pack's entry point)."""
    states, _ = PACK.apply(SHORTCUTS)
    return states


@contextlib.contextmanager
def installed() -> Iterator[list[State]]:
    """The same, with the SDK's own put back afterwards (for tests and profiles in one process)."""
    states, undos = PACK.apply(SHORTCUTS)
    try:
        yield states
    finally:
        for undo in undos:
            undo()
