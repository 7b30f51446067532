"""What a stack declares, read from the preflight's capture of its program: its IAM roles (trust, boundary, inline
and attached policies), its users, Pod Identity associations, access entries and node groups, each with the
stack-file key or the program's resource it comes from.

A live role is recognised by its path and name as the provider names it: the `name` input, else `namePrefix` and
a suffix, else Pulumi's auto-name (the logical name, `-` and 7 hex digits)."""

from __future__ import annotations

import json
import re
from dataclasses import dataclass, field
from typing import Any

from components.deployer_identity import CI_ROLE_PATH, ENVIRONMENT_TAG
from components.identity import ROLE_PATH as WORKLOAD_ROLE_PATH
from components.labels import WORKLOAD_TAG
from nhi.preflight.capture import Capture, CapturedResource
from settings import StackSettings
from settings.model import CI, CLUSTER, WORKLOADS

ROLE = "aws:iam/role:Role"
ROLE_POLICY = "aws:iam/rolePolicy:RolePolicy"
ATTACHMENT = "aws:iam/rolePolicyAttachment:RolePolicyAttachment"
USER = "aws:iam/user:User"
ASSOCIATION = "aws:eks/podIdentityAssociation:PodIdentityAssociation"
ACCESS_ENTRY = "aws:eks/accessEntry:AccessEntry"
NODE_GROUP = "aws:eks/nodeGroup:NodeGroup"
# Pulumi's auto-naming: the logical name, a dash and 7 random hex digits.
AUTO_NAME_SUFFIX = "-[0-9a-f]{7}"
# The AWS provider's `namePrefix`: the prefix and 26 characters (a UTC timestamp and a counter, in hex).
PREFIX_SUFFIX = "[0-9a-f]{26}"
STACK_PATHS = (WORKLOAD_ROLE_PATH, CI_ROLE_PATH)
"""The IAM paths of the stack's identities: a role or user under one of them is the stack's to account for."""


@dataclass(frozen=True)
class DeclaredRole:
    urn: str
    logical_name: str
    path: str
    name: str | None
    name_prefix: str | None
    trust: dict[str, Any] | None
    boundary: str | None
    inline: tuple[dict[str, Any], ...]
    """Inline policy documents (RolePolicy resources of the role)."""
    attached: frozenset[str]
    """ARNs of attached managed policies."""
    declaration: str
    workload: str | None = None
    """The workload whose role it is, or None."""
    pipeline: bool = False

    def matches(self, path: str, name: str) -> bool:
        if path != self.path:
            return False
        if self.name is not None:
            return name == self.name
        if self.name_prefix is not None:
            return re.fullmatch(re.escape(self.name_prefix) + PREFIX_SUFFIX, name) is not None
        return re.fullmatch(re.escape(self.logical_name) + AUTO_NAME_SUFFIX, name) is not None


@dataclass(frozen=True)
class DeclaredNodeGroup:
    cluster: str
    name: str
    release: str | None
    declaration: str


@dataclass(frozen=True)
class DeclaredBinding:
    """A Pod Identity association: the live one must bind the same service account to the declared role."""

    cluster: str
    namespace: str
    service_account: str
    role_urn: str | None
    declaration: str


@dataclass(frozen=True)
class Declarations:
    environment: str
    cluster: str
    roles: tuple[DeclaredRole, ...]
    users: frozenset[str]
    node_groups: tuple[DeclaredNodeGroup, ...]
    bindings: tuple[DeclaredBinding, ...]
    access_entry_principals: frozenset[str]
    workload_access: dict[str, list[dict[str, Any]]] = field(default_factory=dict)
    """Each workload's `access:` declaration as written in the stack file, for the narrower one to propose."""

    def role_for(self, path: str, name: str, tags: dict[str, str]) -> DeclaredRole | None:
        """The declared role a live one is; never one of another environment (its tag says so)."""
        if tags.get(ENVIRONMENT_TAG, self.environment) != self.environment:
            return None
        return next((role for role in self.roles if role.matches(path, name)), None)

    def is_stacks(self, path: str, tags: dict[str, str]) -> bool:
        """Does an identity carry this stack's environment tag, or live under the stack's IAM paths without
        another environment's tag?"""
        environment = tags.get(ENVIRONMENT_TAG)
        if environment is not None:
            return environment == self.environment
        return any(path.startswith(prefix) for prefix in STACK_PATHS)


