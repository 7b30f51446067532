"""Indexes for stack rules: built once per AnalyzeStack (linear in resources), never pairwise scans.

In AnalyzeStack a resource's props are its inputs plus outputs when known; an ARN output may be absent or
unknown, so role references are resolved through property_dependencies first, then by ARN or name.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass
from typing import Any, ParamSpec, TypeVar

from pulumi_policy import PolicyResource
from pulumi_policy.proxy import UnknownValueError

from nhi_rules.lib.iam import InvalidDocument, Statement, parse_document, statements
from nhi_rules.lib.k8s import SERVICE_ACCOUNT
from nhi_rules.lib.props import as_str, get, is_map, str_map

T = TypeVar("T")
P = ParamSpec("P")
POD_IDENTITY_ASSOCIATION = "aws:eks/podIdentityAssociation:PodIdentityAssociation"
IRSA_ANNOTATION = "eks.amazonaws.com/role-arn"


def known(read: Callable[P, T], *args: P.args, **kwargs: P.kwargs) -> T | None:
    """`read(*args, **kwargs)`, or None when it meets a value unknown during preview (stack rules judge what
    is known). The arguments are evaluated before: pass the resource's props, let `read` look inside."""
    try:
        return read(*args, **kwargs)
    except UnknownValueError:
        return None


def known_at(convert: Callable[[Any], T], obj: Any, *path: str | int) -> T | None:
    """`convert` of the value at `path` in `obj` (see `props.get`), or None when it is unknown during preview."""
    return known(lambda: convert(get(obj, *path)))


def by_type(resources: Iterable[PolicyResource]) -> dict[str, list[PolicyResource]]:
    index: dict[str, list[PolicyResource]] = defaultdict(list)
    for resource in resources:
        index[resource.resource_type].append(resource)
    return index


class RoleIndex:
    """IAM roles of the stack by URN, ARN and name."""

    def __init__(self, roles: Sequence[PolicyResource]) -> None:
        self.by_urn = {role.urn: role for role in roles}
        self.by_arn: dict[str, PolicyResource] = {}
        self.by_name: dict[str, PolicyResource] = {}
        for role in roles:
            arn = known_at(as_str, role.props, "arn")
            if arn:
                self.by_arn[arn] = role
            name = known_at(as_str, role.props, "name") or role.name
            self.by_name[name] = role

    def resolve(self, resource: PolicyResource, prop: str, arn: str | None) -> PolicyResource | None:
        for dependency in resource.property_dependencies.get(prop, []):
            if dependency.urn in self.by_urn:
                return dependency
        if arn:
            return self.by_arn.get(arn) or self.by_name.get(arn.rsplit("/", 1)[-1])
        roles = [d for d in resource.dependencies if d.urn in self.by_urn]
        return roles[0] if len(roles) == 1 else None


@dataclass(frozen=True)
class Binding:
    """A service account bound to an IAM role, by a Pod Identity association or an IRSA annotation."""

    kind: str  # "pod-identity" | "irsa"
    namespace: str
    service_account: str
    resource: PolicyResource
    role: PolicyResource | None
    role_ref: str

    @property
    def subject(self) -> str:
        return f"{self.namespace}/{self.service_account}"


def bindings(index: dict[str, list[PolicyResource]], roles: RoleIndex) -> list[Binding]:
    found: list[Binding] = []
    for association in index.get(POD_IDENTITY_ASSOCIATION, []):
        namespace = known_at(as_str, association.props, "namespace")
        account = known_at(as_str, association.props, "serviceAccount")
        arn = known_at(as_str, association.props, "roleArn")
        if namespace and account:
            role = roles.resolve(association, "roleArn", arn)
            found.append(Binding("pod-identity", namespace, account, association, role, arn or "(unknown ARN)"))
    for account_resource in index.get(SERVICE_ACCOUNT, []):
        annotations = known_at(str_map, account_resource.props, "metadata", "annotations") or {}
        arn = annotations.get(IRSA_ANNOTATION)
        has_annotation = (
            arn is not None or known_at(_names_irsa_role, account_resource.props, "metadata", "annotations") is True
        )
        if not has_annotation:
            continue
        namespace = known_at(as_str, account_resource.props, "metadata", "namespace")
        name = known_at(as_str, account_resource.props, "metadata", "name")
        if namespace and name:
            role = roles.resolve(account_resource, "metadata", arn)
            found.append(Binding("irsa", namespace, name, account_resource, role, arn or "(unknown ARN)"))
    return found


def _names_irsa_role(annotations: Any) -> bool:
    """Whether the IRSA annotation is among the keys (its value may still be unknown); annotations that are not
    a map (an asset, a number) name none."""
    return is_map(annotations) and IRSA_ANNOTATION in list(iter(annotations))


def trust_statements(role: PolicyResource) -> list[Statement] | None:
    """The role's trust statements, or None when the document is unknown or invalid."""
    document = known(lambda: get(role.props, "assumeRolePolicy"))
    if document is None:
        return None
    try:
        return known(lambda: list(statements(parse_document(document))))
    except InvalidDocument:
        return None


def trusted_subjects(role: PolicyResource) -> set[str] | None:
    """`namespace/name` of every service account the trust policy names (IRSA sub, Pod Identity tags)."""
    found = trust_statements(role)
    if found is None:
        return None
    subjects: set[str] = set()
    for statement in found:
        if not statement.allows:
            continue
        for operator, entries in statement.conditions.items():
            if ":" in operator:
                continue
            for key, values in entries.items():
                if key.lower().endswith(":sub"):
                    for value in values:
                        parts = value.split(":")
                        if len(parts) == 4 and parts[:2] == ["system", "serviceaccount"]:
                            subjects.add(f"{parts[2]}/{parts[3]}")
        namespaces = [
            v
            for op in ("StringEquals",)
            for v in statement.condition_values("aws:RequestTag/kubernetes-namespace").get(op, ())
        ]
        accounts = [
            v
            for op in ("StringEquals",)
            for v in statement.condition_values("aws:RequestTag/kubernetes-service-account").get(op, ())
        ]
        for namespace in namespaces:
            for account in accounts:
                subjects.add(f"{namespace}/{account}")
    return subjects
