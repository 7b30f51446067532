"""Identities of a stack judged as a whole: each IAM role's effective permissions (inline, role and attached
policies, its permissions boundary applied) and each Kubernetes service account's RBAC and IAM role.

Built once per AnalyzeStack from the resources the engine sends; what is unknown during preview (a document
built with `apply`, an ARN) is left out, as every stack rule does. A managed policy outside the stack is read
only when AWS publishes it as admin-like (its statements are short and stable); any other counts as unknown
(granting nothing the pack can name).
"""

from __future__ import annotations

import functools
from collections import defaultdict
from collections.abc import Iterable, Iterator, Sequence
from dataclasses import dataclass, field
from functools import cached_property
from typing import Any

from pulumi_policy import PolicyResource

from nhi_rules.lib import iamdb
from nhi_rules.lib.iam import POLICY, ROLE, ROLE_POLICY, InvalidDocument, Statement, action_matches, parse_document
from nhi_rules.lib.iam import statements as document_statements
from nhi_rules.lib.iam_eval import NOT_RESOURCE, Grant, grants
from nhi_rules.lib.k8s import (
    SERVICE_ACCOUNT,
    WORKLOAD_TYPES,
    labels,
    namespace_or_default,
    pod_template,
    selector_matches,
)
from nhi_rules.lib.props import as_str, get, maps, strings
from nhi_rules.lib.rbac import BINDING_TYPES, CLUSTER_ROLE, CLUSTER_ROLE_BINDING, ROLE_TYPES, PolicyRule, policy_rules
from nhi_rules.lib.stack import RoleIndex, bindings, by_type, known, known_at

ROLE_POLICY_ATTACHMENT = "aws:iam/rolePolicyAttachment:RolePolicyAttachment"
IAM_TYPES = (ROLE, ROLE_POLICY, POLICY, ROLE_POLICY_ATTACHMENT)
# AWS managed policies whose grant is the whole point of their name (AWS managed policy reference).
AWS_MANAGED_GRANTS: dict[str, list[dict[str, Any]]] = {
    "AdministratorAccess": [{"Effect": "Allow", "Action": "*", "Resource": "*"}],
    "IAMFullAccess": [{"Effect": "Allow", "Action": "iam:*", "Resource": "*"}],
    "PowerUserAccess": [
        {"Effect": "Allow", "NotAction": ["iam:*", "organizations:*", "account:*"], "Resource": "*"},
    ],
}
DEFAULT_SERVICE_ACCOUNT = "default"


@functools.cache
def _expanded(pattern: str) -> frozenset[str]:
    return frozenset(action.full_name for action in iamdb.expand(pattern))


@functools.cache
def _every_action() -> frozenset[str]:
    return _expanded("*")


def allowed_actions(statements: Sequence[Statement]) -> frozenset[str]:
    """Action names (`service:Name`, as the database spells them) some Allow grants, less those an
    unconditional Deny on '*' takes away."""
    allowed: set[str] = set()
    for statement in statements:
        if not statement.allows:
            continue
        if statement.actions:
            for pattern in statement.actions:
                allowed |= _expanded(pattern)
        elif statement.not_actions:
            excluded = set().union(*(_expanded(pattern) for pattern in statement.not_actions))
            allowed |= _every_action() - excluded
    for statement in statements:
        if statement.effect == "Deny" and not statement.conditions and "*" in statement.resources:
            for pattern in statement.actions:
                allowed -= _expanded(pattern)
    return frozenset(allowed)


def names_arn(grant: Grant, arn: str) -> bool:
    """Whether the grant's resources include the ARN."""
    return any(resource == NOT_RESOURCE or action_matches(resource, arn) for resource in grant.resources)


