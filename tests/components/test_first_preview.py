"""In a first preview (nothing exists yet) the policy pack can only judge what is known. Values fixed by
inputs (the cluster ARN, a named log group's ARN) are derived, so the documents built from them are known;
only values AWS invents at creation (the OIDC issuer ID, KMS key IDs) stay unknown."""

from __future__ import annotations

import json

from nhi.preflight import wire
from tests.conftest import capture_stack


def _roles_by_trust_principal(stack: str) -> dict[str, list[str]]:
    capture = capture_stack(stack, unknowns=True)
    out: dict[str, list[str]] = {"known": [], "unknown": []}
    for role in capture.of_type("aws:iam/role:Role"):
        trust = role.inputs["assumeRolePolicy"]
        out["unknown" if wire.contains_unknown(trust) else "known"].append(role.name)
    return out


def test_pod_identity_trust_is_known_in_a_first_preview() -> None:
    capture = capture_stack("prod", unknowns=True)
    pod_identity_roles = [
        r
        for r in capture.of_type("aws:iam/role:Role")
        if "pods.eks.amazonaws.com" in str(r.inputs.get("assumeRolePolicy"))
    ]
    assert len(pod_identity_roles) >= 10  # every pod-identity workload and the VPC CNI role
    for role in pod_identity_roles:
        trust = json.loads(role.inputs["assumeRolePolicy"])
        conditions = trust["Statement"][0]["Condition"]["StringEquals"]
        assert conditions["aws:RequestTag/eks-cluster-arn"] == "arn:aws:eks:eu-west-1:111122223333:cluster/prod-core"


def test_only_irsa_trust_waits_for_the_cluster() -> None:
    roles = _roles_by_trust_principal("prod")
    # The OIDC issuer ID exists only once the cluster does: IRSA trust is unknown, and only IRSA trust.
    assert sorted(roles["unknown"]) == sorted(
        f"workloads-{w}-identity-role" for w in ("ledger", "notifier", "mailer", "reporting")
    )


def test_the_derived_cluster_arn_equals_the_one_eks_returns() -> None:
    known = capture_stack("prod")
    cluster = known.of_type("aws:eks/cluster:Cluster")[0]
    roles = [r for r in known.of_type("aws:iam/role:Role") if "pods.eks.amazonaws.com" in r.inputs["assumeRolePolicy"]]
    arns = {
        json.loads(r.inputs["assumeRolePolicy"])["Statement"][0]["Condition"]["StringEquals"][
            "aws:RequestTag/eks-cluster-arn"
        ]
        for r in roles
    }
    assert arns == {cluster.outputs["arn"]}


def test_flow_log_permissions_are_known_in_a_first_preview() -> None:
    capture = capture_stack("prod", unknowns=True)
    policy = next(p for p in capture.of_type("aws:iam/rolePolicy:RolePolicy") if p.name.endswith("flow-logs-write"))
    document = json.loads(policy.inputs["policy"])
    assert document["Statement"][0]["Resource"] == [
        "arn:aws:logs:eu-west-1:111122223333:log-group:/aws/vpc/prod-core/flow-logs:log-stream:*"
    ]
