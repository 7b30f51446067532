"""The rendered admission objects of our stacks and requests built from rendered objects."""

from __future__ import annotations

import copy
from typing import Any

from nhi.preflight.capture import Capture
from nhi.preflight.manifests import manifest
from tests.components.admission.apiserver import Cluster, Request
from tests.conftest import capture_stack

ADMISSION_KINDS = ("ValidatingAdmissionPolicy", "ValidatingAdmissionPolicyBinding", "ConfigMap")
TEMPLATE_PATHS = {
    "Deployment": ("spec", "template"),
    "StatefulSet": ("spec", "template"),
    "DaemonSet": ("spec", "template"),
    "ReplicaSet": ("spec", "template"),
    "ReplicationController": ("spec", "template"),
    "Job": ("spec", "template"),
    "CronJob": ("spec", "jobTemplate", "spec", "template"),
}


def kubernetes_objects(capture: Capture) -> list[dict[str, Any]]:
    return [manifest(r) for r in capture.resources if r.custom and r.type.startswith("kubernetes:")]


def cluster_of(capture: Capture) -> Cluster:
    return Cluster.of(kubernetes_objects(capture))


def stack_objects(stack: str) -> list[dict[str, Any]]:
    return kubernetes_objects(capture_stack(stack))


def resource_of(kind: str) -> str:
    lower = kind.lower()
    return f"{lower[:-1]}ies" if lower.endswith("y") else f"{lower}s"


def create(body: dict[str, Any]) -> Request:
    group = body["apiVersion"].rpartition("/")[0]
    return Request(
        operation="CREATE",
        resource=resource_of(body["kind"]),
        group=group,
        namespace=body["metadata"].get("namespace", ""),
        name=body["metadata"]["name"],
        object=copy.deepcopy(body),
    )


def update(old: dict[str, Any], new: dict[str, Any], sub_resource: str = "") -> Request:
    request = create(new)
    return Request(
        operation="UPDATE",
        resource=request.resource,
        group=request.group,
        namespace=request.namespace,
        name=request.name,
        object=request.object,
        old_object=copy.deepcopy(old),
        sub_resource=sub_resource,
    )


def template_of(body: dict[str, Any]) -> dict[str, Any] | None:
    value: Any = body
    for key in TEMPLATE_PATHS.get(body["kind"], ()):
        value = value[key]
    return value if body["kind"] in TEMPLATE_PATHS else None


def pod_from(body: dict[str, Any], name: str) -> dict[str, Any]:
    """The Pod a controller creates from a workload's template, as the API server receives it."""
    template = copy.deepcopy(template_of(body))
    assert template is not None
    metadata = {**template.get("metadata", {}), "name": name, "namespace": body["metadata"]["namespace"]}
    return {"apiVersion": "v1", "kind": "Pod", "metadata": metadata, "spec": template["spec"]}
