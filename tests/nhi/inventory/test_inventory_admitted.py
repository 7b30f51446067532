"""`nhi inventory` shows, per identity, the digests the cluster's admission allow-list admits for it, read from the
rendered bindings and their parameter ConfigMaps, and flags a namespace whose list does not deny."""

from __future__ import annotations

import copy
import dataclasses

from nhi.inventory import formats
from nhi.inventory.build import build
from nhi.inventory.model import IAM_ROLE
from nhi.preflight.capture import Capture
from tests.conftest import capture_stack, stack_settings

BINDING = "kubernetes:admissionregistration.k8s.io/v1:ValidatingAdmissionPolicyBinding"


def test_each_workload_identity_shows_the_digests_of_its_two_slots_and_its_gate() -> None:
    declared = stack_settings("prod")
    identities = build(capture_stack("prod")).by_id()
    for w in declared.workloads:
        account = identities[f"k8s-service-account:{w.namespace}/{w.name}"]
        assert set(account.admitted) == {w.rollout.blue, w.rollout.green}
        assert set(account.images) <= set(account.admitted)
        assert not [f for f in account.flags if "admit" in f]
        gate = identities[f"k8s-service-account:{w.namespace}/{w.name}-gate"]
        assert gate.admitted == (declared.gate_image,)
        roles = [i for i in identities.values() if i.kind == IAM_ROLE and f"{w.namespace}/{w.name}" in i.name]
        roles += [
            i
            for i in identities.values()
            if i.kind == IAM_ROLE and any(b.subject == f"{w.namespace}/{w.name}" for b in i.bindings)
        ]
        assert roles and all(set(r.admitted) == {w.rollout.blue, w.rollout.green} for r in roles)
    assert identities["k8s-service-account:kube-system/aws-node"].admitted == ()
    table = formats.to_table(build(capture_stack("prod")))
    assert "ADMITS" in table


def _audit_only(capture: Capture, namespace: str) -> Capture:
    resources = []
    for resource in capture.resources:
        if resource.type == BINDING and resource.inputs["metadata"]["name"].endswith(f"allowlist-{namespace}"):
            inputs = copy.deepcopy(resource.inputs)
            inputs["spec"]["validationActions"] = ["Audit"]
            resources.append(dataclasses.replace(resource, inputs=inputs, outputs=inputs))
        else:
            resources.append(resource)
    return dataclasses.replace(capture, resources=resources)


def test_a_namespace_whose_list_only_audits_admits_any_image() -> None:
    identities = build(_audit_only(capture_stack("prod"), "edge")).by_id()
    gateway = identities["k8s-service-account:edge/gateway"]
    assert gateway.admitted == ()
    assert "no admission allow-list binds namespace edge: the cluster admits any image" in gateway.flags
    assert identities["k8s-service-account:shop/cart"].admitted  # other namespaces unchanged
