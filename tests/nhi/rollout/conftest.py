"""Fixtures shared by the rollout tests: a hand-written stack file in flow style, and a line-by-line
comparison of a text before and after an edit."""

from __future__ import annotations

from collections.abc import Callable

import pytest

REGISTRY = "111122223333.dkr.ecr.eu-west-1.amazonaws.com"

# Flow-style mappings, one wrapped over two lines, quoted and plain scalars, and comments: what an edit must keep.
# REG, GATE, BLUE and GREEN stand for the registry and the digests.
FLOW_TEMPLATE = (
    "# hand-written, flow style\n"
    "config:\n"
    "  aws:region: eu-west-1   # region\n"
    '  aws:allowedAccountIds: ["111122223333"]\n'
    "  nhi-platform:environment: dev\n"
    '  nhi-platform:cluster: {name: c, kubernetesVersion: "1.34", vpcCidr: 10.20.0.0/16, '
    "adminRoleArns: [arn:aws:iam::111122223333:role/a],\n"
    "    nodeGroups: [{name: g, instanceTypes: [t3.large], minSize: 1, desiredSize: 1, maxSize: 2, "
    'bottlerocketRelease: "1.41.0-2b4c1d53"}]}\n'
    '  nhi-platform:rolloutGate: {image: "REG/gate@sha256:GATE"}\n'
    "  nhi-platform:workloads:\n"
    "  - name: cart   # no flows\n"
    "    namespace: shop\n"
    "    port: 8080\n"
    "    replicas: 1\n"
    "    rollout: {active: \"blue\", blue: 'REG/cart@sha256:BLUE', green: REG/cart@sha256:GREEN}   # slots\n"
)
FLOW = (
    FLOW_TEMPLATE.replace("REG", REGISTRY)
    .replace("GATE", "c" * 64)
    .replace("BLUE", "a" * 64)
    .replace("GREEN", "b" * 64)
)

ChangedLines = Callable[[str, str], list[tuple[str, str]]]


@pytest.fixture
def flow_stack() -> str:
    """A dev stack file written by hand in flow style, with one workload (`cart`) in the registry `REGISTRY`:
    blue is live on `sha256:aaa...`, green runs `sha256:bbb...`."""
    return FLOW


def _changed_lines(before: str, after: str) -> list[tuple[str, str]]:
    old, new = before.splitlines(keepends=True), after.splitlines(keepends=True)
    assert len(old) == len(new), "lines were added or removed"
    return [(a, b) for a, b in zip(old, new, strict=True) if a != b]


@pytest.fixture
def changed_lines() -> ChangedLines:
    """`changed_lines(before, after)`: the (old line, new line) pairs that differ; fails if lines were added
    or removed."""
    return _changed_lines
