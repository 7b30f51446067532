"""Node replacements are bounded: a release change rolls a few nodes at a time, new ones first."""

from __future__ import annotations

from collections.abc import Iterator

from pulumi_policy import Severity

from nhi_rules.lib.frameworks import eks_bp
from nhi_rules.lib.props import as_int, as_str, get
from nhi_rules.lib.rule import Subject, resource_rule

NAME = "eks-nodegroup-limit-update-disruption"

MSG_NO_UPDATE_CONFIG = (
    "updateConfig is not set: set updateConfig.maxUnavailablePercentage (at most {percent}%) "
    "or maxUnavailable (at most {count}) so that node replacement is bounded explicitly"
)
MSG_NO_BOUND = "updateConfig sets neither maxUnavailable nor maxUnavailablePercentage: set one of them"
MSG_PERCENT_TOO_HIGH = (
    "updateConfig.maxUnavailablePercentage is {value}: at most {limit}% of the nodes may be down during an update"
)
MSG_COUNT_TOO_HIGH = "updateConfig.maxUnavailable is {value}: at most {limit} nodes may be down during an update"
MSG_STRATEGY = "updateConfig.updateStrategy is {value!r}: use one of {allowed} (DEFAULT launches new nodes first)"

CONFIG = {
    "maxUnavailablePercentage": {
        "type": "integer",
        "minimum": 1,
        "default": 33,
        "description": "Highest updateConfig.maxUnavailablePercentage accepted.",
    },
    "maxUnavailable": {
        "type": "integer",
        "minimum": 1,
        "default": 1,
        "description": "Highest updateConfig.maxUnavailable (a node count) accepted.",
    },
    "allowedStrategies": {
        "type": "array",
        "items": {"type": "string"},
        "default": ["DEFAULT"],
        "description": "Accepted updateConfig.updateStrategy values (an omitted one is EKS's DEFAULT).",
    },
}


def check(subject: Subject) -> Iterator[str]:
    config = subject.config
    update = get(subject.props, "updateConfig")
    if update is None:
        yield MSG_NO_UPDATE_CONFIG.format(percent=config["maxUnavailablePercentage"], count=config["maxUnavailable"])
        return
    percent = as_int(get(update, "maxUnavailablePercentage"))
    count = as_int(get(update, "maxUnavailable"))
    if percent is None and count is None:
        yield MSG_NO_BOUND
    if percent is not None and percent > config["maxUnavailablePercentage"]:
        yield MSG_PERCENT_TOO_HIGH.format(value=percent, limit=config["maxUnavailablePercentage"])
    if count is not None and count > config["maxUnavailable"]:
        yield MSG_COUNT_TOO_HIGH.format(value=count, limit=config["maxUnavailable"])
    strategy = as_str(get(update, "updateStrategy")) or "DEFAULT"
    if strategy not in config["allowedStrategies"]:
        yield MSG_STRATEGY.format(value=strategy, allowed=config["allowedStrategies"])


POLICY = resource_rule(
    name=NAME,
    description="EKS managed node groups declare a bounded updateConfig (few nodes down at a time, new ones first).",
    resource_types=("aws:eks/nodeGroup:NodeGroup",),
    check=check,
    severity=Severity.LOW,
    framework=eks_bp("BP-UPGRADE-02", "Replace nodes gradually when the AMI release changes"),
    tags=["aws", "eks", "nodes", "immutable", "resilience"],
    remediation_steps=(
        "Set updateConfig={maxUnavailablePercentage: <= 33, updateStrategy: 'DEFAULT'} (or maxUnavailable: 1)."
    ),
    config=CONFIG,
)
