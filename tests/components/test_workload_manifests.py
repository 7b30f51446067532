"""The rendered Kubernetes objects of every stack validate against the cluster version's schemas (strict:
an unknown or misspelt field fails), as kubernetes-validate knows them."""

from __future__ import annotations

import copy

import kubernetes_validate
import pytest

import settings
from tests.conftest import REPO, STACKS
from tests.components.workload_views import (
    DEPLOYMENT, NETWORK_POLICY, SERVICE, SERVICE_ACCOUNT, capture_workloads, manifests,
)

WORKLOAD_KINDS = (DEPLOYMENT, SERVICE, SERVICE_ACCOUNT, NETWORK_POLICY)


def cluster_version(stack: str) -> str:
    return settings.stack_file_settings(REPO / "stacks" / f"Pulumi.{stack}.yaml").cluster.kubernetes_version


@pytest.mark.parametrize("stack", STACKS)
def test_rendered_workload_objects_validate_for_the_cluster_version(stack: str) -> None:
    capture = capture_workloads(stack)
    version = f"{cluster_version(stack)}.0"
    validated = set()
    for kind in WORKLOAD_KINDS:
        for manifest in manifests(capture, kind):
            kubernetes_validate.validate(manifest, version, strict=True)
            validated.add(manifest["kind"])
    assert validated == {"Deployment", "Service", "ServiceAccount", "NetworkPolicy"}


def test_the_validation_rejects_a_misspelt_field() -> None:
    deployment = copy.deepcopy(manifests(capture_workloads("dev"), DEPLOYMENT)[0])
    deployment["spec"]["template"]["spec"]["containers"][0]["securityContext"]["readOnlyRootFileSystem"] = True
    with pytest.raises(kubernetes_validate.ValidationError):
        kubernetes_validate.validate(deployment, "1.33.0", strict=True)
