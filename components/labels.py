"""Label, annotation and tag keys shared by the workload components (and by tests that read the rendered objects).

Selectors follow one convention: NetworkPolicies select a workload by NAME only (both slots); Services,
Deployments and PodDisruptionBudgets select NAME and SLOT. The rollout's gate pods carry neither the
workload's NAME nor a SLOT (no workload policy or Service may select them); their policies select GATE_FOR."""

from __future__ import annotations

NAME = "app.kubernetes.io/name"
"""The workload's name, on every object and every pod: NetworkPolicies select on it."""
PART_OF = "app.kubernetes.io/part-of"
MANAGED_BY = "app.kubernetes.io/managed-by"
SLOT = "nhi-platform/slot"
"""`blue` or `green`: which rollout slot a Deployment and its pods belong to; Services select on it."""
COMPONENT = "app.kubernetes.io/component"

PLATFORM = "nhi-platform"
NAMESPACE_NAME = "kubernetes.io/metadata.name"
"""Set by Kubernetes on every namespace; namespaceSelectors match on it."""
IRSA_ROLE_ANNOTATION = "eks.amazonaws.com/role-arn"
GATE_FOR = "nhi-platform/gate-for"
"""On the rollout gate's pods: the workload whose preview Service the gate tests."""
GATE_COMPONENT = "rollout-gate"
WORKLOAD_TAG = "nhi-platform/workload"
"""On a workload's AWS resources (its role, its image repository): the workload's name."""
IMAGE_ANNOTATION = "nhi-platform/image"
"""On a gate Job: the full image reference (with digest) that the gate tests."""


def workload_labels(workload: str) -> dict[str, str]:
    """Labels every object of a workload carries."""
    return {NAME: workload, PART_OF: PLATFORM, MANAGED_BY: "pulumi"}


def slot_labels(workload: str, slot: str) -> dict[str, str]:
    """Labels of one slot's Deployment and pods."""
    return {**workload_labels(workload), SLOT: slot}


def workload_selector(workload: str) -> dict[str, str]:
    """Selects every pod of a workload, whatever its slot."""
    return {NAME: workload}


def slot_selector(workload: str, slot: str) -> dict[str, str]:
    """Selects the pods of one slot."""
    return {NAME: workload, SLOT: slot}


def gate_labels(workload: str) -> dict[str, str]:
    """Labels of a workload's gate Job and pods: `<workload>-gate` as name, never the workload's own."""
    return {
        NAME: f"{workload}-gate",
        PART_OF: PLATFORM,
        MANAGED_BY: "pulumi",
        COMPONENT: GATE_COMPONENT,
        GATE_FOR: workload,
    }


def gate_selector(workload: str) -> dict[str, str]:
    """Selects the gate pods of one workload."""
    return {COMPONENT: GATE_COMPONENT, GATE_FOR: workload}
