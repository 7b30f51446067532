"""Kubernetes secrets are envelope-encrypted with a customer-managed KMS key."""

from __future__ import annotations

from collections.abc import Iterator

from pulumi_policy import Severity

from nhi_rules.lib.frameworks import cis_eks
from nhi_rules.lib.props import get, present, strings
from nhi_rules.lib.rule import Subject, resource_rule

NAME = "eks-cluster-require-secrets-encryption"

MSG_NO_ENCRYPTION = (
    "encryptionConfig is not set: add encryptionConfig with resources=['secrets'] and "
    "provider.keyArn of a customer-managed KMS key"
)
MSG_NO_SECRETS = "encryptionConfig.resources does not include 'secrets': set resources=['secrets']"
MSG_NO_KEY = "encryptionConfig.provider.keyArn is not set: point it at a customer-managed KMS key with rotation on"


def check(subject: Subject) -> Iterator[str]:
    config = get(subject.props, "encryptionConfig")
    if config is None:
        yield MSG_NO_ENCRYPTION
        return
    if "secrets" not in strings(get(config, "resources")):
        yield MSG_NO_SECRETS
    if not present(config, "provider", "keyArn"):
        yield MSG_NO_KEY


POLICY = resource_rule(
    name=NAME,
    description="EKS clusters encrypt Kubernetes secrets with a customer-managed KMS key.",
    resource_types=("aws:eks/cluster:Cluster",),
    check=check,
    severity=Severity.HIGH,
    framework=cis_eks(
        "5.3.1", "Ensure Kubernetes Secrets are encrypted using Customer Master Keys (CMKs) managed in AWS KMS"
    ),
    tags=["aws", "eks", "encryption", "secrets"],
    remediation_steps="Set encryptionConfig={resources: ['secrets'], provider: {keyArn: <CMK ARN>}} on the cluster.",
)
