"""Cluster access is managed by EKS access entries only (authentication mode API, no aws-auth ConfigMap)."""

from __future__ import annotations

from collections.abc import Iterator

from pulumi_policy import Severity

from nhi_rules.lib.frameworks import cis_eks
from nhi_rules.lib.props import as_str, get
from nhi_rules.lib.rule import Subject, resource_rule

NAME = "eks-cluster-enforce-api-authentication"

MSG_MODE_OMITTED = (
    "accessConfig.authenticationMode is not set and EKS falls back to the aws-auth ConfigMap: "
    "set accessConfig.authenticationMode='API'"
)
MSG_MODE_WRONG = "accessConfig.authenticationMode is {mode!r}: set it to 'API' and manage access with access entries"


def check(subject: Subject) -> Iterator[str]:
    mode = as_str(get(subject.props, "accessConfig", "authenticationMode"))
    if mode is None:
        yield MSG_MODE_OMITTED
    elif mode != "API":
        yield MSG_MODE_WRONG.format(mode=mode)


POLICY = resource_rule(
    name=NAME,
    description="EKS clusters use authentication mode API (access entries), not the aws-auth ConfigMap.",
    resource_types=("aws:eks/cluster:Cluster",),
    check=check,
    severity=Severity.HIGH,
    framework=cis_eks("4.1.7", "Cluster Access Manager API to streamline and enhance the management of access"),
    tags=["aws", "eks", "iam", "access", "eks-bp:BP-IAM-01"],
    remediation_steps="Set accessConfig.authenticationMode='API' and grant access with aws.eks.AccessEntry.",
)
