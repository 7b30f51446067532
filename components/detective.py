"""Detective controls: a GuardDuty detector with EKS audit-log monitoring and runtime monitoring (the
GuardDuty agent on the nodes managed as an EKS add-on by GuardDuty)."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from enum import Enum

import pulumi
import pulumi_aws as aws

EKS_AUDIT_LOGS = "EKS_AUDIT_LOGS"
RUNTIME_MONITORING = "RUNTIME_MONITORING"
EKS_ADDON_MANAGEMENT = "EKS_ADDON_MANAGEMENT"


class FindingFrequency(str, Enum):
    """How often GuardDuty publishes updated findings."""

    FIFTEEN_MINUTES = "FIFTEEN_MINUTES"
    ONE_HOUR = "ONE_HOUR"
    SIX_HOURS = "SIX_HOURS"


@dataclass(frozen=True, kw_only=True)
class DetectiveControlsArgs:
    finding_frequency: FindingFrequency = FindingFrequency.FIFTEEN_MINUTES
    """Publishing frequency of updated findings; the shortest by default."""
    tags: Mapping[str, str] = field(default_factory=dict)
    """Tags for the detector."""


class DetectiveControls(pulumi.ComponentResource):
    """GuardDuty for the account and region, with EKS protection. One detector per account and region:
    only one stack per account may enable it (prod by default)."""

    detector_id: pulumi.Output[str]

    def __init__(self, name: str, args: DetectiveControlsArgs, opts: pulumi.ResourceOptions | None = None) -> None:
        super().__init__("nhi:detective:DetectiveControls", name, None, opts)
        child = pulumi.ResourceOptions(parent=self)
        detector = aws.guardduty.Detector(
            f"{name}-guardduty",
            enable=True,
            finding_publishing_frequency=args.finding_frequency.value,
            tags=dict(args.tags),
            opts=child,
        )
        aws.guardduty.DetectorFeature(
            f"{name}-eks-audit-logs", detector_id=detector.id, name=EKS_AUDIT_LOGS, status="ENABLED", opts=child
        )
        aws.guardduty.DetectorFeature(
            f"{name}-runtime-monitoring",
            detector_id=detector.id,
            name=RUNTIME_MONITORING,
            status="ENABLED",
            # GuardDuty installs and upgrades its agent add-on itself (and the VPC endpoint it needs).
            additional_configurations=[
                aws.guardduty.DetectorFeatureAdditionalConfigurationArgs(name=EKS_ADDON_MANAGEMENT, status="ENABLED")
            ],
            opts=child,
        )
        self.detector_id = detector.id
        self.register_outputs({"detector_id": self.detector_id})
