"""Nodes run Bottlerocket: a minimal, immutable OS for containers (AL2023 only as a declared exception)."""

from __future__ import annotations

from collections.abc import Iterator

from pulumi_policy import Severity

from nhi_rules.lib.frameworks import eks_bp
from nhi_rules.lib.props import as_str, get
from nhi_rules.lib.rule import Subject, resource_rule

NAME = "eks-nodegroup-require-bottlerocket"
BOTTLEROCKET_PREFIX = "BOTTLEROCKET_"
AL2023_PREFIX = "AL2023_"

MSG_AMI_DEFAULT = (
    "amiType is not set, so EKS picks an Amazon Linux AMI: set amiType to BOTTLEROCKET_x86_64 or "
    "BOTTLEROCKET_ARM_64 (and pin releaseVersion)"
)
MSG_AMI_NOT_BOTTLEROCKET = (
    "amiType is {value!r}: use a BOTTLEROCKET_* AMI type{exception} (a minimal, read-only "
    "OS with no shell or package manager)"
)
MSG_AMI_CUSTOM = (
    "amiType is 'CUSTOM', so the pack cannot tell which OS the launch template's image runs: use a "
    "BOTTLEROCKET_* AMI type with releaseVersion, or exempt the node group with the reason"
)

CONFIG = {
    "allowAl2023": {
        "type": "boolean",
        "default": False,
        "description": "Accept AL2023_* AMI types as an explicit exception (e.g. for a GPU driver Bottlerocket lacks).",
    },
}


def check(subject: Subject) -> Iterator[str]:
    value = as_str(get(subject.props, "amiType"))
    if value is None:
        yield MSG_AMI_DEFAULT
    elif value == "CUSTOM":
        yield MSG_AMI_CUSTOM
    elif value.startswith(BOTTLEROCKET_PREFIX) or (value.startswith(AL2023_PREFIX) and subject.config["allowAl2023"]):
        return
    else:
        exception = (
            " or, where this environment's config allows it, AL2023_*" if value.startswith(AL2023_PREFIX) else ""
        )
        yield MSG_AMI_NOT_BOTTLEROCKET.format(value=value, exception=exception)


POLICY = resource_rule(
    name=NAME,
    description="EKS managed node groups run Bottlerocket (AL2023 only where the config allows it).",
    resource_types=("aws:eks/nodeGroup:NodeGroup",),
    check=check,
    severity=Severity.MEDIUM,
    framework=eks_bp("BP-HOST-01", "Use an OS optimized for running containers"),
    tags=["aws", "eks", "nodes", "immutable", "bottlerocket"],
    remediation_steps="Set amiType to BOTTLEROCKET_x86_64 or BOTTLEROCKET_ARM_64 and pin releaseVersion.",
    config=CONFIG,
)
