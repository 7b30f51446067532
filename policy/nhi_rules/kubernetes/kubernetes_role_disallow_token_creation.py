"""No Role or ClusterRole lets its holder mint tokens for service accounts.

`create` on `serviceaccounts/token` (the TokenRequest API) issues a token for any service account in scope, and
with it that account's RBAC and, through IRSA, its IAM role (the token's audience is the caller's choice).
"""

from __future__ import annotations

from collections.abc import Iterator

from pulumi_policy import Severity

from nhi_rules.lib.frameworks import cis_k8s
from nhi_rules.lib.rbac import CORE_GROUP, ROLE_TYPES, PolicyRule, granted, policy_rules
from nhi_rules.lib.rule import Subject, resource_rule

NAME = "kubernetes-role-disallow-token-creation"

MSG_MINTS_TOKENS = (
    "{path} grants {verb!r} on serviceaccounts/token, which mints a token for any service account in scope "
    "(and its IAM role through IRSA): remove it; the kubelet requests the tokens pods need"
)


def _judge(rule: PolicyRule) -> Iterator[str]:
    for verb, _ in granted(rule, ("create",), CORE_GROUP, ("serviceaccounts/token",)):
        yield MSG_MINTS_TOKENS.format(path=rule.path, verb=verb)


def check(subject: Subject) -> Iterator[str]:
    for rule in policy_rules(subject.props):
        yield from subject.apart(_judge, rule)


POLICY = resource_rule(
    name=NAME,
    description="Kubernetes Roles and ClusterRoles do not grant create on serviceaccounts/token.",
    resource_types=ROLE_TYPES,
    check=check,
    severity=Severity.HIGH,
    framework=cis_k8s("5.1.13", "Minimize access to the service account token creation"),
    tags=["kubernetes", "rbac", "privilege-escalation", "eks-bp:BP-IAM-06"],
    remediation_steps="Remove create on serviceaccounts/token (and '*' verbs or resources that include it).",
)
