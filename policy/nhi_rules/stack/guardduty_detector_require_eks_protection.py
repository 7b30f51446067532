"""A stack that runs EKS also runs its detective controls: GuardDuty with EKS audit-log and runtime monitoring."""

from __future__ import annotations

from collections.abc import Iterator, Mapping, Sequence
from typing import Any

from pulumi_policy import PolicyResource, Severity

from nhi_rules.lib.frameworks import eks_bp
from nhi_rules.lib.props import as_bool, as_str
from nhi_rules.lib.rule import stack_rule
from nhi_rules.lib.stack import by_type, known_at

NAME = "guardduty-detector-require-eks-protection"
CLUSTER = "aws:eks/cluster:Cluster"
DETECTOR = "aws:guardduty/detector:Detector"
FEATURE = "aws:guardduty/detectorFeature:DetectorFeature"

MSG_NO_DETECTOR = (
    "the stack runs EKS cluster {cluster!r} but no enabled GuardDuty detector: add aws.guardduty.Detector(enable=True)"
)
MSG_NO_FEATURE = (
    "no GuardDuty DetectorFeature {feature} with status ENABLED: add "
    "aws.guardduty.DetectorFeature(name='{feature}', status='ENABLED')"
)

CONFIG = {
    "required": {
        "type": "boolean",
        "default": True,
        "description": "Require detective controls (prod); dev and staging may turn this off.",
    },
    "features": {
        "type": "array",
        "items": {"type": "string"},
        "default": ["EKS_AUDIT_LOGS", "RUNTIME_MONITORING"],
        "description": "GuardDuty features that must be ENABLED (RUNTIME_MONITORING or EKS_RUNTIME_MONITORING).",
    },
}
EQUIVALENT = {"RUNTIME_MONITORING": {"RUNTIME_MONITORING", "EKS_RUNTIME_MONITORING"}}


def check(resources: Sequence[PolicyResource], config: Mapping[str, Any]) -> Iterator[tuple[str, str | None]]:
    if not config["required"]:
        return
    index = by_type(resources)
    clusters = index.get(CLUSTER, [])
    if not clusters:
        return
    detectors = [d for d in index.get(DETECTOR, []) if known_at(as_bool, d.props, "enable") is not False]
    if not detectors:
        yield MSG_NO_DETECTOR.format(cluster=clusters[0].name), clusters[0].urn
        return
    enabled = set()
    for feature in index.get(FEATURE, []):
        if known_at(as_str, feature.props, "status") == "ENABLED":
            enabled.add(known_at(as_str, feature.props, "name"))
    for feature in config["features"]:
        if not (EQUIVALENT.get(feature, {feature}) & enabled):
            yield MSG_NO_FEATURE.format(feature=feature), detectors[0].urn


POLICY = stack_rule(
    name=NAME,
    description="Stacks with an EKS cluster enable GuardDuty with EKS audit-log and runtime monitoring.",
    resource_types=(CLUSTER, DETECTOR, FEATURE),
    check=check,
    severity=Severity.MEDIUM,
    framework=eks_bp("BP-DETECT-01", "Enable GuardDuty EKS Protection (audit logs and runtime monitoring)"),
    tags=["aws", "guardduty", "detective", "stack"],
    remediation_steps="Add a GuardDuty Detector and DetectorFeatures EKS_AUDIT_LOGS and RUNTIME_MONITORING, ENABLED.",
    config=CONFIG,
)
