"""The repository's generated documentation: every page or block that is written from a single source.

`python -m docgen` (`make docs`) writes them all; `python -m docgen --check` exits 1 naming each stale file.
Sources: the settings model (docs/reference/settings.md), the policy rules and their case files (docs/rules/),
the access catalog (the access-level table in docs/workloads.md) and the dev stack itself (the inventory
sample in docs/inventory.md and its picture).
"""

from __future__ import annotations

import sys
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
POLICY_DIR = REPO / "policy"

# The pack's rules are imported as `nhi_rules`, with policy/ as the import root (as Pulumi runs the pack and as
# pytest's pythonpath sets it); `python -m docgen` from the repository root needs it added here.
if str(POLICY_DIR) not in sys.path:
    sys.path.append(str(POLICY_DIR))
