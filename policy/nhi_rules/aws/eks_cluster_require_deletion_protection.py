"""Where the environment's config asks for it (prod), the cluster cannot be deleted by a stray `destroy`."""

from __future__ import annotations

from collections.abc import Iterator

from pulumi_policy import Severity

from nhi_rules.lib.frameworks import eks_bp
from nhi_rules.lib.props import as_bool, get
from nhi_rules.lib.rule import Subject, resource_rule

NAME = "eks-cluster-require-deletion-protection"

MSG_PROTECTION_DEFAULT = (
    "deletionProtection is not set and EKS defaults it to false: set deletionProtection=true "
    "(this environment's config requires it)"
)
MSG_PROTECTION_OFF = "deletionProtection is false: set it to true (this environment's config requires it)"

CONFIG = {
    "required": {
        "type": "boolean",
        "default": True,
        "description": "Require EKS deletion protection (prod); dev and staging may turn this off.",
    },
}


def check(subject: Subject) -> Iterator[str]:
    if not subject.config["required"]:
        return
    value = as_bool(get(subject.props, "deletionProtection"))
    if value is None:
        yield MSG_PROTECTION_DEFAULT
    elif not value:
        yield MSG_PROTECTION_OFF


POLICY = resource_rule(
    name=NAME,
    description="EKS clusters have deletion protection where the environment's config requires it (prod).",
    resource_types=("aws:eks/cluster:Cluster",),
    check=check,
    severity=Severity.MEDIUM,
    framework=eks_bp("BP-INFRA-01", "Protect production clusters from accidental deletion"),
    tags=["aws", "eks", "resilience"],
    remediation_steps=(
        "Set deletionProtection=true; turn it off deliberately, in its own change, before a planned delete."
    ),
    config=CONFIG,
)
