"""No Role or ClusterRole lets its holder exec into, attach to or port-forward to pods.

A shell in another workload's pod is that workload's identity: its mounted token, its IAM role's credentials
(Pod Identity and IRSA hand them to every process of the pod), its Secrets. Exec and attach are authorized as
`create` on the subresource, and also as `get` since kubectl streams over WebSockets (KEP-4006, Kubernetes 1.31),
so both count.
"""

from __future__ import annotations

from collections.abc import Iterator

from pulumi_policy import Severity

from nhi_rules.lib.frameworks import eks_bp
from nhi_rules.lib.rbac import CORE_GROUP, ROLE_TYPES, PolicyRule, granted, policy_rules
from nhi_rules.lib.rule import Subject, resource_rule

NAME = "kubernetes-role-disallow-pod-exec"

SUBRESOURCES = ("pods/exec", "pods/attach", "pods/portforward")
VERBS = ("create", "get")

MSG_POD_EXEC = (
    "{path} grants {verb!r} on {resource}, which lets the holder run commands in (or reach into) other pods and "
    "act with their service account and IAM role: remove it; debug through an audited break-glass role"
)


def _judge(rule: PolicyRule) -> Iterator[str]:
    for verb, resource in granted(rule, VERBS, CORE_GROUP, SUBRESOURCES):
        yield MSG_POD_EXEC.format(path=rule.path, verb=verb, resource=resource)


def check(subject: Subject) -> Iterator[str]:
    for rule in policy_rules(subject.props):
        yield from subject.apart(_judge, rule)


POLICY = resource_rule(
    name=NAME,
    description="Kubernetes Roles and ClusterRoles do not grant pods/exec, pods/attach or pods/portforward.",
    resource_types=ROLE_TYPES,
    check=check,
    severity=Severity.HIGH,
    framework=eks_bp("BP-IAM-06", "Employ least privileged access when creating RoleBindings and ClusterRoleBindings"),
    tags=["kubernetes", "rbac", "privilege-escalation"],
    remediation_steps="Remove pods/exec, pods/attach and pods/portforward (and '*' resources that include them) "
    "from the rules; use a break-glass role for debugging.",
)
