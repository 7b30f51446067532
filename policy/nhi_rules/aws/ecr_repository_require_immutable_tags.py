"""Image tags cannot be overwritten, so a tag always names the same image."""

from __future__ import annotations

from collections.abc import Iterator

from pulumi_policy import Severity

from nhi_rules.lib.frameworks import eks_bp
from nhi_rules.lib.props import as_str, get
from nhi_rules.lib.rule import Subject, resource_rule

NAME = "ecr-repository-require-immutable-tags"

MSG_MUTABLE_DEFAULT = "imageTagMutability is not set and defaults to MUTABLE: set imageTagMutability='IMMUTABLE'"
MSG_MUTABLE = "imageTagMutability is {value!r}: set it to 'IMMUTABLE'"

CONFIG = {
    "allowExclusions": {
        "type": "boolean",
        "default": False,
        "description": "Accept IMMUTABLE_WITH_EXCLUSION (mutable tags matching declared filters, e.g. in dev).",
    },
}


def check(subject: Subject) -> Iterator[str]:
    value = as_str(get(subject.props, "imageTagMutability"))
    if value is None:
        yield MSG_MUTABLE_DEFAULT
    elif value == "IMMUTABLE" or (value == "IMMUTABLE_WITH_EXCLUSION" and subject.config["allowExclusions"]):
        return
    else:
        yield MSG_MUTABLE.format(value=value)


POLICY = resource_rule(
    name=NAME,
    description="ECR repositories have immutable image tags.",
    resource_types=("aws:ecr/repository:Repository",),
    check=check,
    severity=Severity.MEDIUM,
    framework=eks_bp("BP-IMG-09", "Use immutable tags with ECR"),
    tags=["aws", "ecr", "supply-chain"],
    remediation_steps="Set imageTagMutability='IMMUTABLE' and deploy by digest.",
    config=CONFIG,
)
