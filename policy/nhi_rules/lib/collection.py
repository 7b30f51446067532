"""Garbage collection tuned for the pack's process: one preview's worth of Analyze calls, then exit.

Each call converts a resource's properties into fresh dicts, lists and proxies; CPython's default
thresholds (700, 10, 10) then run full collections over the whole heap (the rules, the IAM database, the
secret detectors) again and again. The pack raises the young generation's threshold and, once its data
has loaded, freezes what it has (gc.freeze) so collections skip it. Measured on AnalyzeStack of 2,236
resources: 0.44 s with the defaults, 0.24 s tuned. Reference counting still frees the acyclic garbage at
once; cyclic garbage waits for at most 50,000 allocations. NHI_POLICY_GC=0 leaves the defaults."""

from __future__ import annotations

import gc
import os

SWITCH = "NHI_POLICY_GC"
THRESHOLDS = (50_000, 50, 50)


def tune() -> bool:
    """Raise the collection thresholds for this process. Returns whether it did."""
    if os.environ.get(SWITCH, "1") == "0":
        return False
    gc.set_threshold(*THRESHOLDS)
    return True


def freeze_loaded() -> None:
    """Move everything alive now (modules, rules, loaded databases) out of the collector's sight."""
    if os.environ.get(SWITCH, "1") != "0":
        gc.freeze()
