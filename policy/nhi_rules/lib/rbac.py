"""Kubernetes RBAC objects as the engine sends them: the rules of Roles and ClusterRoles, and bindings."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from functools import cached_property
from typing import Any

from nhi_rules.lib.props import get, maps, present, strings

GROUP = "rbac.authorization.k8s.io/v1"
ROLE = f"kubernetes:{GROUP}:Role"
CLUSTER_ROLE = f"kubernetes:{GROUP}:ClusterRole"
ROLE_BINDING = f"kubernetes:{GROUP}:RoleBinding"
CLUSTER_ROLE_BINDING = f"kubernetes:{GROUP}:ClusterRoleBinding"
ROLE_TYPES = (ROLE, CLUSTER_ROLE)
BINDING_TYPES = (ROLE_BINDING, CLUSTER_ROLE_BINDING)
ANY = "*"
CORE_GROUP = ""
RBAC_GROUP = "rbac.authorization.k8s.io"


@dataclass(frozen=True)
class PolicyRule:
    """One rule of a Role or ClusterRole; each field is read on first use, so a rule judged apart
    (`Subject.apart`) touches only what it needs (an unknown resourceNames does not stop a verbs check)."""

    path: str
    source: Any

    @cached_property
    def api_groups(self) -> tuple[str, ...]:
        return tuple(strings(get(self.source, "apiGroups")))

    @cached_property
    def resources(self) -> tuple[str, ...]:
        return tuple(strings(get(self.source, "resources")))

    @cached_property
    def verbs(self) -> tuple[str, ...]:
        return tuple(strings(get(self.source, "verbs")))

    @property
    def named(self) -> bool:
        """Whether resourceNames limits the rule to named objects (names from outputs count: they will be set)."""
        return present(self.source, "resourceNames")

    def grants(self, verb: str) -> bool:
        return ANY in self.verbs or verb in self.verbs

    def covers(self, group: str, resource: str) -> bool:
        """Whether the rule applies to `resource` of API group `group` (subresources do not count)."""
        return (ANY in self.api_groups or group in self.api_groups) and (
            ANY in self.resources or resource in self.resources
        )

    def allows(self, verb: str, group: str, resource: str) -> bool:
        """Whether the rule authorizes `verb` on `resource` (`pods` or `pods/exec`) of API group `group`, as the
        API server's RBAC authorizer matches (k8s.io/kubernetes pkg/apis/rbac/v1/evaluation_helpers.go: a verb,
        group or resource `*` matches all, and `*/<subresource>` matches that subresource of every resource)."""
        if not (ANY in self.verbs or verb in self.verbs):
            return False
        if not (ANY in self.api_groups or group in self.api_groups):
            return False
        subresource = resource.partition("/")[2]
        return any(
            granted in (ANY, resource) or (bool(subresource) and granted == f"*/{subresource}")
            for granted in self.resources
        )

    def admin_equivalent(self) -> bool:
        """Every verb on every resource (of its API groups): the rule holds all the power there is there."""
        return ANY in self.verbs and ANY in self.resources


def policy_rules(props: Any) -> Iterator[PolicyRule]:
    for index, rule in maps(get(props, "rules")):
        yield PolicyRule(f"rules[{index}]", rule)


def granted(
    rule: PolicyRule, verbs: tuple[str, ...], group: str, resources: tuple[str, ...]
) -> Iterator[tuple[str, str]]:
    """(verb, resource) for each resource of `resources` the rule authorizes with one of `verbs` (the first)."""
    for resource in resources:
        for verb in verbs:
            if rule.allows(verb, group, resource):
                yield verb, resource
                break
