"""Workload identity on the capture of every stack: one role per ServiceAccount, bound to it alone by its
trust policy, permissions only from `access`, no long-lived credentials."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from components import labels
from components.access_catalog import CATALOG
from components.identity import IRSA_ACTION, POD_IDENTITY_ACTIONS, POD_IDENTITY_PRINCIPAL, IdentityMode
from components.labels import IRSA_ROLE_ANNOTATION
from components.policy_documents import MAX_SESSION_SECONDS, STS_AUDIENCE
from nhi.preflight.capture import CapturedResource
from tests.components.workload_views import (
    ASSOCIATION,
    ROLE,
    ROLE_POLICY,
    SERVICE_ACCOUNT,
    capture_workloads,
    capture_workloads_file,
    manifests,
    trust_of,
    workload_resources,
)
from tests.conftest import STACKS, stack_file_config, stack_settings, write_stack_file

FORBIDDEN_TYPES = {
    "aws:iam/user:User",
    "aws:iam/accessKey:AccessKey",
    "aws:iam/userPolicy:UserPolicy",
    "aws:iam/userPolicyAttachment:UserPolicyAttachment",
    "aws:iam/loginProfile:LoginProfile",
}


def roles_by_service_account(stack: str) -> dict[tuple[str, str], CapturedResource]:
    """(namespace, service account) -> the role bound to it, found the way EKS finds it: the association's
    roleArn (pod-identity) or the SA's role annotation (irsa)."""
    capture = capture_workloads(stack)
    roles = {r.outputs["arn"]: r for r in workload_resources(capture, ROLE)}
    bound: dict[tuple[str, str], list[CapturedResource]] = {}
    for association in workload_resources(capture, ASSOCIATION):
        key = (association.inputs["namespace"], association.inputs["serviceAccount"])
        bound.setdefault(key, []).append(roles[association.inputs["roleArn"]])
    for sa in manifests(capture, SERVICE_ACCOUNT):
        arn = (sa["metadata"].get("annotations") or {}).get(IRSA_ROLE_ANNOTATION)
        if arn:
            bound.setdefault((sa["metadata"]["namespace"], sa["metadata"]["name"]), []).append(roles[arn])
    assert all(len(found) == 1 for found in bound.values()), {k: len(v) for k, v in bound.items()}
    return {key: found[0] for key, found in bound.items()}


@pytest.mark.parametrize("stack", STACKS)
def test_one_role_per_service_account_and_one_service_account_per_workload(stack: str) -> None:
    declared = stack_settings(stack)
    capture = capture_workloads(stack)
    accounts = {(m["metadata"]["namespace"], m["metadata"]["name"]): m for m in manifests(capture, SERVICE_ACCOUNT)}
    # The rollout's health gates have accounts of their own, bound to no role (components/rollout.py).
    gates = {
        key for key, m in accounts.items() if m["metadata"]["labels"].get(labels.COMPONENT) == labels.GATE_COMPONENT
    }
    assert gates == {(w.namespace, f"{w.name}-gate") for w in declared.workloads}
    service_accounts = set(accounts) - gates
    assert service_accounts == {(w.namespace, w.name) for w in declared.workloads}
    bound = roles_by_service_account(stack)
    assert set(bound) == service_accounts
    role_urns = [role.urn for role in bound.values()]
    assert len(set(role_urns)) == len(role_urns), "a role is shared by two service accounts"
    assert {r.urn for r in workload_resources(capture, ROLE)} == set(role_urns), "a role bound to no service account"


@pytest.mark.parametrize("stack", STACKS)
def test_trust_binds_each_role_to_its_service_account_only(stack: str) -> None:
    declared = stack_settings(stack)
    bound = roles_by_service_account(stack)
    capture = capture_workloads(stack)
    cluster = capture.of_type("aws:eks/cluster:Cluster")[0].outputs
    issuer = cluster["identities"][0]["oidcs"][0]["issuer"].removeprefix("https://")
    provider_arn = capture.of_type("aws:iam/openIdConnectProvider:OpenIdConnectProvider")[0].outputs["arn"]
    for w in declared.workloads:
        role = bound[(w.namespace, w.name)]
        (statement,) = trust_of(role)["Statement"]
        assert statement["Effect"] == "Allow"
        if w.identity is IdentityMode.POD_IDENTITY:
            assert statement["Principal"] == {"Service": POD_IDENTITY_PRINCIPAL}
            assert sorted(statement["Action"]) == sorted(POD_IDENTITY_ACTIONS)
            assert statement["Condition"] == {
                "StringEquals": {
                    "aws:SourceAccount": declared.account_id,
                    "aws:RequestTag/eks-cluster-arn": cluster["arn"],
                    "aws:RequestTag/kubernetes-namespace": w.namespace,
                    "aws:RequestTag/kubernetes-service-account": w.name,
                }
            }
        else:
            assert statement["Principal"] == {"Federated": provider_arn}
            assert provider_arn.endswith(f":oidc-provider/{issuer}")
            assert statement["Action"] == IRSA_ACTION
            assert statement["Condition"] == {
                "StringEquals": {
                    f"{issuer}:aud": STS_AUDIENCE,
                    f"{issuer}:sub": f"system:serviceaccount:{w.namespace}:{w.name}",
                }
            }
        assert role.inputs["maxSessionDuration"] == MAX_SESSION_SECONDS


