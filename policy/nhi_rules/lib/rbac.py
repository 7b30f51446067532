"""Kubernetes RBAC objects as the engine sends them: the rules of Roles and ClusterRoles, and bindings."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

from nhi_rules.lib.props import get, maps, strings

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
    path: str
    api_groups: tuple[str, ...]
    resources: tuple[str, ...]
    verbs: tuple[str, ...]
    resource_names: tuple[str, ...]

    def grants(self, verb: str) -> bool:
        return ANY in self.verbs or verb in self.verbs

    def covers(self, group: str, resource: str) -> bool:
        """Whether the rule applies to `resource` of API group `group` (subresources do not count)."""
        return ((ANY in self.api_groups or group in self.api_groups)
                and (ANY in self.resources or resource in self.resources))


def policy_rules(props: Any) -> Iterator[PolicyRule]:
    for index, rule in maps(get(props, "rules")):
        yield PolicyRule(f"rules[{index}]", tuple(strings(get(rule, "apiGroups"))),
                         tuple(strings(get(rule, "resources"))), tuple(strings(get(rule, "verbs"))),
                         tuple(strings(get(rule, "resourceNames"))))