@dataclass
class IamRole:
    resource: PolicyResource
    name: str
    arn: str | None
    statements: list[Statement] = field(default_factory=list)
    boundary: list[Statement] | None = None
    boundary_arn: str | None = None
    trust: list[Statement] = field(default_factory=list)
    attached_policy_arns: list[str] = field(default_factory=list)

    def grants(self, action: str, target: str | None = None) -> list[Grant]:
        """What grants `action` (on `target` when given), once the boundary is applied."""
        found = [g for g in grants(self.statements, action) if target is None or names_arn(g, target)]
        if found and self.boundary is not None:
            ceiling = [g for g in grants(self.boundary, action) if target is None or names_arn(g, target)]
            if not ceiling:
                return []
        return found

    @cached_property
    def actions(self) -> frozenset[str]:
        allowed = allowed_actions(self.statements)
        return allowed & allowed_actions(self.boundary) if self.boundary is not None else allowed

    @cached_property
    def holds_everything(self) -> bool:
        """Whether the role holds every action there is: nothing more to gain."""
        return holds_everything(self.actions)

    def trusts_service(self, service: str) -> bool:
        return any(
            statement.allows and any(action_matches(p, service) for p in statement.principals.get("Service", ()))
            for statement in self.trust
        )


LEVEL_RANK = {"Permissions management": 0, "Write": 1, "Tagging": 2, "Read": 3, "List": 4}


def _weight(name: str) -> tuple[int, str]:
    found = iamdb.lookup(name)
    return (LEVEL_RANK.get(found.access_level, 5) if found else 5), name


def more_privileged(stronger: frozenset[str], weaker: frozenset[str]) -> str | None:
    """An action the first set holds and the second does not (the most powerful, by access level), or None."""
    extra = stronger - weaker
    return min(extra, key=_weight) if extra else None


def holds_everything(actions: frozenset[str]) -> bool:
    """Whether the actions are every action there is: nothing more to gain."""
    return actions >= _every_action()


def _statements(document: Any, prefix: str) -> list[Statement]:
    try:
        return list(document_statements(parse_document(document), prefix))
    except InvalidDocument:
        return []


class PolicyIndex:
    """Customer managed policies of the stack by URN, ARN and name; AWS managed ones by name."""

    def __init__(self, policies: Sequence[PolicyResource]) -> None:
        self.by_urn = {policy.urn: policy for policy in policies}
        self.by_arn: dict[str, PolicyResource] = {}
        self.by_name: dict[str, PolicyResource] = {}
        for policy in policies:
            arn = known_at(as_str, policy.props, "arn")
            if arn:
                self.by_arn[arn] = policy
            name: str | None = known_at(as_str, policy.props, "name")
            self.by_name[name or policy.name] = policy

    def statements(self, holder: PolicyResource, prop: str, arn: str | None) -> tuple[str, list[Statement]] | None:
        """(label, statements) of the policy `holder.prop` names, or None when unknown or outside the stack."""
        policy = next((d for d in holder.property_dependencies.get(prop, []) if d.urn in self.by_urn), None)
        if policy is None and arn:
            policy = self.by_arn.get(arn) or (
                None if ":iam::aws:policy/" in arn else self.by_name.get(arn.rsplit("/", 1)[-1])
            )
        if policy is not None:
            document = known(get, policy.props, "policy")
            label = f"Policy {policy.name!r} policy."
            return (label, _statements(document, label)) if document is not None else None
        if arn and ":iam::aws:policy/" in arn:
            name = arn.rsplit("/", 1)[-1]
            managed = AWS_MANAGED_GRANTS.get(name)
            if managed is not None:
                label = f"AWS managed policy {name!r}."
                return label, list(document_statements({"Statement": managed}, label))
        return None


def _managed_policy_arns(role: PolicyResource) -> list[str]:
    return strings(get(role.props, "managedPolicyArns"))


