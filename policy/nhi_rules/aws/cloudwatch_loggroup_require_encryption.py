"""Log groups (EKS control plane, flow logs) are encrypted with a customer-managed KMS key."""

from __future__ import annotations

from collections.abc import Iterator

from pulumi_policy import Severity

from nhi_rules.lib.frameworks import cis_eks
from nhi_rules.lib.props import present
from nhi_rules.lib.rule import Subject, resource_rule

NAME = "cloudwatch-loggroup-require-encryption"

MSG_NO_KMS = "kmsKeyId is not set: encrypt the log group with a customer-managed KMS key (kmsKeyId=<key ARN>)"


def check(subject: Subject) -> Iterator[str]:
    if not present(subject.props, "kmsKeyId"):
        yield MSG_NO_KMS


POLICY = resource_rule(
    name=NAME,
    description="CloudWatch log groups are encrypted with a customer-managed KMS key.",
    resource_types=("aws:cloudwatch/logGroup:LogGroup",),
    check=check,
    severity=Severity.MEDIUM,
    framework=cis_eks("2.1.1", "Enable audit Logs"),
    tags=["aws", "logging", "encryption"],
    remediation_steps="Set kmsKeyId to a CMK whose key policy allows logs.<region>.amazonaws.com.",
)
