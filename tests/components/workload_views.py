"""Views of a preflight capture for the workload tests: the captured objects as manifests, and the pods and
policies for the NetworkPolicy evaluator (`nhi.inventory.netpol`, shared with `nhi inventory`), which computes
which flows the RENDERED policies allow (never from settings)."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from nhi.inventory.netpol import External as External  # re-exported: the tests build outside addresses with it
from nhi.inventory.netpol import NetworkModel, Pod, pod
from nhi.preflight.capture import Capture, CapturedResource
from nhi.preflight.manifests import manifest as preflight_manifest
from tests.conftest import capture_stack, capture_stack_file

DEPLOYMENT = "kubernetes:apps/v1:Deployment"
SERVICE = "kubernetes:core/v1:Service"
SERVICE_ACCOUNT = "kubernetes:core/v1:ServiceAccount"
NAMESPACE = "kubernetes:core/v1:Namespace"
NETWORK_POLICY = "kubernetes:networking.k8s.io/v1:NetworkPolicy"
ROLE = "aws:iam/role:Role"
ROLE_POLICY = "aws:iam/rolePolicy:RolePolicy"
ASSOCIATION = "aws:eks/podIdentityAssociation:PodIdentityAssociation"


def capture_workloads(stack: str) -> Capture:
    """The capture of one of our stacks (cached per session: treat as read-only)."""
    return capture_stack(stack)


def capture_workloads_file(path: Path) -> Capture:
    """The capture of our program with a changed stack file."""
    return capture_stack_file(path)


WORKLOADS_COMPONENT = "nhi:workloads:Workloads"


def workload_resources(capture: Capture, type_token: str) -> list[CapturedResource]:
    """Resources of a type under the Workloads component (the cluster has roles and policies of its own)."""
    by_urn = capture.by_urn()

    def under_workloads(resource: CapturedResource) -> bool:
        parent = by_urn.get(resource.parent or "")
        while parent is not None:
            if parent.type == WORKLOADS_COMPONENT:
                return True
            parent = by_urn.get(parent.parent or "")
        return False

    return [r for r in capture.of_type(type_token) if under_workloads(r)]


def manifest(resource: CapturedResource) -> dict[str, Any]:
    """A captured Kubernetes object as `nhi preflight --manifests` writes it."""
    return preflight_manifest(resource)


def manifests(capture: Capture, type_token: str) -> list[dict[str, Any]]:
    """Workload objects of a type as manifests; namespaces (made by the cluster wiring) all of them."""
    found = capture.of_type(type_token) if type_token == NAMESPACE else workload_resources(capture, type_token)
    return [manifest(r) for r in found]


def role_by_urn(capture: Capture) -> dict[str, CapturedResource]:
    return {r.urn: r for r in workload_resources(capture, ROLE)}


def trust_of(role: CapturedResource) -> dict[str, Any]:
    return json.loads(role.inputs["assumeRolePolicy"])


# --- NetworkPolicy evaluation: the evaluator lives in nhi.inventory.netpol (the inventory uses it too) ---


def network_model(capture: Capture) -> NetworkModel:
    namespace_labels = {m["metadata"]["name"]: m["metadata"].get("labels") or {} for m in manifests(capture, NAMESPACE)}
    return NetworkModel(manifests(capture, NETWORK_POLICY), namespace_labels)


def workload_pods(capture: Capture) -> list[Pod]:
    """One pod per rendered Deployment (both slots), with its template's labels."""
    return [
        pod(m["metadata"]["name"], m["metadata"]["namespace"], m["spec"]["template"]["metadata"]["labels"])
        for m in manifests(capture, DEPLOYMENT)
    ]
