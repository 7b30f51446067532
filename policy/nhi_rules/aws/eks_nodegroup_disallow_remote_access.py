"""Managed nodes accept no SSH: no remoteAccess block, no EC2 key pair."""

from __future__ import annotations

from collections.abc import Iterator

from pulumi_policy import Severity

from nhi_rules.lib.frameworks import eks_bp
from nhi_rules.lib.props import get
from nhi_rules.lib.rule import Subject, resource_rule

NAME = "eks-nodegroup-disallow-remote-access"

MSG_REMOTE_ACCESS = (
    "remoteAccess is set (SSH key {key!r}): remove remoteAccess and reach nodes with SSM "
    "Session Manager or the Bottlerocket control container"
)


def check(subject: Subject) -> Iterator[str]:
    remote = get(subject.props, "remoteAccess")
    if remote is not None:
        yield MSG_REMOTE_ACCESS.format(key=get(remote, "ec2SshKey", default=""))


POLICY = resource_rule(
    name=NAME,
    description="EKS managed node groups do not enable SSH remote access.",
    resource_types=("aws:eks/nodeGroup:NodeGroup",),
    check=check,
    severity=Severity.HIGH,
    framework=eks_bp("BP-HOST-05", "Minimize access to worker nodes"),
    tags=["aws", "eks", "nodes", "network"],
    remediation_steps="Remove remoteAccess; use SSM Session Manager for break-glass node access.",
)
