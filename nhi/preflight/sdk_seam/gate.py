"""The preflight's gate: the one `Gate` both seams share (`nhi_rules.sdk_seam.gate`), with its own switches.

The shortcuts' building blocks (`Shortcut`, `replace`, `require`) are the same ones the pack's seam uses."""

from __future__ import annotations

from nhi_rules.sdk_seam.gate import Gate, Shortcut, State, Undo, replace, require

PREFLIGHT = Gate("NHI_PREFLIGHT_SDK_SEAM")
"""The preflight's gate."""

__all__ = ["PREFLIGHT", "Gate", "Shortcut", "State", "Undo", "replace", "require"]
