"""Every namespace that runs workloads has a default-deny NetworkPolicy for ingress and for egress."""

from __future__ import annotations

from collections.abc import Iterator, Mapping, Sequence
from typing import Any

from pulumi_policy import PolicyResource, Severity

from nhi_rules.lib.frameworks import cis_eks
from nhi_rules.lib.k8s import NAMESPACE, NETWORK_POLICY, WORKLOAD_TYPES, namespace_or_default, selects_all
from nhi_rules.lib.props import as_str, get, items, strings
from nhi_rules.lib.rule import stack_rule
from nhi_rules.lib.stack import by_type, known, known_at

NAME = "kubernetes-namespace-require-default-deny"

MSG_NO_DEFAULT_DENY = (
    "namespace {namespace!r} runs workloads but has no default-deny NetworkPolicy for {direction}: "
    "add one with podSelector: {{}}, policyTypes: [{direction}] and no {rules} rules"
)


def _denies(policy: PolicyResource) -> set[str]:
    """Directions a NetworkPolicy denies for every pod of its namespace (empty podSelector, no rules)."""
    spec = known(lambda: get(policy.props, "spec"))
    if known(lambda: selects_all(get(spec, "podSelector"))) is not True:
        return set()
    types = known(lambda: strings(get(spec, "policyTypes"))) or ["Ingress"]
    denied = set()
    for direction, rules in (("Ingress", "ingress"), ("Egress", "egress")):
        listed = known_at(lambda value: list(items(value)), spec, rules)
        if direction in types and listed == []:
            denied.add(direction)
    return denied


def check(resources: Sequence[PolicyResource], config: Mapping[str, Any]) -> Iterator[tuple[str, str | None]]:
    index = by_type(resources)
    workloads: dict[str, PolicyResource] = {}
    for workload_type in WORKLOAD_TYPES:
        for workload in index.get(workload_type, []):
            namespace = known(namespace_or_default, workload.props)
            if namespace:
                workloads.setdefault(namespace, workload)
    denied: dict[str, set[str]] = {}
    for policy in index.get(NETWORK_POLICY, []):
        namespace = known(namespace_or_default, policy.props)
        if namespace:
            denied.setdefault(namespace, set()).update(_denies(policy))
    namespaces = {known_at(as_str, n.props, "metadata", "name"): n for n in index.get(NAMESPACE, [])}
    for namespace, workload in sorted(workloads.items()):
        for direction, rules in (("Ingress", "ingress"), ("Egress", "egress")):
            if direction not in denied.get(namespace, set()):
                anchor = namespaces.get(namespace, workload)
                yield MSG_NO_DEFAULT_DENY.format(namespace=namespace, direction=direction, rules=rules), anchor.urn


POLICY = stack_rule(
    name=NAME,
    description="Namespaces with workloads have default-deny NetworkPolicies for both ingress and egress.",
    resource_types=(NETWORK_POLICY, NAMESPACE, *WORKLOAD_TYPES),
    check=check,
    severity=Severity.HIGH,
    framework=cis_eks("4.3.2", "Ensure that all Namespaces have Network Policies defined"),
    tags=["kubernetes", "network", "stack", "eks-bp:BP-NET-02"],
    remediation_steps="Add a NetworkPolicy with podSelector {} and policyTypes [Ingress, Egress] (no rules) to "
    "every workload namespace; then allow each workload's traffic explicitly.",
)
