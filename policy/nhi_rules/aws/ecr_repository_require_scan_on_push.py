"""Images are scanned for vulnerabilities when pushed."""

from __future__ import annotations

from collections.abc import Iterator

from pulumi_policy import Severity

from nhi_rules.lib.frameworks import cis_eks
from nhi_rules.lib.props import as_bool, get
from nhi_rules.lib.rule import Subject, resource_rule

NAME = "ecr-repository-require-scan-on-push"

MSG_SCAN_OFF = (
    "imageScanningConfiguration.scanOnPush is not true: set imageScanningConfiguration.scanOnPush=true "
    "(or enable registry-level enhanced scanning and exempt the repository with that reason)"
)


def check(subject: Subject) -> Iterator[str]:
    if as_bool(get(subject.props, "imageScanningConfiguration", "scanOnPush")) is not True:
        yield MSG_SCAN_OFF


POLICY = resource_rule(
    name=NAME,
    description="ECR repositories scan images on push.",
    resource_types=("aws:ecr/repository:Repository",),
    check=check,
    severity=Severity.MEDIUM,
    framework=cis_eks(
        "5.1.1", "Ensure Image Vulnerability Scanning using Amazon ECR image scanning or a third party provider"
    ),
    tags=["aws", "ecr", "supply-chain", "vulnerability"],
    remediation_steps="Set imageScanningConfiguration={scanOnPush: true}.",
)
