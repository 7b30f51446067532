"""Which resources of the stack one resource's property names: through the engine's property dependencies first
(known even in a first preview, when ids are unknown), then by the `id` the named resources report. One index per
kind of target, built once per AnalyzeStack."""

from __future__ import annotations

from collections.abc import Iterable

from pulumi_policy import PolicyResource

from nhi_rules.lib.props import as_str, strings
from nhi_rules.lib.stack import known_at


class Linker:
    """The stack's resources of some types, by URN and by id."""

    def __init__(self, resources: Iterable[PolicyResource]) -> None:
        self.by_urn = {resource.urn: resource for resource in resources}
        self.by_id: dict[str, PolicyResource] = {}
        for resource in self.by_urn.values():
            resource_id = known_at(as_str, resource.props, "id")
            if resource_id:
                self.by_id[resource_id] = resource

    def named_by(
        self, resource: PolicyResource, prop: str, value_path: tuple[str | int, ...] = ()
    ) -> list[PolicyResource]:
        """The indexed resources that `resource.props[prop]` (or the value at `value_path` under it) names."""
        linked = [d.urn for d in resource.property_dependencies.get(prop, []) if d.urn in self.by_urn]
        if linked and not value_path:
            return [self.by_urn[urn] for urn in dict.fromkeys(linked)]
        ids = known_at(strings, resource.props, prop, *value_path) or []
        found = [self.by_id[i] for i in ids if i in self.by_id]
        if found:
            return found
        # A nested value (vpcConfig.subnetIds) shares its top-level property's dependencies with its siblings.
        return [self.by_urn[urn] for urn in dict.fromkeys(linked)] if value_path else []

    def ids_named_by(self, resource: PolicyResource, prop: str, *value_path: str | int) -> list[str]:
        """The known ids the value names, whether or not they are resources of the stack."""
        return known_at(strings, resource.props, prop, *value_path) or []
