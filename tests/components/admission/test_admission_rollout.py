"""The allow-list follows the blue-green rollout: on the captures of consecutive configs made by `nhi rollout`
(release, promote, rollback), every declared digest is admitted at every step, a release's digest enters the
list with the release, promote and rollback leave the list alone, and an overwritten digest leaves it."""

from __future__ import annotations

import hashlib
import shutil
from pathlib import Path

import pytest

import settings
from components.admission import admitted_images
from components.admission.expressions import ALLOWLIST_CONFIGMAP
from nhi.cli import main
from nhi.preflight.capture import Capture
from tests.components.admission.apiserver import Cluster
from tests.components.admission.conftest import cluster_of, create, kubernetes_objects, pod_from, update
from tests.conftest import REPO, capture_stack_file

REGISTRY = "111122223333.dkr.ecr.eu-west-1.amazonaws.com"
ROLLOUT_COMPONENT = "nhi:rollout:Rollout"
POD_RUNNING_TYPES = {"kubernetes:apps/v1:Deployment", "kubernetes:batch/v1:Job"}
ADMISSION_TYPES = (
    "kubernetes:core/v1:ConfigMap",
    "kubernetes:admissionregistration.k8s.io/v1:ValidatingAdmissionPolicy",
    "kubernetes:admissionregistration.k8s.io/v1:ValidatingAdmissionPolicyBinding",
)


def rollout(*argv: str) -> None:
    assert main(["rollout", *argv]) == 0


def allowlist(capture: Capture, namespace: str) -> dict[str, str]:
    return next(
        o["data"]
        for o in kubernetes_objects(capture)
        if o["kind"] == "ConfigMap"
        and o["metadata"]["name"] == ALLOWLIST_CONFIGMAP
        and o["metadata"]["namespace"] == namespace
    )


def assert_every_declared_digest_admitted(capture: Capture, path: Path) -> Cluster:
    declared = settings.stack_file_settings(path)
    api = cluster_of(capture)
    workloads = [o for o in kubernetes_objects(capture) if o["kind"] in ("Deployment", "Job")]
    for body in workloads:
        assert api.admit(create(body)) == [], body["metadata"]
        assert api.admit(create(pod_from(body, body["metadata"]["name"] + "-pod"))) == []
    for w in declared.workloads:
        assert set(admitted_images(allowlist(capture, w.namespace))[w.name]) == {w.rollout.blue, w.rollout.green}
    return api


@pytest.fixture
def prod_file(tmp_path: Path) -> Path:
    path = tmp_path / "Pulumi.prod.yaml"
    shutil.copy(REPO / "stacks" / "Pulumi.prod.yaml", path)
    return path


def test_release_promote_rollback_keep_every_declared_digest_admitted(prod_file: Path) -> None:
    base = capture_stack_file(prod_file)
    assert_every_declared_digest_admitted(base, prod_file)
    payments = next(w for w in settings.stack_file_settings(prod_file).workloads if w.name == "payments")
    overwritten = payments.rollout.green  # the idle slot: a release overwrites it
    image = f"{REGISTRY}/payments@sha256:{hashlib.sha256(b'payments 3.0').hexdigest()}"

    rollout("release", "--stack-file", str(prod_file), "--workload", "payments", "--image", image)
    released = capture_stack_file(prod_file)
    api = assert_every_declared_digest_admitted(released, prod_file)
    images = admitted_images(allowlist(released, "payments"))["payments"]
    assert image in images and overwritten not in images
    # The overwritten digest leaves the list: a new pod of it is denied, but the deployment controller may still
    # scale down the ReplicaSet that ran it (an UPDATE that keeps an image the object already had).
    old_green = next(
        o for o in kubernetes_objects(base) if o["kind"] == "Deployment" and o["metadata"]["name"] == "payments-green"
    )
    assert any(overwritten in m for m in api.admit(create(pod_from(old_green, "payments-green-old"))))
    old_replica_set = {**old_green, "kind": "ReplicaSet"}
    scaled_down = {**old_replica_set, "spec": {**old_replica_set["spec"], "replicas": 0}}
    assert api.admit(update(old_replica_set, scaled_down)) == []

    for move in ("promote", "rollback"):
        before = capture_stack_file(prod_file)
        rollout(move, "--stack-file", str(prod_file), "--workload", "payments")
        after = capture_stack_file(prod_file)
        assert_every_declared_digest_admitted(after, prod_file)
        for namespace in settings.stack_file_settings(prod_file).namespaces:
            assert allowlist(after, namespace) == allowlist(before, namespace), move  # nothing in any list


def test_every_object_that_runs_pods_waits_for_its_namespace_s_admission_objects() -> None:
    """`depends_on` on each Rollout component (the parent of every Deployment and gate Job): the SDK registers the
    rollout (and so each child, which awaits its parent's URN) only once the policies and its namespace's list and
    bindings are done; the engine records the edges for deletes. Other namespaces' objects are not waited for, and
    the workload's identity does not wait at all: the AWS side of a new stack is created without the Kubernetes
    API (docs/private-deploy.md)."""
    capture = capture_stack_file(REPO / "stacks" / "Pulumi.prod.yaml")
    by_urn = {r.urn: r for r in capture.resources}
    admission = [r for r in capture.resources if r.type in ADMISSION_TYPES and "nhi:admission:Admission" in r.urn]
    policies = {r.urn for r in admission if r.type.endswith(":ValidatingAdmissionPolicy")}
    assert policies

    def of_namespace(namespace: str) -> set[str]:
        lists = {r.urn for r in admission if r.inputs.get("metadata", {}).get("namespace") == namespace}
        bindings = {
            r.urn
            for r in admission
            if r.type.endswith(":ValidatingAdmissionPolicyBinding")
            and r.inputs["spec"]["matchResources"]["namespaceSelector"]["matchLabels"]["kubernetes.io/metadata.name"]
            == namespace
        }
        assert lists and bindings, namespace
        return lists | bindings

    pod_runners = [r for r in capture.resources if r.type in POD_RUNNING_TYPES]
    assert {r.type for r in pod_runners} == POD_RUNNING_TYPES
    namespaces = {r.inputs["metadata"]["namespace"] for r in pod_runners}
    assert len(namespaces) > 1
    for pod_runner in pod_runners:
        rollout = by_urn[pod_runner.parent or ""]
        assert rollout.type == ROLLOUT_COMPONENT, pod_runner.urn
        namespace = pod_runner.inputs["metadata"]["namespace"]
        waits_for = set(rollout.dependencies)
        assert policies | of_namespace(namespace) <= waits_for, rollout.urn
        for other in namespaces - {namespace}:
            assert not of_namespace(other) & waits_for, (rollout.urn, other)
    identities = [
        r
        for r in capture.resources
        if r.type == "aws:iam/role:Role" and by_urn[r.parent or ""].type == "nhi:identity:WorkloadIdentity"
    ]
    assert identities and not any({r.urn for r in admission} & set(r.dependencies) for r in identities)
