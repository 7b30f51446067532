"""One IAM role per service account: no role bound to, or trusted by, two service accounts."""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterator, Mapping, Sequence
from typing import Any

from pulumi_policy import PolicyResource, Severity

from nhi_rules.lib.frameworks import eks_bp
from nhi_rules.lib.iam import ROLE
from nhi_rules.lib.k8s import SERVICE_ACCOUNT
from nhi_rules.lib.rule import stack_rule
from nhi_rules.lib.stack import POD_IDENTITY_ASSOCIATION, RoleIndex, bindings, by_type, trusted_subjects

NAME = "iam-role-limit-service-account-bindings"

MSG_ROLE_SHARED = (
    "role {role!r} is bound to {count} service accounts ({subjects}): give each workload its own "
    "role (one identity per workload)"
)
MSG_ROLE_TRUSTS_MANY = (
    "role {role!r} trusts {count} service accounts ({subjects}): scope its trust policy to exactly one"
)
MSG_ACCOUNT_MANY_ROLES = "service account {subject} is bound to {count} roles ({roles}): bind exactly one"


def check(resources: Sequence[PolicyResource], config: Mapping[str, Any]) -> Iterator[tuple[str, str | None]]:
    index = by_type(resources)
    roles = RoleIndex(index.get(ROLE, []))
    subjects_of_role: dict[str, set[str]] = defaultdict(set)
    roles_of_subject: dict[str, set[str]] = defaultdict(set)
    anchor: dict[str, str] = {}
    for binding in bindings(index, roles):
        key = binding.role.urn if binding.role is not None else binding.role_ref
        if binding.role is None and binding.role_ref.startswith("("):
            continue  # an unknown ARN with no dependency: cannot tell which role
        subjects_of_role[key].add(binding.subject)
        roles_of_subject[binding.subject].add(binding.role.name if binding.role is not None else binding.role_ref)
        anchor.setdefault(binding.subject, binding.resource.urn)
    for key, subjects in sorted(subjects_of_role.items()):
        if len(subjects) > 1:
            role = roles.by_urn.get(key)
            yield (
                MSG_ROLE_SHARED.format(
                    role=role.name if role else key, count=len(subjects), subjects=", ".join(sorted(subjects))
                ),
                key if role else None,
            )
    for subject, bound in sorted(roles_of_subject.items()):
        if len(bound) > 1:
            yield (
                MSG_ACCOUNT_MANY_ROLES.format(subject=subject, count=len(bound), roles=", ".join(sorted(bound))),
                anchor[subject],
            )
    for role in index.get(ROLE, []):
        trusted = trusted_subjects(role)
        if trusted and len(trusted) > 1:
            yield (
                MSG_ROLE_TRUSTS_MANY.format(role=role.name, count=len(trusted), subjects=", ".join(sorted(trusted))),
                role.urn,
            )


POLICY = stack_rule(
    name=NAME,
    description="Each IAM role serves one service account: not bound to two, not trusted by two.",
    resource_types=(ROLE, POD_IDENTITY_ASSOCIATION, SERVICE_ACCOUNT),
    check=check,
    severity=Severity.HIGH,
    framework=eks_bp("BP-IAM-12", "Use one IAM role per application (workload identity)"),
    tags=["aws", "iam", "kubernetes", "nhi", "stack"],
    remediation_steps="Create one role per workload service account, with a trust policy naming only that account.",
)
