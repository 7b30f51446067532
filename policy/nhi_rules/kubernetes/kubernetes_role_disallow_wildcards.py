"""Roles and ClusterRoles list what they grant: no '*' for API groups, resources or verbs."""

from __future__ import annotations

from collections.abc import Iterator

from pulumi_policy import Severity

from nhi_rules.lib.frameworks import cis_eks
from nhi_rules.lib.rbac import ANY, ROLE_TYPES, PolicyRule, policy_rules
from nhi_rules.lib.rule import Subject, resource_rule

NAME = "kubernetes-role-disallow-wildcards"

MSG_WILDCARD = (
    "{path}.{field} contains '*', which also grants every {what} added later: list the exact {what} the subject needs"
)

FIELDS = (
    ("apiGroups", "api_groups", "API groups"),
    ("resources", "resources", "resources"),
    ("verbs", "verbs", "verbs"),
)


def _judge(rule: PolicyRule, attribute: str, field: str, what: str) -> Iterator[str]:
    if ANY in getattr(rule, attribute):
        yield MSG_WILDCARD.format(path=rule.path, field=field, what=what)


def check(subject: Subject) -> Iterator[str]:
    for rule in policy_rules(subject.props):
        for field, attribute, what in FIELDS:  # each field apart: one may come from an output
            yield from subject.apart(_judge, rule, attribute, field, what)


POLICY = resource_rule(
    name=NAME,
    description="Kubernetes Roles and ClusterRoles use no wildcards in apiGroups, resources or verbs.",
    resource_types=ROLE_TYPES,
    check=check,
    severity=Severity.HIGH,
    framework=cis_eks("4.1.3", "Minimize wildcard use in Roles and ClusterRoles"),
    tags=["kubernetes", "rbac", "least-privilege", "checkov:CKV_K8S_49"],
    remediation_steps="Replace '*' with the exact API groups, resources and verbs the subject uses.",
)
