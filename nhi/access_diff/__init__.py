"""`nhi access-diff`: what a change to a stack file does to identities and access (identities, permissions,
trust and bindings, network flows), as Markdown for a pull request; exit code 3 when access widens.

Modules: `sides` (the stack file at a git ref), `run` (capture both sides), `diff` (compare two inventories,
and what counts as widening), `report` (Markdown, JSON)."""

from .diff import AccessDiff, Change, compare

__all__ = ["AccessDiff", "Change", "compare"]