def iam_roles(index: dict[str, list[PolicyResource]]) -> tuple[list[IamRole], RoleIndex]:
    roles = RoleIndex(index.get(ROLE, []))
    policies = PolicyIndex(index.get(POLICY, []))
    found: dict[str, IamRole] = {}
    for resource in index.get(ROLE, []):
        name = known_at(as_str, resource.props, "name") or resource.name
        role = IamRole(resource, name, known_at(as_str, resource.props, "arn"))
        for position, inline in maps(known(get, resource.props, "inlinePolicies")):
            document = known(get, inline, "policy")
            if document is not None:
                role.statements += _statements(document, f"Role {resource.name!r} inlinePolicies[{position}].policy.")
        for arn in known(_managed_policy_arns, resource) or []:
            role.attached_policy_arns.append(arn)
            attached = policies.statements(resource, "managedPolicyArns", arn)
            role.statements += attached[1] if attached else []
        boundary_arn = known_at(as_str, resource.props, "permissionsBoundary")
        if boundary_arn:
            bounded = policies.statements(resource, "permissionsBoundary", boundary_arn)
            role.boundary_arn = boundary_arn
            role.boundary = bounded[1] if bounded else None
        trust = known(get, resource.props, "assumeRolePolicy")
        role.trust = _statements(trust, "assumeRolePolicy.") if trust is not None else []
        found[resource.urn] = role
    for role_policy in index.get(ROLE_POLICY, []):
        owner = roles.resolve(role_policy, "role", known_at(as_str, role_policy.props, "role"))
        document = known(get, role_policy.props, "policy")
        if owner is not None and document is not None:
            found[owner.urn].statements += _statements(document, f"RolePolicy {role_policy.name!r} policy.")
    for attachment in index.get(ROLE_POLICY_ATTACHMENT, []):
        holder = roles.resolve(attachment, "role", known_at(as_str, attachment.props, "role"))
        policy_arn: str | None = known_at(as_str, attachment.props, "policyArn")
        if holder is None:
            continue
        if policy_arn:
            found[holder.urn].attached_policy_arns.append(policy_arn)
        attached = policies.statements(attachment, "policyArn", policy_arn)
        if attached:
            found[holder.urn].statements += attached[1]
    return list(found.values()), roles


# --- Kubernetes -------------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class RbacGrant:
    """One RBAC rule held by a service account through one binding, in one namespace (None: every namespace)."""

    binding: PolicyResource
    role_kind: str
    role_name: str
    rule: PolicyRule
    namespace: str | None

    def describe(self) -> str:
        kind = self.binding.resource_type.rsplit(":", 1)[-1]
        return f"{kind} {self.binding.name!r} (its {self.role_kind} {self.role_name!r} {self.rule.path})"


@dataclass
class ServiceAccount:
    namespace: str
    name: str
    runners: list[PolicyResource] = field(default_factory=list)
    """Workloads whose pods run as this account, and its ServiceAccount object."""
    iam: list[IamRole] = field(default_factory=list)
    rbac: list[RbacGrant] = field(default_factory=list)

    @property
    def key(self) -> str:
        return f"{self.namespace}/{self.name}"

    def can(self, verb: str, group: str, resource: str, namespace: str | None) -> RbacGrant | None:
        """The grant that lets the account act in `namespace` (None: in every namespace, which only a
        ClusterRoleBinding gives)."""
        for grant in self.rbac:
            in_scope = grant.namespace is None or grant.namespace == namespace
            if in_scope and known(grant.rule.allows, verb, group, resource):
                return grant
        return None


class RbacIndex:
    """Roles and ClusterRoles of the stack (aggregated ClusterRoles gather the rules of those they select)."""

    def __init__(self, index: dict[str, list[PolicyResource]]) -> None:
        self.roles: dict[tuple[str, str], PolicyResource] = {}
        self.cluster_roles: dict[str, PolicyResource] = {}
        for role in index.get(ROLE_TYPES[0], []):
            name = known_at(as_str, role.props, "metadata", "name")
            namespace = known(namespace_or_default, role.props)
            if name and namespace:
                self.roles[(namespace, name)] = role
        for role in index.get(CLUSTER_ROLE, []):
            name = known_at(as_str, role.props, "metadata", "name")
            if name:
                self.cluster_roles[name] = role

    def rules(self, kind: str, name: str, namespace: str | None) -> list[PolicyRule] | None:
        """The rules a roleRef names, or None when the role is not in the stack."""
        if kind == "Role":
            role = self.roles.get((namespace or "", name))
            return _known_rules(role) if role is not None else None
        role = self.cluster_roles.get(name)
        if role is None:
            return None
        found = _known_rules(role)
        for _, selector in maps(known(get, role.props, "aggregationRule", "clusterRoleSelectors")):
            for other in self.cluster_roles.values():
                other_labels = known(labels, known(get, other.props, "metadata"))
                if other is not role and other_labels is not None and known(selector_matches, selector, other_labels):
                    found += _known_rules(other)
        return found


def _known_rules(role: PolicyResource) -> list[PolicyRule]:
    """A role's rules; none while they are unknown during preview (stack rules judge what is known)."""
    return known(lambda: list(policy_rules(role.props))) or []


