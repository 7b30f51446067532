"""No RoleBinding or ClusterRoleBinding hands out a role as powerful as cluster-admin under another name.

`kubernetes-rolebinding-disallow-cluster-admin` judges the binding alone, by the role's name. A role of any name
whose rules grant every verb on every resource is the same power, and a binding to a role the stack does not
declare (a built-in such as `admin`, or one an add-on installs) grants whatever that role holds on the day: it
cannot be judged before deploy, so it is reported too, unless the pack config lists it as known.
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping, Sequence
from typing import Any

from pulumi_policy import PolicyResource, Severity

from nhi_rules.lib.frameworks import cis_eks
from nhi_rules.lib.identities import RbacBinding, RbacIndex, rbac_bindings
from nhi_rules.lib.rbac import BINDING_TYPES, ROLE_TYPES
from nhi_rules.lib.rule import stack_rule
from nhi_rules.lib.stack import by_type, known

NAME = "kubernetes-rolebinding-disallow-admin-equivalent"
CLUSTER_ADMIN = "cluster-admin"
"""Judged by name by kubernetes-rolebinding-disallow-cluster-admin (with its break-glass subjects)."""

MSG_ADMIN_EQUIVALENT = (
    "{binding} binds {kind} {role!r}, whose {rule} grants every verb on every resource (as cluster-admin does), "
    "to {subjects}: bind a role that lists the verbs and resources the subjects need"
)
MSG_OUTSIDE_STACK = (
    "{binding} binds {kind} {role!r}, which this stack does not declare, so what it grants cannot be checked "
    "before deploy: declare the role in the stack, or list it in knownClusterRoles if Kubernetes or an add-on "
    "defines it with bounded rules"
)

CONFIG = {
    "knownClusterRoles": {
        "type": "array",
        "items": {"type": "string"},
        "default": ["view"],
        "description": "ClusterRoles defined outside the stack (by Kubernetes or an add-on) that may be bound: "
        "their rules are known and bounded. `edit` and `admin` are not by default: both create pods as any "
        "service account of the namespace, and `admin` writes RoleBindings.",
    },
}


def _judge(binding: RbacBinding, rbac: RbacIndex, known_roles: Sequence[str]) -> Iterator[str]:
    label = f"{binding.resource.resource_type.rsplit(':', 1)[-1]} {binding.resource.name!r}"
    if binding.role_kind == "ClusterRole" and binding.role_name == CLUSTER_ADMIN:
        return
    rules = rbac.rules(binding.role_kind, binding.role_name, binding.namespace)
    if rules is None:
        if not (binding.role_kind == "ClusterRole" and binding.role_name in known_roles):
            yield MSG_OUTSIDE_STACK.format(binding=label, kind=binding.role_kind, role=binding.role_name)
        return
    subjects = ", ".join(f"{kind}:{name}" for kind, name, _ in binding.subjects) or "no subject yet"
    for rule in rules:
        if known(rule.admin_equivalent):
            yield MSG_ADMIN_EQUIVALENT.format(
                binding=label, kind=binding.role_kind, role=binding.role_name, rule=rule.path, subjects=subjects
            )
            return


def check(resources: Sequence[PolicyResource], config: Mapping[str, Any]) -> Iterator[tuple[str, str | None]]:
    index = by_type(resources)
    rbac = RbacIndex(index)
    for binding in rbac_bindings(index):
        for message in _judge(binding, rbac, config["knownClusterRoles"]):
            yield message, binding.resource.urn


POLICY = stack_rule(
    name=NAME,
    description="RoleBindings and ClusterRoleBindings do not bind admin-equivalent roles, nor roles the stack "
    "does not declare.",
    resource_types=(*BINDING_TYPES, *ROLE_TYPES),
    check=check,
    severity=Severity.CRITICAL,
    framework=cis_eks("4.1.1", "Ensure that the cluster-admin role is only used where required"),
    tags=["kubernetes", "rbac", "admin", "stack", "cis-eks:4.1.3", "eks-bp:BP-IAM-06"],
    remediation_steps="Bind a Role or ClusterRole of the stack whose rules list what the subjects need; declare "
    "roles you bind, or list bounded built-in ClusterRoles in knownClusterRoles.",
    config=CONFIG,
)
