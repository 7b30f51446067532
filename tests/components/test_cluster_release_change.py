"""Nodes are replaced, never patched, and nothing else moves: the preflight of a config whose only change
is `bottlerocketRelease` differs from the original in the node groups' `releaseVersion` alone."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from nhi.preflight.capture import Capture

NEW_RELEASE = "1.42.0-a1b2c3d4"


def differences(before: Capture, after: Capture) -> dict[str, set[str]]:
    """URN -> the input keys whose values differ (a URN present on one side only shows as {'<added/removed>'})."""
    old, new = before.by_urn(), after.by_urn()
    changed: dict[str, set[str]] = {}
    for urn in old.keys() | new.keys():
        if urn not in old or urn not in new:
            changed[urn] = {"<added/removed>"}
            continue
        a, b = old[urn], new[urn]
        keys = {k for k in a.inputs.keys() | b.inputs.keys() if a.inputs.get(k) != b.inputs.get(k)}
        # Dependency order follows resolution order, which is not meaningful: compare as sets.
        if set(a.dependencies) != set(b.dependencies) or a.provider != b.provider or a.parent != b.parent:
            keys.add("<graph>")
        if keys:
            changed[urn] = keys
    return changed


def test_changing_every_release_changes_only_the_node_groups(capture_config: Callable[..., Capture]) -> None:
    def new_release(config: dict[str, Any]) -> None:
        for group in config["nhi-platform:cluster"]["nodeGroups"]:
            group["bottlerocketRelease"] = NEW_RELEASE

    before, after = capture_config("prod", lambda config: None), capture_config("prod", new_release)
    node_groups = {r.urn for r in after.of_type("aws:eks/nodeGroup:NodeGroup")}
    assert len(node_groups) == 2
    assert differences(before, after) == {urn: {"releaseVersion"} for urn in node_groups}
    assert {r.inputs["releaseVersion"] for r in after.of_type("aws:eks/nodeGroup:NodeGroup")} == {NEW_RELEASE}


def test_changing_one_group_release_leaves_the_other_group_alone(capture_config: Callable[..., Capture]) -> None:
    def new_release(config: dict[str, Any]) -> None:
        config["nhi-platform:cluster"]["nodeGroups"][1]["bottlerocketRelease"] = NEW_RELEASE

    before, after = capture_config("prod", lambda config: None), capture_config("prod", new_release)
    [changed] = [r for r in after.of_type("aws:eks/nodeGroup:NodeGroup") if r.inputs["releaseVersion"] == NEW_RELEASE]
    assert changed.inputs["nodeGroupName"] == "prod-core-compute"
    assert differences(before, after) == {changed.urn: {"releaseVersion"}}
