"""The admission objects each stack renders: a policy of each kind and, for every workload namespace, its
parameter ConfigMap and a fail-closed binding of each policy (Deny and Audit); all valid for the cluster's
Kubernetes version (kubernetes-validate, strict)."""

from __future__ import annotations

import copy

import kubernetes_validate
import pytest

from components.admission import admitted_images
from components.admission.component import (
    FAILURE_POLICY,
    PARAMETER_NOT_FOUND,
    SYSTEM_NAMESPACES,
    UNUSED_NAMESPACES,
    VALIDATION_ACTIONS,
)
from components.admission.expressions import ALLOWLIST_CONFIGMAP, ALLOWLIST_POLICY, CREDENTIAL_POLICY, NO_ENTRY_POLICY
from tests.components.admission.conftest import ADMISSION_KINDS, stack_objects
from tests.conftest import STACKS, stack_settings


@pytest.mark.parametrize("stack", STACKS)
def test_the_admission_objects_validate_for_the_cluster_version(stack: str) -> None:
    version = f"{stack_settings(stack).cluster.kubernetes_version}.0"
    objects = [o for o in stack_objects(stack) if o["kind"] in ADMISSION_KINDS]
    assert {o["kind"] for o in objects} == set(ADMISSION_KINDS)
    for body in objects:
        kubernetes_validate.validate(body, version, strict=True)


def test_the_validation_rejects_a_misspelt_admission_field() -> None:
    policy = copy.deepcopy(next(o for o in stack_objects("prod") if o["kind"] == "ValidatingAdmissionPolicy"))
    policy["spec"]["failurePolicy"] = "Fail"
    policy["spec"]["validation"] = policy["spec"].pop("validations")
    with pytest.raises(kubernetes_validate.ValidationError):
        kubernetes_validate.validate(policy, "1.34.0", strict=True)


@pytest.mark.parametrize("stack", STACKS)
def test_every_workload_namespace_has_fail_closed_bindings_and_its_list(stack: str) -> None:
    declared = stack_settings(stack)
    objects = stack_objects(stack)
    policies = {o["metadata"]["name"]: o for o in objects if o["kind"] == "ValidatingAdmissionPolicy"}
    expected = {ALLOWLIST_POLICY, CREDENTIAL_POLICY} | ({NO_ENTRY_POLICY} if declared.is_prod else set())
    assert set(policies) == expected
    for policy in policies.values():
        assert policy["spec"]["failurePolicy"] == FAILURE_POLICY
        excluded = policy["spec"]["matchConstraints"]["namespaceSelector"]["matchExpressions"][0]
        assert excluded["operator"] == "NotIn" and set(excluded["values"]) == set(SYSTEM_NAMESPACES)
    bindings = [o for o in objects if o["kind"] == "ValidatingAdmissionPolicyBinding"]
    bound = {
        (
            b["spec"]["policyName"],
            b["spec"]["matchResources"]["namespaceSelector"]["matchLabels"]["kubernetes.io/metadata.name"],
        )
        for b in bindings
    }
    namespaces = [*declared.namespaces, *UNUSED_NAMESPACES]
    assert bound == {(policy, namespace) for policy in expected for namespace in namespaces}
    for binding in bindings:
        assert tuple(binding["spec"]["validationActions"]) == VALIDATION_ACTIONS
        if binding["spec"]["policyName"] == ALLOWLIST_POLICY:
            assert binding["spec"]["paramRef"]["parameterNotFoundAction"] == PARAMETER_NOT_FOUND
            assert binding["spec"]["paramRef"]["name"] == ALLOWLIST_CONFIGMAP
    lists = {
        o["metadata"]["namespace"]: admitted_images(o["data"])
        for o in objects
        if o["kind"] == "ConfigMap" and o["metadata"]["name"] == ALLOWLIST_CONFIGMAP
    }
    assert set(lists) == set(declared.namespaces)
    for w in declared.workloads:
        assert set(lists[w.namespace][w.name]) == {w.rollout.blue, w.rollout.green}
        if declared.idle_replicas(w) > 0:
            assert lists[w.namespace][f"{w.name}-gate"] == (declared.gate_image,)
    assert {"default", "kube-system"}.isdisjoint(lists)
