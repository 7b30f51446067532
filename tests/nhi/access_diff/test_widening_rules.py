"""What counts as widening, on hand-made identities (no program run): the rules in nhi.access_diff.diff."""

from __future__ import annotations

from dataclasses import replace

import pytest

from nhi.access_diff.diff import compare
from nhi.inventory.model import IAM_ROLE, Credential, Grant, Identity, Inventory

BASE = Identity(
    "iam-role:app",
    IAM_ROLE,
    "app",
    "workload",
    credential=Credential("sts", "1h", False, 3600),
    grants=(
        Grant("s3", "Read", "s3:GetObject", "arn:aws:s3:::b/*"),
        Grant("s3", "Write", "s3:DeleteObject", "arn:aws:s3:::b/*", effect="Deny"),
    ),
    boundary="Boundary",
)


def widens(after: Identity) -> set[tuple[str, str, bool]]:
    diff = compare(Inventory("p", "s", (BASE,)), Inventory("p", "s", (after,)), "old", "new")
    return {(c.change, c.what, c.widens) for c in diff.changes}


@pytest.mark.parametrize(
    ("after", "expected"),
    [
        (replace(BASE, grants=BASE.grants[:1]), {("removed", "deny", True)}),
        (replace(BASE, grants=BASE.grants[1:]), {("removed", "allow", False)}),
        (replace(BASE, credential=Credential("static-access-key", "never", True)), {("changed", "credentials", True)}),
        (replace(BASE, credential=Credential("sts", "12h", False, 43200)), {("changed", "credentials", True)}),
        (replace(BASE, credential=Credential("sts", "15min", False, 900)), {("changed", "credentials", False)}),
        (replace(BASE, boundary=None), {("changed", "permissions boundary", True)}),
        (replace(BASE, managed_policies=("ReadOnlyAccess",)), {("added", "managed policy", True)}),
    ],
)
def test_widening_rules(after: Identity, expected: set[tuple[str, str, bool]]) -> None:
    assert widens(after) == expected


def test_a_removed_identity_does_not_widen() -> None:
    diff = compare(Inventory("p", "s", (BASE,)), Inventory("p", "s", ()), "old", "new")
    assert [(c.change, c.identity, c.widens) for c in diff.changes] == [("removed", "app", False)]
    assert not diff.widens
