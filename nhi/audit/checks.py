"""The audit's comparisons: declarations (nhi.audit.declared) against the live account (nhi.audit.live), each
producing findings of one kind (nhi.audit.model)."""

from __future__ import annotations

from collections.abc import Iterable
from datetime import UTC, datetime

from .declared import Declarations, DeclaredRole
from .live import LiveAccessEntry, LiveAssociation, LiveNodeGroup, LiveRole, LiveUser, RoleDetail
from .model import (
    DRIFT,
    HIGH,
    LONG_LIVED_CREDENTIAL,
    LOW,
    MEDIUM,
    NODE_DRIFT,
    UNDECLARED_IDENTITY,
    WIDE_TRUST,
    Finding,
)
from .policies import canonical_statements, describe_statement, statement_differences
from .trust import wide_trust

REVIEW = "if nobody can say who made it and why, treat it as a compromise: revoke its sessions and delete it"


def undeclared_roles(declared: Declarations, roles: Iterable[LiveRole]) -> list[Finding]:
    return [
        Finding(
            UNDECLARED_IDENTITY,
            HIGH,
            role.arn,
            None,
            f"role {role.name} carries the {declared.environment} environment or lives under the stack's IAM path, "
            f"but the stack declares no such role: it was made outside `pulumi up` ({REVIEW}); if it is needed, "
            "declare it in the stack file",
        )
        for role in roles
        if declared.is_stacks(role.path, role.tags) and declared.role_for(role.path, role.name, role.tags) is None
    ]


def undeclared_users(declared: Declarations, users: Iterable[LiveUser]) -> list[Finding]:
    return [
        Finding(
            UNDECLARED_IDENTITY,
            HIGH,
            user.arn,
            None,
            f"IAM user {user.name} carries the {declared.environment} environment or lives under the stack's IAM "
            f"path, and the stack declares no users (its identities are roles with short-lived sessions): {REVIEW}",
        )
        for user in users
        if declared.is_stacks(user.path, user.tags) and user.name not in declared.users
    ]


def role_drift(role: DeclaredRole, live: LiveRole, detail: RoleDetail | None) -> list[Finding]:
    def finding(what: str) -> Finding:
        return Finding(
            DRIFT,
            HIGH,
            live.arn,
            role.declaration,
            f"{what}; the live role differs from the declaration: run `pulumi up` to restore it (a `pulumi preview "
            "--refresh` shows the change), and find out who changed it",
        )

    found = [finding(f"trust policy: {d}") for d in statement_differences(role.trust, live.trust)]
    if detail is None:
        return found
    if (detail.boundary or None) != role.boundary:
        found.append(
            finding(f"permissions boundary is {detail.boundary or 'none'}, declared {role.boundary or 'none'}")
        )
    declared, actual = canonical_statements(role.inline), canonical_statements(detail.inline)
    found += [finding(f"inline permission added: {describe_statement(s)}") for s in actual if s not in declared]
    found += [finding(f"inline permission removed: {describe_statement(s)}") for s in declared if s not in actual]
    found += [finding(f"managed policy {arn} attached") for arn in sorted(detail.attached - role.attached)]
    found += [finding(f"managed policy {arn} detached") for arn in sorted(role.attached - detail.attached)]
    return found


def missing_roles(declared: Declarations, roles: Iterable[LiveRole]) -> list[Finding]:
    live = list(roles)
    return [
        Finding(
            DRIFT,
            LOW,
            f"{role.path}{role.name or role.name_prefix or role.logical_name}",
            role.declaration,
            "declared, but no such role is in the account (not deployed yet, or deleted by hand): run `pulumi up`",
        )
        for role in declared.roles
        if not any(role.matches(r.path, r.name) for r in live)
    ]


