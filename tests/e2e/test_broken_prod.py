"""End to end, as CI runs it: `nhi preflight` blocks the deliberately broken copy of prod and names every
rule it must, and passes our own three stacks with their environments' pack configs."""

from __future__ import annotations

import contextlib
import importlib.util
import io
import json
import re
import sys
from collections import defaultdict
from types import ModuleType

import pytest
import yaml

from nhi.cli import main
from nhi_rules.registry import POLICIES
from tests.conftest import REPO, STACKS

BROKEN_PROD = REPO / "tests" / "programs" / "broken_prod"
PROD_CONFIG = REPO / "policy" / "config" / "prod.json"

# Every rule the broken copy must trip, written out so that a change to the breakages is a visible change here.
EXPECTED_RULES = frozenset(
    {
        "cloudwatch-loggroup-require-encryption",
        "cloudwatch-loggroup-require-retention",
        "ec2-launchtemplate-disallow-userdata-secrets",
        "ec2-launchtemplate-limit-metadata-hop-limit",
        "ec2-launchtemplate-require-encrypted-volumes",
        "ec2-launchtemplate-require-imdsv2",
        "ec2-securitygroup-disallow-open-admin-ports",
        "ec2-securitygroup-disallow-open-all-ports",
        "ec2-vpcendpoint-disallow-full-access",
        "ecr-repository-require-immutable-tags",
        "ecr-repository-require-scan-on-push",
        "eks-addon-require-network-policy",
        "eks-cluster-disallow-creator-admin",
        "eks-cluster-disallow-public-endpoint",
        "eks-cluster-enforce-api-authentication",
        "eks-cluster-require-control-plane-logs",
        "eks-cluster-require-deletion-protection",
        "eks-cluster-require-secrets-encryption",
        "eks-cluster-require-standard-support",
        "eks-identity-disallow-escalation-paths",
        "eks-identity-require-matching-trust",
        "eks-nodegroup-disallow-remote-access",
        "eks-nodegroup-limit-role-permissions",
        "eks-nodegroup-limit-update-disruption",
        "eks-nodegroup-require-bottlerocket",
        "eks-nodegroup-require-launch-template",
        "eks-nodegroup-require-pinned-release",
        "eks-podidentity-require-session-tags",
        "guardduty-detector-require-eks-protection",
        "iam-policy-disallow-admin-attachment",
        "iam-policy-disallow-privilege-escalation",
        "iam-policy-disallow-wildcard-actions",
        "iam-policy-disallow-wildcard-resources",
        "iam-policy-require-valid-grammar",
        "iam-role-disallow-account-root-trust",
        "iam-role-disallow-public-trust",
        "iam-role-disallow-wildcard-oidc-subject",
        "iam-role-enforce-oidc-trust-conditions",
        "iam-role-enforce-github-oidc-trust",
        "iam-role-enforce-pod-identity-trust-conditions",
        "iam-role-limit-service-account-bindings",
        "kms-key-require-rotation",
        "kubernetes-admissionpolicy-require-fail-closed",
        "kubernetes-namespace-require-admission-allowlist",
        "kubernetes-namespace-require-default-deny",
        "kubernetes-namespace-require-pod-security-labels",
        "kubernetes-networkpolicy-disallow-allow-all",
        "kubernetes-pod-disallow-default-identity",
        "kubernetes-pod-disallow-env-secrets",
        "kubernetes-pod-disallow-token-automount",
        "kubernetes-pod-enforce-security-standards",
        "kubernetes-pod-limit-image-registries",
        "kubernetes-pod-require-image-digest",
        "kubernetes-pod-require-network-policy-coverage",
        "kubernetes-pod-require-readonly-rootfs",
        "kubernetes-pod-require-resource-limits",
        "kubernetes-service-require-internal-loadbalancer",
    }
)
# Rules a transformation cannot trip: it can only change resources prod creates, and prod creates none of these
# types (or its config does not ask for the property).
NOT_INJECTABLE = {
    "ec2-securitygroup-limit-combined-ingress": "prod's SecurityGroupIngressRule resources admit the VPC or a security "
    "group only (the AWS endpoints', the API endpoint's), so no public piece is there for an edited rule to add up "
    "with, and a breakage edits one resource",
    "iam-user-disallow-static-credentials": "prod creates no IAM users, access keys or login profiles",
    "eks-cluster-require-in-vpc-deployer": "the broken copy opens the API endpoint "
    "(eks-cluster-disallow-public-endpoint), and this rule judges private-only endpoints; "
    "tests/policy/test_deploy_path_rules_on_prod.py removes prod's runner",
    "ec2-subnet-disallow-node-internet-route": "a breakage edits one resource's inputs and cannot point a node subnet "
    "at another resource's route table; tests/policy/test_deploy_path_rules_on_prod.py does it on prod's capture",
    "kubernetes-networkpolicy-limit-combined-peers": "prod's NetworkPolicy ipBlocks are private, so no public "
    "piece is there for an edited policy to add up with, and a breakage edits one resource",
    "iam-role-require-permissions-boundary": "prod's pack config does not require a boundary (prod sets none)",
    "kubernetes-role-disallow-escalation-verbs": "prod creates no Roles or ClusterRoles",
    "kubernetes-role-disallow-node-proxy": "prod creates no Roles or ClusterRoles",
    "kubernetes-role-disallow-pod-exec": "prod creates no Roles or ClusterRoles",
    "kubernetes-role-disallow-token-creation": "prod creates no Roles or ClusterRoles",
    "kubernetes-role-disallow-wildcards": "prod creates no Roles or ClusterRoles",
    "kubernetes-role-limit-secrets-access": "prod creates no Roles or ClusterRoles",
    "kubernetes-rolebinding-disallow-cluster-admin": "prod creates no RoleBindings or ClusterRoleBindings",
    "iam-role-enforce-session-revocation": "prod records no revocation (no role is tagged with its time), and the "
    "rule judges only roles that are; tests/nhi/revoke shows it trips on a recorded revocation without its deny",
    "kubernetes-rolebinding-disallow-admin-equivalent": "prod creates no RoleBindings or ClusterRoleBindings",
}


