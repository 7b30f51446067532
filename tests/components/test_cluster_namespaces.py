"""Workload namespaces as captured for every stack: Pod Security `restricted` for enforce, audit and
warn, pinned to the cluster version, created through the cluster's Kubernetes provider."""

from __future__ import annotations

import pytest

import settings
from components.namespaces import NamespacesArgs
from nhi.preflight.capture import Capture
from tests.components.cluster_queries import NAMESPACE, one


def test_one_namespace_per_workload_namespace(declared: settings.StackSettings, capture: Capture) -> None:
    names = {n.inputs["metadata"]["name"] for n in capture.of_type(NAMESPACE)}
    assert names == {w.namespace for w in declared.workloads}


def test_pod_security_restricted_enforced_audited_and_warned(
    declared: settings.StackSettings, capture: Capture
) -> None:
    version = f"v{declared.cluster.kubernetes_version}"
    for namespace in capture.of_type(NAMESPACE):
        labels = namespace.inputs["metadata"]["labels"]
        for mode in ("enforce", "audit", "warn"):
            assert labels[f"pod-security.kubernetes.io/{mode}"] == "restricted"
            assert labels[f"pod-security.kubernetes.io/{mode}-version"] == version


def test_namespaces_use_the_cluster_provider(capture: Capture) -> None:
    provider = one(capture, "pulumi:providers:kubernetes", "k8s")
    assert all(n.provider_urn == provider.urn for n in capture.of_type(NAMESPACE))


@pytest.mark.parametrize(
    "change, message",
    [
        ({"names": ["kube-system"]}, "reserved"),
        ({"names": ["Shop"]}, "DNS label"),
        ({"labels": {"pod-security.kubernetes.io/enforce": "privileged"}}, "level is fixed"),
    ],
)
def test_namespaces_args_refuse_weakening(change: dict, message: str) -> None:
    with pytest.raises(ValueError, match=message):
        NamespacesArgs(**{"names": ["shop"], "kubernetes_version": "1.33", **change})