@pytest.mark.parametrize("stack", STACKS)
def test_pod_identity_associations_keep_session_tags_and_irsa_roles_have_no_association(stack: str) -> None:
    declared = stack_settings(stack)
    capture = capture_workloads(stack)
    associations = workload_resources(capture, ASSOCIATION)
    assert {(a.inputs["namespace"], a.inputs["serviceAccount"]) for a in associations} == {
        (w.namespace, w.name) for w in declared.workloads if w.identity is IdentityMode.POD_IDENTITY
    }
    assert all(a.inputs["disableSessionTags"] is False and "policy" not in a.inputs for a in associations)
    assert {a.inputs["clusterName"] for a in associations} <= {declared.cluster.name}
    annotated = {
        (m["metadata"]["namespace"], m["metadata"]["name"])
        for m in manifests(capture, SERVICE_ACCOUNT)
        if IRSA_ROLE_ANNOTATION in (m["metadata"].get("annotations") or {})
    }
    assert annotated == {(w.namespace, w.name) for w in declared.workloads if w.identity is IdentityMode.IRSA}


@pytest.mark.parametrize("stack", STACKS)
def test_permissions_are_exactly_the_declared_access(stack: str) -> None:
    declared = stack_settings(stack)
    capture = capture_workloads(stack)
    bound = roles_by_service_account(stack)
    policies_by_role = {p.parent: json.loads(p.inputs["policy"]) for p in workload_resources(capture, ROLE_POLICY)}
    for w in declared.workloads:
        role = bound[(w.namespace, w.name)]
        document = policies_by_role.get(role.parent)
        if not w.access:
            assert document is None, w.name
            continue
        assert document is not None, w.name
        granted: set[tuple[str, str]] = set()
        for statement in document["Statement"]:
            assert statement["Effect"] == "Allow" and "NotAction" not in statement and "NotResource" not in statement
            actions = statement["Action"]
            assert all("*" not in action for action in actions), statement
            assert "*" not in statement["Resource"], statement
            granted |= {(action, resource) for action in actions for resource in statement["Resource"]}
        expected = {
            (action, scope.derive(arn))
            for grant in w.access
            for scope in CATALOG[grant.service].levels[grant.level].scopes
            for action in scope.actions
            for arn in grant.resources
        }
        assert granted == expected, w.name
        named = {arn for grant in w.access for arn in grant.resources}
        assert {r.removesuffix("/*").removesuffix("/index") for _, r in granted} == named


@pytest.mark.parametrize("stack", STACKS)
def test_no_long_lived_credentials_and_no_secrets_in_pod_environments(stack: str) -> None:
    capture = capture_workloads(stack)
    assert {r.type for r in capture.resources} & FORBIDDEN_TYPES == set()
    for deployment in manifests(capture, "kubernetes:apps/v1:Deployment"):
        for container in deployment["spec"]["template"]["spec"]["containers"]:
            assert "env" not in container and "envFrom" not in container, deployment["metadata"]["name"]


def test_a_stack_permissions_boundary_is_set_on_every_workload_role(tmp_path: Path) -> None:
    boundary = "arn:aws:iam::111122223333:policy/workload-boundary"
    config = stack_file_config("prod")
    config["nhi-platform:permissionsBoundaryArn"] = boundary
    capture = capture_workloads_file(write_stack_file(tmp_path, "prod", config))
    assert {r.inputs.get("permissionsBoundary") for r in workload_resources(capture, ROLE)} == {boundary}
    assert all("permissionsBoundary" not in r.inputs for r in workload_resources(capture_workloads("prod"), ROLE))