def _breakage_module() -> ModuleType:
    """The broken program's breakage table, loaded under a name of its own (the program imports `breakage`)."""
    spec = importlib.util.spec_from_file_location("broken_prod_breakage", BROKEN_PROD / "breakage.py")
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    sys.modules[spec.name] = module  # dataclasses look their module up while the class is built
    spec.loader.exec_module(module)
    return module


def _preflight(*argv: str) -> tuple[int, dict]:
    """`nhi preflight ... --format json` as a user runs it: the exit code and the JSON report."""
    out = io.StringIO()
    with contextlib.redirect_stdout(out):
        code = main(["preflight", *argv, "--format", "json"])
    assert out.getvalue().strip(), f"no report (exit {code})"
    return code, json.loads(out.getvalue())


@pytest.fixture(scope="module")
def broken_report() -> tuple[int, dict]:
    return _preflight("--program", str(BROKEN_PROD), "--stack", "prod", "--policy-pack-config", str(PROD_CONFIG))


def _fired(report: dict) -> dict[str, set[str]]:
    """Mandatory rule name -> names of the resources it blocked."""
    fired: dict[str, set[str]] = defaultdict(set)
    for diagnostic in report["diagnostics"]:
        if diagnostic["enforcementLevel"] == "mandatory":
            fired[diagnostic["policy"]].add(diagnostic["urn"].rsplit("::", 1)[-1])
    return fired


@pytest.mark.slow
def test_broken_prod_is_blocked_by_exactly_the_expected_rules(broken_report: tuple[int, dict]) -> None:
    code, report = broken_report
    assert code == 1
    fired = _fired(report)
    assert set(fired) - EXPECTED_RULES == set(), "rules that fire on the broken copy but are not expected"
    assert EXPECTED_RULES - set(fired) == set(), "expected rules that did not fire"
    assert report["notRun"] == []


