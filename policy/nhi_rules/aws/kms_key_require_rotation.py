"""Symmetric customer-managed KMS keys rotate automatically."""

from __future__ import annotations

from collections.abc import Iterator

from pulumi_policy import Severity

from nhi_rules.lib.frameworks import cis_eks
from nhi_rules.lib.props import as_bool, as_str, get
from nhi_rules.lib.rule import Subject, resource_rule

NAME = "kms-key-require-rotation"

MSG_ROTATION_OFF = "enableKeyRotation is not true: set enableKeyRotation=true (symmetric keys rotate yearly or faster)"


def check(subject: Subject) -> Iterator[str]:
    spec = as_str(get(subject.props, "customerMasterKeySpec")) or "SYMMETRIC_DEFAULT"
    usage = as_str(get(subject.props, "keyUsage")) or "ENCRYPT_DECRYPT"
    if spec != "SYMMETRIC_DEFAULT" or usage != "ENCRYPT_DECRYPT":
        return  # AWS does not rotate asymmetric or HMAC keys
    if as_bool(get(subject.props, "enableKeyRotation")) is not True:
        yield MSG_ROTATION_OFF


POLICY = resource_rule(
    name=NAME,
    description="Symmetric KMS keys have automatic rotation enabled.",
    resource_types=("aws:kms/key:Key",),
    check=check,
    severity=Severity.MEDIUM,
    framework=cis_eks(
        "5.3.1", "Ensure Kubernetes Secrets are encrypted using Customer Master Keys (CMKs) managed in AWS KMS"
    ),
    tags=["aws", "kms", "encryption"],
    remediation_steps="Set enableKeyRotation=true (optionally rotationPeriodInDays).",
)
