"""All five control-plane log types go to CloudWatch."""

from __future__ import annotations

from collections.abc import Iterator

from pulumi_policy import Severity

from nhi_rules.lib.frameworks import cis_eks
from nhi_rules.lib.props import get, strings
from nhi_rules.lib.rule import Subject, resource_rule

NAME = "eks-cluster-require-control-plane-logs"
LOG_TYPES = ("api", "audit", "authenticator", "controllerManager", "scheduler")

MSG_MISSING_LOG_TYPES = "enabledClusterLogTypes lacks {missing}: enable all of " + ", ".join(LOG_TYPES)


def check(subject: Subject) -> Iterator[str]:
    enabled = set(strings(get(subject.props, "enabledClusterLogTypes")))
    missing = [log_type for log_type in LOG_TYPES if log_type not in enabled]
    if missing:
        yield MSG_MISSING_LOG_TYPES.format(missing=", ".join(missing))


POLICY = resource_rule(
    name=NAME,
    description="EKS clusters send all control-plane logs (api, audit, authenticator, controllerManager, scheduler).",
    resource_types=("aws:eks/cluster:Cluster",),
    check=check,
    severity=Severity.MEDIUM,
    framework=cis_eks("2.1.1", "Enable audit Logs"),
    tags=["aws", "eks", "logging", "detective"],
    remediation_steps="Set enabledClusterLogTypes to all five types; keep the log group encrypted with retention.",
)
