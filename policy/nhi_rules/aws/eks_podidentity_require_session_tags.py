"""Pod Identity associations keep session tags, which the scoped trust conditions and ABAC rely on."""

from __future__ import annotations

from collections.abc import Iterator

from pulumi_policy import Severity

from nhi_rules.lib.frameworks import eks_bp
from nhi_rules.lib.props import as_bool, get
from nhi_rules.lib.rule import Subject, resource_rule

NAME = "eks-podidentity-require-session-tags"

MSG_TAGS_DISABLED = (
    "disableSessionTags is true, so the aws:RequestTag/kubernetes-* trust conditions never match "
    "and ABAC is lost: set disableSessionTags=false"
)
MSG_SESSION_POLICY = (
    "policy (a session policy) is set, which requires disableSessionTags=true: move the "
    "permissions onto the role and remove policy"
)


def check(subject: Subject) -> Iterator[str]:
    if as_bool(get(subject.props, "disableSessionTags")) is True:
        yield MSG_TAGS_DISABLED
    if get(subject.props, "policy") is not None:
        yield MSG_SESSION_POLICY


POLICY = resource_rule(
    name=NAME,
    description="EKS Pod Identity associations keep session tags (no disableSessionTags, no session policy).",
    resource_types=("aws:eks/podIdentityAssociation:PodIdentityAssociation",),
    check=check,
    severity=Severity.HIGH,
    framework=eks_bp("BP-IAM-12", "Scope the IAM role trust policy for EKS Pod Identity (ABAC session tags)"),
    tags=["aws", "eks", "iam", "pod-identity"],
    remediation_steps="Remove disableSessionTags and policy from the association; scope the role's trust with "
    "RequestTag conditions instead.",
)
