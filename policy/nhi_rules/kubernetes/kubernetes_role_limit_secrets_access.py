"""Reading Secrets is granted only by name: get/list/watch on all Secrets hands out every credential in scope."""

from __future__ import annotations

from collections.abc import Iterator

from pulumi_policy import Severity

from nhi_rules.lib.frameworks import cis_eks
from nhi_rules.lib.rbac import CORE_GROUP, ROLE_TYPES, PolicyRule, policy_rules
from nhi_rules.lib.rule import Subject, resource_rule

NAME = "kubernetes-role-limit-secrets-access"

MSG_SECRETS_READ = (
    "{path} grants {verb!r} on all Secrets{scope}: grant 'get' on the named Secrets "
    "(resourceNames) the workload needs, or read them from Secrets Manager with its IAM role"
)
MSG_SECRETS_LIST = (
    "{path} grants {verb!r} on Secrets, which returns their contents whatever resourceNames says: "
    "grant only 'get' on named Secrets"
)


def check(subject: Subject) -> Iterator[str]:
    scope = " of the cluster" if subject.type.endswith(":ClusterRole") else " of the namespace"
    for rule in policy_rules(subject.props):
        yield from subject.apart(_judge, rule, scope)


def _judge(rule: PolicyRule, scope: str) -> Iterator[str]:
    if not rule.covers(CORE_GROUP, "secrets"):
        return
    for verb in ("list", "watch"):
        if rule.grants(verb):
            yield MSG_SECRETS_LIST.format(path=rule.path, verb=verb)
    if rule.grants("get") and not rule.named:
        yield MSG_SECRETS_READ.format(path=rule.path, verb="get", scope=scope)


POLICY = resource_rule(
    name=NAME,
    description="Kubernetes Roles and ClusterRoles read Secrets only by name (no list/watch, no unnamed get).",
    resource_types=ROLE_TYPES,
    check=check,
    severity=Severity.HIGH,
    framework=cis_eks("4.1.2", "Minimize access to secrets"),
    tags=["kubernetes", "rbac", "secrets"],
    remediation_steps="Grant 'get' on secrets with resourceNames listing the exact Secrets; never list or watch.",
)
