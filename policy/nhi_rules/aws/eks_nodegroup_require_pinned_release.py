"""Node images are pinned: nodes change only when the program changes (immutable infrastructure)."""

from __future__ import annotations

from collections.abc import Iterator

from pulumi_policy import Severity

from nhi_rules.lib.frameworks import eks_bp
from nhi_rules.lib.props import as_str, get
from nhi_rules.lib.rule import Subject, resource_rule

NAME = "eks-nodegroup-require-pinned-release"

MSG_RELEASE_UNPINNED = (
    "releaseVersion is not set, so each update may pick a new AMI: pin releaseVersion "
    "(e.g. the Bottlerocket release '1.41.0-2b4c1d53')"
)
MSG_CUSTOM_WITHOUT_TEMPLATE = "amiType is CUSTOM but launchTemplate is not set: pin the image id in a launch template"


def check(subject: Subject) -> Iterator[str]:
    ami_type = as_str(get(subject.props, "amiType"))
    if ami_type == "CUSTOM":
        if get(subject.props, "launchTemplate") is None:
            yield MSG_CUSTOM_WITHOUT_TEMPLATE
        return
    if not as_str(get(subject.props, "releaseVersion")):
        yield MSG_RELEASE_UNPINNED


POLICY = resource_rule(
    name=NAME,
    description="EKS managed node groups pin their AMI release (releaseVersion).",
    resource_types=("aws:eks/nodeGroup:NodeGroup",),
    check=check,
    severity=Severity.MEDIUM,
    framework=eks_bp("BP-HOST-01", "Use an OS optimized for running containers, updated deliberately"),
    tags=["aws", "eks", "nodes", "immutable"],
    remediation_steps="Set releaseVersion to an explicit release and change it deliberately to roll nodes.",
)
