"""Managed node groups use a launch template, where IMDSv2, the hop limit and volume encryption are set."""

from __future__ import annotations

from collections.abc import Iterator

from pulumi_policy import Severity

from nhi_rules.lib.frameworks import eks_bp
from nhi_rules.lib.props import get, present
from nhi_rules.lib.rule import Subject, resource_rule

NAME = "eks-nodegroup-require-launch-template"

MSG_NO_TEMPLATE = (
    "launchTemplate is not set, so EKS uses its default template (IMDS hop limit 2, unencrypted "
    "root volume unless the account default): set launchTemplate.id and launchTemplate.version"
)
MSG_NO_VERSION = "launchTemplate.version is not set: pin the version so node changes are explicit"


def check(subject: Subject) -> Iterator[str]:
    template = get(subject.props, "launchTemplate")
    if template is None:
        yield MSG_NO_TEMPLATE
    elif not present(template, "version"):
        # An unknown version is the template's latest_version during a first preview: it will be set.
        yield MSG_NO_VERSION


POLICY = resource_rule(
    name=NAME,
    description="EKS managed node groups use a custom launch template with a pinned version.",
    resource_types=("aws:eks/nodeGroup:NodeGroup",),
    check=check,
    severity=Severity.HIGH,
    framework=eks_bp("BP-IAM-10", "Restrict access to the instance profile assigned to the worker node"),
    tags=["aws", "eks", "nodes", "imds"],
    remediation_steps="Create an aws.ec2.LaunchTemplate (IMDSv2 required, hop limit 1, encrypted volumes) and "
    "reference it with launchTemplate={id, version}.",
)
