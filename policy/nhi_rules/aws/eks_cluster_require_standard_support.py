"""The cluster runs a Kubernetes version in EKS standard support and stays there (upgradePolicy STANDARD)."""

from __future__ import annotations

from collections.abc import Iterator

from pulumi_policy import Severity

from nhi_rules.lib.frameworks import eks_bp
from nhi_rules.lib.props import as_str, get
from nhi_rules.lib.rule import Subject, resource_rule

NAME = "eks-cluster-require-standard-support"

MSG_VERSION_UNPINNED = (
    "version is not set, so EKS picks the newest version when the cluster is created and the "
    "program no longer says which one runs: set version to one of {supported}"
)
MSG_VERSION_UNSUPPORTED = (
    "version is {version!r}, not in EKS standard support ({supported}): upgrade to a "
    "supported version (one minor version at a time)"
)
MSG_SUPPORT_DEFAULT = (
    "upgradePolicy.supportType is not set and EKS defaults it to EXTENDED (paid, and the "
    "cluster may stay on an old version for a year): set upgradePolicy.supportType='STANDARD'"
)
MSG_SUPPORT_EXTENDED = "upgradePolicy.supportType is {value!r}: set it to 'STANDARD'"

CONFIG = {
    # The EKS release calendar (docs.aws.amazon.com/eks/latest/userguide/kubernetes-versions.html): a minor
    # version has 14 months of standard support. End dates: 1.33 2026-07-29, 1.34 2026-12-02, 1.35 2027-03-27.
    # Review this list (and the environments' configs) when one passes.
    "standardSupportVersions": {
        "type": "array",
        "items": {"type": "string"},
        "default": ["1.34", "1.35"],
        "description": "Kubernetes minor versions in EKS standard support (from the EKS release calendar).",
    },
}


def check(subject: Subject) -> Iterator[str]:
    supported = subject.config["standardSupportVersions"]
    version = as_str(get(subject.props, "version"))
    if not version:
        yield MSG_VERSION_UNPINNED.format(supported=", ".join(supported))
    elif version.strip() not in supported:
        yield MSG_VERSION_UNSUPPORTED.format(version=version, supported=", ".join(supported))
    support = as_str(get(subject.props, "upgradePolicy", "supportType"))
    if support is None:
        yield MSG_SUPPORT_DEFAULT
    elif support != "STANDARD":
        yield MSG_SUPPORT_EXTENDED.format(value=support)


POLICY = resource_rule(
    name=NAME,
    description="EKS clusters run a Kubernetes version in standard support, with upgradePolicy.supportType STANDARD.",
    resource_types=("aws:eks/cluster:Cluster",),
    check=check,
    severity=Severity.MEDIUM,
    framework=eks_bp("BP-UPGRADE-01", "Keep clusters on a Kubernetes version in standard support"),
    tags=["aws", "eks", "upgrades", "checkov:CKV_AWS_339"],
    remediation_steps=(
        "Set version to a minor version in standard support and upgradePolicy={supportType: "
        "'STANDARD'}; upgrade one minor version at a time before its end of standard support."
    ),
    config=CONFIG,
)
