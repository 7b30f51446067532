"""cluster-admin is bound only to the declared break-glass subjects."""

from __future__ import annotations

from collections.abc import Iterator

from pulumi_policy import Severity

from nhi_rules.lib.frameworks import cis_eks
from nhi_rules.lib.props import as_str, get, maps
from nhi_rules.lib.rbac import BINDING_TYPES
from nhi_rules.lib.rule import Subject, resource_rule

NAME = "kubernetes-rolebinding-disallow-cluster-admin"

MSG_CLUSTER_ADMIN = (
    "roleRef binds ClusterRole {role!r} to {subject} (subjects[{index}]): bind a role with only what "
    "it needs; only the break-glass subjects in the pack config (breakGlassSubjects) may hold it"
)

CONFIG = {
    "adminClusterRoles": {
        "type": "array",
        "items": {"type": "string"},
        "default": ["cluster-admin"],
        "description": "ClusterRoles that count as cluster admin.",
    },
    "breakGlassSubjects": {
        "type": "array",
        "items": {"type": "string"},
        "default": [],
        "description": "Subjects allowed to hold them, as Kind:name (Group:platform-admins, "
        "User:alice, ServiceAccount:namespace/name).",
    },
}


def _subject(entry: object) -> str:
    kind = as_str(get(entry, "kind")) or "?"
    name = as_str(get(entry, "name")) or "?"
    namespace = as_str(get(entry, "namespace"))
    return f"{kind}:{namespace}/{name}" if kind == "ServiceAccount" and namespace else f"{kind}:{name}"


def check(subject: Subject) -> Iterator[str]:
    role_ref = get(subject.props, "roleRef")
    role = as_str(get(role_ref, "name"))
    if as_str(get(role_ref, "kind")) != "ClusterRole" or role not in subject.config["adminClusterRoles"]:
        return
    for index, entry in maps(get(subject.props, "subjects")):
        name = _subject(entry)
        if name not in subject.config["breakGlassSubjects"]:
            yield MSG_CLUSTER_ADMIN.format(role=role, subject=name, index=index)


POLICY = resource_rule(
    name=NAME,
    description="RoleBindings and ClusterRoleBindings grant cluster-admin only to declared break-glass subjects.",
    resource_types=BINDING_TYPES,
    check=check,
    severity=Severity.CRITICAL,
    framework=cis_eks("4.1.1", "Ensure that the cluster-admin role is only used where required"),
    tags=["kubernetes", "rbac", "admin"],
    remediation_steps=(
        "Bind a Role or ClusterRole scoped to the subject's needs; grant cluster admin through EKS "
        "access entries for the break-glass roles, or list the subject in breakGlassSubjects."
    ),
    config=CONFIG,
)