@pytest.mark.slow
def test_each_breakage_is_caught_on_the_resource_it_broke(broken_report: tuple[int, dict]) -> None:
    breakage = _breakage_module()
    assert breakage.expected_rules() == EXPECTED_RULES, "the breakage table and this test disagree"
    report = broken_report[1]
    fired = _fired(report)
    # Stack rules report on the resource that carries the fix (the namespace, the detector); resource rules on
    # the resource itself.
    anchors = {
        "kubernetes-namespace-require-default-deny": "workload-namespaces-identity",
        "kubernetes-namespace-require-admission-allowlist": "workload-namespaces-data",
        "kubernetes-pod-require-network-policy-coverage": "workloads-reporting-rollout-blue",
        "guardduty-detector-require-eks-protection": "detective-guardduty",
        "eks-identity-disallow-escalation-paths": "workloads-checkout-identity-role",
    }
    # A breakage's `also` rules fire on it too (a note that no longer holds fails here, not silently); a stack rule
    # among them reports where the fix goes: the IRSA binding is on the workload's service account, not its role.
    also_anchors = {
        ("eks-identity-require-matching-trust", "workloads-notifier-identity-role"): "workloads-notifier-identity-sa"
    }
    missed = [
        (b.rule, b.name) for b in breakage.BREAKAGES if anchors.get(b.rule, b.name) not in fired.get(b.rule, set())
    ]
    missed += [
        (rule, b.name)
        for b in breakage.BREAKAGES
        for rule in b.also
        if also_anchors.get((rule, b.name), anchors.get(rule, b.name)) not in fired.get(rule, set())
    ]
    assert missed == [], report["diagnostics"]


def test_every_rule_is_tripped_by_the_broken_copy_or_says_why_not() -> None:
    names = {policy.name for policy in POLICIES}
    assert EXPECTED_RULES | set(NOT_INJECTABLE) == names
    assert EXPECTED_RULES & set(NOT_INJECTABLE) == set()


def test_the_broken_copy_declares_the_real_project_config() -> None:
    ours = yaml.safe_load((BROKEN_PROD / "Pulumi.yaml").read_text())
    real = yaml.safe_load((REPO / "Pulumi.yaml").read_text())
    assert ours["name"] == real["name"]
    assert ours["config"] == real["config"]
    assert (BROKEN_PROD / ours["stackConfigDir"] / "Pulumi.prod.yaml").resolve() == REPO / "stacks" / "Pulumi.prod.yaml"


@pytest.mark.slow
@pytest.mark.parametrize("stack", STACKS)
def test_our_stacks_pass_with_their_pack_config(stack: str) -> None:
    code, report = _preflight(
        "--stack", stack, "--policy-pack-config", str(REPO / "policy" / "config" / f"{stack}.json")
    )
    mandatory = [
        (d["policy"], d["urn"], d["message"]) for d in report["diagnostics"] if d["enforcementLevel"] == "mandatory"
    ]
    assert mandatory == []
    assert code == 0


@pytest.mark.slow
def test_first_preview_of_prod_gives_up_only_on_whole_unknown_values() -> None:
    """With every computed output unknown, prod still passes, and a rule only fails to run where a whole
    top-level value is one unknown: an IAM document built with `apply` from an ARN or an issuer, or the ARN of
    a policy created in the same run. Nothing nested (a container's field, one CIDR, one inline policy) may
    stop a rule: those parts are judged apart."""
    code, report = _preflight("--stack", "prod", "--policy-pack-config", str(PROD_CONFIG), "--unknowns")
    assert code == 0
    assert [d for d in report["diagnostics"] if d["enforcementLevel"] == "mandatory"] == []
    reasons = {n["reason"].rsplit(": ", 1)[-1] for n in report["notRun"]}
    assert reasons, "a first preview of prod has unknown documents"
    whole = re.compile(r"^string value at \.(assumeRolePolicy|policy|policyArn) can't be known during preview$")
    assert {reason for reason in reasons if not whole.match(reason)} == set()
