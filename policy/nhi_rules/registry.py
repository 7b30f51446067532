"""The explicit list of every rule in the pack. A layout test fails when a rule module is missing here."""

from __future__ import annotations

from pulumi_policy import Policy

from nhi_rules.aws import (
    ec2_securitygroup_disallow_open_admin_ports,
    eks_cluster_disallow_public_endpoint,
)
from nhi_rules.iam import (
    iam_policy_disallow_wildcard_actions,
)

RULE_MODULES = (
    eks_cluster_disallow_public_endpoint,
    ec2_securitygroup_disallow_open_admin_ports,
    iam_policy_disallow_wildcard_actions,
)

POLICIES: list[Policy] = [module.POLICY for module in RULE_MODULES]