@dataclass(frozen=True)
class RbacBinding:
    resource: PolicyResource
    role_kind: str
    role_name: str
    namespace: str | None
    subjects: tuple[tuple[str, str, str | None], ...]
    """(kind, name, namespace) of each subject."""


def rbac_bindings(index: dict[str, list[PolicyResource]]) -> Iterator[RbacBinding]:
    for binding_type in BINDING_TYPES:
        for resource in index.get(binding_type, []):
            kind = known_at(as_str, resource.props, "roleRef", "kind")
            name = known_at(as_str, resource.props, "roleRef", "name")
            namespace = None if binding_type == CLUSTER_ROLE_BINDING else known(namespace_or_default, resource.props)
            if not kind or not name or (binding_type != CLUSTER_ROLE_BINDING and namespace is None):
                continue
            subjects = []
            for _, subject in maps(known(get, resource.props, "subjects")):
                subject_kind = known_at(as_str, subject, "kind")
                subject_name = known_at(as_str, subject, "name")
                if subject_kind and subject_name:
                    subjects.append((subject_kind, subject_name, known_at(as_str, subject, "namespace") or namespace))
            yield RbacBinding(resource, kind, name, namespace, tuple(subjects))


def _holds(subject: tuple[str, str, str | None], account: ServiceAccount) -> bool:
    """Whether a binding subject includes the service account (by name, or its groups)."""
    kind, name, namespace = subject
    if kind == "ServiceAccount":
        return name == account.name and namespace == account.namespace
    if kind == "Group":
        return name in ("system:serviceaccounts", f"system:serviceaccounts:{account.namespace}")
    return False


def service_accounts(
    index: dict[str, list[PolicyResource]], roles: Iterable[IamRole], role_index: RoleIndex
) -> list[ServiceAccount]:
    """Every service account the stack declares or runs pods as, with its IAM roles and RBAC."""
    accounts: dict[str, ServiceAccount] = {}

    def account(namespace: str, name: str) -> ServiceAccount:
        return accounts.setdefault(f"{namespace}/{name}", ServiceAccount(namespace, name))

    for resource in index.get(SERVICE_ACCOUNT, []):
        name = known_at(as_str, resource.props, "metadata", "name")
        namespace = known(namespace_or_default, resource.props)
        if name and namespace:
            account(namespace, name).runners.append(resource)
    for workload_type in WORKLOAD_TYPES:
        for workload in index.get(workload_type, []):
            namespace = known(namespace_or_default, workload.props)
            template = known(pod_template, workload.resource_type, workload.props)
            if namespace is None or template is None:
                continue
            name = known_at(as_str, template.spec, "serviceAccountName")
            if name is None and known(get, template.spec, "serviceAccountName") is not None:
                continue  # unknown during preview
            account(namespace, name or DEFAULT_SERVICE_ACCOUNT).runners.append(workload)
    by_urn = {role.resource.urn: role for role in roles}
    for binding in bindings(index, role_index):
        if binding.role is not None and binding.role.urn in by_urn:
            account(binding.namespace, binding.service_account).iam.append(by_urn[binding.role.urn])
    rbac = RbacIndex(index)
    for rbac_binding in rbac_bindings(index):
        rules = rbac.rules(rbac_binding.role_kind, rbac_binding.role_name, rbac_binding.namespace) or []
        held = [
            RbacGrant(
                rbac_binding.resource, rbac_binding.role_kind, rbac_binding.role_name, rule, rbac_binding.namespace
            )
            for rule in rules
        ]
        for kind, name, namespace in rbac_binding.subjects:  # a bound account no pod uses yet still holds it
            if kind == "ServiceAccount" and namespace:
                account(namespace, name)
        for holder in accounts.values():
            if any(_holds(subject, holder) for subject in rbac_binding.subjects):
                holder.rbac += held
    return list(accounts.values())


def stack_identities(resources: Sequence[PolicyResource]) -> tuple[list[IamRole], list[ServiceAccount]]:
    index = by_type(resources)
    roles, role_index = iam_roles(index)
    grouped: dict[str, list[PolicyResource]] = defaultdict(list, index)
    return roles, service_accounts(grouped, roles, role_index)
