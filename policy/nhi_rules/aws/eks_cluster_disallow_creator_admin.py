"""The identity that creates the cluster does not get a hidden, permanent cluster-admin grant."""

from __future__ import annotations

from collections.abc import Iterator

from pulumi_policy import Severity

from nhi_rules.lib.frameworks import cis_eks
from nhi_rules.lib.props import as_bool, get
from nhi_rules.lib.rule import Subject, resource_rule

NAME = "eks-cluster-disallow-creator-admin"

MSG_CREATOR_ADMIN_DEFAULT = (
    "accessConfig.bootstrapClusterCreatorAdminPermissions is not set and defaults to true: "
    "set it to false and grant admins through access entries"
)
MSG_CREATOR_ADMIN = (
    "accessConfig.bootstrapClusterCreatorAdminPermissions is true: set it to false and grant "
    "admins through access entries"
)


def check(subject: Subject) -> Iterator[str]:
    value = as_bool(get(subject.props, "accessConfig", "bootstrapClusterCreatorAdminPermissions"))
    if value is None:
        yield MSG_CREATOR_ADMIN_DEFAULT
    elif value:
        yield MSG_CREATOR_ADMIN


POLICY = resource_rule(
    name=NAME,
    description="EKS clusters do not bootstrap cluster-admin for the creating identity.",
    resource_types=("aws:eks/cluster:Cluster",),
    check=check,
    severity=Severity.HIGH,
    framework=cis_eks("4.1.1", "Ensure that the cluster-admin role is only used where required"),
    tags=["aws", "eks", "iam", "access", "eks-bp:BP-IAM-04"],
    remediation_steps=(
        "Set accessConfig.bootstrapClusterCreatorAdminPermissions=false and create an AccessEntry "
        "plus AccessPolicyAssociation for the admin roles."
    ),
)