def binding_drift(
    declared: Declarations, associations: Iterable[LiveAssociation], roles: dict[str, LiveRole]
) -> list[Finding]:
    """Pod Identity associations: each must bind a declared service account to its declared role."""
    found = []
    for association in associations:
        match = next(
            (
                b
                for b in declared.bindings
                if (b.cluster, b.namespace, b.service_account)
                == (association.cluster, association.namespace, association.service_account)
            ),
            None,
        )
        if match is None:
            found.append(
                Finding(
                    UNDECLARED_IDENTITY,
                    HIGH,
                    association.arn,
                    None,
                    f"Pod Identity association of {association.namespace}/{association.service_account} to "
                    f"{association.role_arn} is not declared: pods of that service account get the role's "
                    f"credentials; {REVIEW}",
                )
            )
            continue
        role = roles.get(association.role_arn)
        urn = next((r.urn for r in declared.roles if role is not None and r.matches(role.path, role.name)), None)
        if urn != match.role_urn:
            found.append(
                Finding(
                    DRIFT,
                    HIGH,
                    association.arn,
                    match.declaration,
                    f"{association.namespace}/{association.service_account} is bound to {association.role_arn}, not "
                    "to its declared role: run `pulumi up` to restore the binding",
                )
            )
    return found


def undeclared_access_entries(
    declared: Declarations, entries: Iterable[LiveAccessEntry], roles: dict[str, LiveRole]
) -> list[Finding]:
    """Access entries for principals the stack does not name. EKS itself adds an `EC2_LINUX` entry for a managed
    node group's role: one for a declared role is accounted for."""

    def declared_role(arn: str) -> bool:
        role = roles.get(arn)
        return role is not None and declared.role_for(role.path, role.name, role.tags) is not None

    return [
        Finding(
            UNDECLARED_IDENTITY,
            HIGH,
            entry.arn,
            None,
            f"access entry of {entry.principal_arn} ({entry.type}) on cluster {entry.cluster} is not declared: it "
            f"can reach the Kubernetes API; {REVIEW}",
        )
        for entry in entries
        if entry.principal_arn not in declared.access_entry_principals
        and not (entry.type.startswith("EC2") and declared_role(entry.principal_arn))
    ]


def node_drift(declared: Declarations, groups: Iterable[LiveNodeGroup]) -> list[Finding]:
    found = []
    for group in groups:
        match = next((d for d in declared.node_groups if (d.cluster, d.name) == (group.cluster, group.name)), None)
        if match is None:
            found.append(
                Finding(
                    NODE_DRIFT,
                    HIGH,
                    group.arn,
                    None,
                    f"node group {group.name} is not declared: its nodes and their role were made outside `pulumi up`",
                )
            )
        elif match.release is not None and group.release != match.release:
            found.append(
                Finding(
                    NODE_DRIFT,
                    MEDIUM,
                    group.arn,
                    match.declaration,
                    f"node group {group.name} runs release {group.release}, declared {match.release}: immutable nodes "
                    "are replaced, never changed; run `pulumi up` to roll them back to the declared release, or "
                    "declare the new one",
                )
            )
    return found


def trust_findings(role: LiveRole, declaration: str | None) -> list[Finding]:
    return [
        Finding(WIDE_TRUST, HIGH, role.arn, declaration, f"{problem}; narrow the trust policy")
        for problem in wide_trust(role.trust)
    ]


def credential_findings(user: LiveUser, now: datetime, *, human: bool) -> list[Finding]:
    found = []
    for key in user.keys:
        age = (now - key.created.astimezone(UTC)).days
        used = f"last used {key.last_used:%Y-%m-%d}" if key.last_used else "never used"
        found.append(
            Finding(
                LONG_LIVED_CREDENTIAL,
                HIGH if key.status == "Active" else LOW,
                user.arn,
                None,
                f"access key {key.key_id} ({key.status.lower()}, {age} days old, {used}) of user {user.name}: a "
                "workload or pipeline gets short-lived credentials from a role instead; move it to one and delete "
                "the key",
            )
        )
    if user.login_profile and not human:
        found.append(
            Finding(
                LONG_LIVED_CREDENTIAL,
                HIGH,
                user.arn,
                None,
                f"user {user.name} is a non-human identity (it has access keys or belongs to the stack) and has a "
                "console password: a non-human identity never logs in; delete the login profile",
            )
        )
    return found
