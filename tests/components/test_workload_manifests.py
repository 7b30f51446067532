"""The Kubernetes objects `nhi preflight --manifests` writes for every stack validate against the cluster
version's schemas (strict: an unknown or misspelt field fails), as kubernetes-validate knows them."""

from __future__ import annotations

import copy
from pathlib import Path

import kubernetes_validate
import pytest
import yaml

from nhi.preflight.manifests import write_manifests
from tests.components.workload_views import DEPLOYMENT, capture_workloads, manifests
from tests.conftest import STACKS, stack_settings


def cluster_version(stack: str) -> str:
    return stack_settings(stack).cluster.kubernetes_version


@pytest.mark.parametrize("stack", STACKS)
def test_written_manifests_validate_for_the_cluster_version(stack: str, tmp_path: Path) -> None:
    declared = stack_settings(stack)
    version = f"{cluster_version(stack)}.0"
    kinds: dict[str, set[str]] = {}
    for path in write_manifests(capture_workloads(stack), tmp_path):
        body = yaml.safe_load(path.read_text())
        kubernetes_validate.validate(body, version, strict=True)
        kinds.setdefault(body["kind"], set()).add(f"{body['metadata'].get('namespace')}/{body['metadata']['name']}")
    assert kinds["Deployment"] == {
        f"{w.namespace}/{w.name}-{slot}" for w in declared.workloads for slot in ("blue", "green")
    }
    assert kinds["Service"] == {
        f"{w.namespace}/{w.name}{suffix}" for w in declared.workloads for suffix in ("", "-preview")
    }
    assert kinds["ServiceAccount"] == {
        f"{w.namespace}/{w.name}{suffix}" for w in declared.workloads for suffix in ("", "-gate")
    }
    assert kinds["PodDisruptionBudget"] == kinds["Deployment"]
    assert {name.split("-gate-")[0] for name in kinds["Job"]} == {f"{w.namespace}/{w.name}" for w in declared.workloads}
    assert {f"{w.namespace}/{w.name}-flows" for w in declared.workloads} <= kinds["NetworkPolicy"]


def test_the_validation_rejects_a_misspelt_field() -> None:
    deployment = copy.deepcopy(manifests(capture_workloads("dev"), DEPLOYMENT)[0])
    deployment["spec"]["template"]["spec"]["containers"][0]["securityContext"]["readOnlyRootFileSystem"] = True
    with pytest.raises(kubernetes_validate.ValidationError):
        kubernetes_validate.validate(deployment, "1.33.0", strict=True)
