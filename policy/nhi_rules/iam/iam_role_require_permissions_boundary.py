"""Workload roles carry a permissions boundary where the environment's config requires one: a ceiling that a
too-broad inline policy, or a later edit, cannot lift."""

from __future__ import annotations

from collections.abc import Iterator

from pulumi_policy import Severity

from nhi_rules.lib.frameworks import eks_bp
from nhi_rules.lib.iam import ROLE, Statement, parsed_statements, trust_document
from nhi_rules.lib.props import as_str, get, present
from nhi_rules.lib.rule import Subject, resource_rule

NAME = "iam-role-require-permissions-boundary"
PODS_SERVICE = "pods.eks.amazonaws.com"
EKS_OIDC_MARKER = ":oidc-provider/oidc.eks."

MSG_NO_BOUNDARY = (
    "permissionsBoundary is not set on a workload role ({trusted}): set it to the platform's "
    "boundary policy ARN (this environment's config requires one)"
)
MSG_WRONG_BOUNDARY = (
    "permissionsBoundary is {value!r}, not one of the boundaries this environment's config "
    "allows ({allowed}): use one of them"
)

CONFIG = {
    "required": {
        "type": "boolean",
        "default": False,
        "description": "Require a permissions boundary on every workload role (Pod Identity or EKS IRSA trust).",
    },
    "allowedBoundaryArns": {
        "type": "array",
        "items": {"type": "string"},
        "default": [],
        "description": "Boundary policy ARNs accepted; empty accepts any.",
    },
}


def _workload_trust(statements: list[Statement]) -> str | None:
    """How pods assume the role, or None when the role is not a workload role."""
    for statement in statements:
        if not statement.allows:
            continue
        if PODS_SERVICE in statement.principals.get("Service", ()):
            return "trusted by EKS Pod Identity"
        if any(EKS_OIDC_MARKER in provider for provider in statement.principals.get("Federated", ())):
            return "trusted by the cluster's OIDC provider (IRSA)"
    return None


def check(subject: Subject) -> Iterator[str]:
    if not subject.config["required"]:
        return
    trust = trust_document(subject.props)
    trusted = _workload_trust(parsed_statements(trust)) if trust is not None else None
    if trusted is None:
        return
    allowed = subject.config["allowedBoundaryArns"]
    if not allowed:
        # Any boundary will do, so an unknown ARN (a policy created in the same stack) counts as set.
        if not present(subject.props, "permissionsBoundary"):
            yield MSG_NO_BOUNDARY.format(trusted=trusted)
        return
    value = as_str(get(subject.props, "permissionsBoundary"))
    if not value:
        yield MSG_NO_BOUNDARY.format(trusted=trusted)
    elif value not in allowed:
        yield MSG_WRONG_BOUNDARY.format(value=value, allowed=", ".join(allowed))


POLICY = resource_rule(
    name=NAME,
    description="Workload roles (Pod Identity or IRSA trust) have a permissions boundary where the config requires it.",
    resource_types=(ROLE,),
    check=check,
    severity=Severity.MEDIUM,
    framework=eks_bp("BP-IAM-17", "Follow least privilege when creating the IAM policies of workloads"),
    tags=["aws", "iam", "least-privilege", "workload-identity"],
    remediation_steps=(
        "Set permissionsBoundary on every workload role to the platform's boundary policy "
        "(stack setting nhi-platform:permissionsBoundaryArn)."
    ),
    config=CONFIG,
)