def _document(value: Any) -> dict[str, Any] | None:
    if isinstance(value, str):
        try:
            parsed = json.loads(value)
        except json.JSONDecodeError:
            return None
        return parsed if isinstance(parsed, dict) else None
    return value if isinstance(value, dict) else None


def _role_of(resource: CapturedResource) -> str | None:
    """The URN of the role a RolePolicy or attachment belongs to: its `role` input's dependency."""
    depends = resource.property_dependencies.get("role", ())
    return depends[0] if depends else None


def _declaration(role: CapturedResource, settings: StackSettings) -> tuple[str, str | None, bool]:
    tags = role.inputs.get("tags") or {}
    path = role.inputs.get("path") or "/"
    workload = tags.get(WORKLOAD_TAG) if path == WORKLOAD_ROLE_PATH else None
    if workload is not None:
        names = [w.name for w in settings.workloads]
        if workload in names:
            return f"{WORKLOADS}[{names.index(workload)}] ({workload})", workload, False
    if path == CI_ROLE_PATH:
        return CI, None, True
    return f"{CLUSTER} (resource {role.name})", None, False


def declarations(capture: Capture, settings: StackSettings, stack_config: dict[str, Any]) -> Declarations:
    policies: dict[str, list[dict[str, Any]]] = {}
    attached: dict[str, set[str]] = {}
    for resource in capture.of_type(ROLE_POLICY):
        owner, document = _role_of(resource), _document(resource.inputs.get("policy"))
        if owner is not None and document is not None:
            policies.setdefault(owner, []).append(document)
    for resource in capture.of_type(ATTACHMENT):
        owner, arn = _role_of(resource), resource.inputs.get("policyArn")
        if owner is not None and isinstance(arn, str):
            attached.setdefault(owner, set()).add(arn)
    roles = []
    for role in capture.of_type(ROLE):
        declaration, workload, pipeline = _declaration(role, settings)
        boundary = role.inputs.get("permissionsBoundary")
        roles.append(
            DeclaredRole(
                urn=role.urn,
                logical_name=role.name,
                path=role.inputs.get("path") or "/",
                name=role.inputs.get("name"),
                name_prefix=role.inputs.get("namePrefix"),
                trust=_document(role.inputs.get("assumeRolePolicy")),
                boundary=boundary if isinstance(boundary, str) and boundary else None,
                inline=tuple(policies.get(role.urn, ())),
                attached=frozenset(attached.get(role.urn, ())),
                declaration=declaration,
                workload=workload,
                pipeline=pipeline,
            )
        )
    role_by_arn = {r.outputs.get("arn"): r.urn for r in capture.of_type(ROLE)}
    groups = tuple(
        DeclaredNodeGroup(
            cluster=str(group.inputs.get("clusterName")),
            name=str(group.inputs.get("nodeGroupName") or group.name),
            release=group.inputs.get("releaseVersion"),
            declaration=f"{CLUSTER}.nodeGroups ({group.inputs.get('nodeGroupName') or group.name})",
        )
        for group in capture.of_type(NODE_GROUP)
    )
    bindings = tuple(
        DeclaredBinding(
            cluster=str(a.inputs.get("clusterName")),
            namespace=str(a.inputs.get("namespace")),
            service_account=str(a.inputs.get("serviceAccount")),
            role_urn=role_by_arn.get(a.inputs.get("roleArn")),
            declaration=f"resource {a.name}",
        )
        for a in capture.of_type(ASSOCIATION)
    )
    workloads = stack_config.get(WORKLOADS) or []
    return Declarations(
        environment=settings.environment.value,
        cluster=settings.cluster.name,
        roles=tuple(roles),
        users=frozenset(str(u.inputs.get("name") or u.name) for u in capture.of_type(USER)),
        node_groups=groups,
        bindings=bindings,
        access_entry_principals=frozenset(
            str(e.inputs.get("principalArn")) for e in capture.of_type(ACCESS_ENTRY) if e.inputs.get("principalArn")
        ),
        workload_access={str(w.get("name")): list(w.get("access") or []) for w in workloads if isinstance(w, dict)},
    )
