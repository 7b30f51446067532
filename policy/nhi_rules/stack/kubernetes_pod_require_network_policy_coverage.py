"""Every workload's pods are selected by a NetworkPolicy of their own for ingress and for egress."""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterator, Mapping, Sequence
from typing import Any

from pulumi_policy import PolicyResource, Severity

from nhi_rules.lib.frameworks import eks_bp
from nhi_rules.lib.k8s import (
    NETWORK_POLICY,
    WORKLOAD_TYPES,
    labels,
    namespace_or_default,
    pod_template,
    selector_matches,
    selects_all,
)
from nhi_rules.lib.props import get, strings
from nhi_rules.lib.rule import stack_rule
from nhi_rules.lib.stack import by_type, known

NAME = "kubernetes-pod-require-network-policy-coverage"

MSG_UNCOVERED = (
    "{kind} {name!r} in namespace {namespace!r} has no NetworkPolicy selecting its pods for "
    "{direction}: add one whose podSelector matches {labels} with policyTypes [{direction}] "
    "(no rules means deny)"
)


def _policy_types(spec: Any) -> set[str]:
    types = set(strings(get(spec, "policyTypes")))
    if not types:  # Kubernetes' defaulting: Ingress always, Egress when egress rules exist
        types = {"Ingress"} | ({"Egress"} if get(spec, "egress") is not None else set())
    return types


def check(resources: Sequence[PolicyResource], config: Mapping[str, Any]) -> Iterator[tuple[str, str | None]]:
    index = by_type(resources)
    # namespace -> [(selector, types)] of workload-specific policies (the namespace default-deny does not count).
    policies: dict[str, list[tuple[Any, set[str]]]] = defaultdict(list)
    for policy in index.get(NETWORK_POLICY, []):
        namespace = known(namespace_or_default, policy.props)
        spec = known(get, policy.props, "spec")
        selector = known(get, spec, "podSelector")
        if namespace and selector is not None and known(selects_all, selector) is False:
            policies[namespace].append((selector, known(_policy_types, spec) or set()))
    for workload_type in WORKLOAD_TYPES:
        for workload in index.get(workload_type, []):
            namespace = known(namespace_or_default, workload.props)
            template = known(pod_template, workload.resource_type, workload.props)
            pod_labels = known(labels, template.metadata if template else None)
            if not namespace or pod_labels is None:
                continue  # unknown during preview: judged when known
            covered: set[str] = set()
            for selector, types in policies.get(namespace, []):
                if known(selector_matches, selector, pod_labels):
                    covered |= types
            for direction in ("Ingress", "Egress"):
                if direction not in covered:
                    yield (
                        MSG_UNCOVERED.format(
                            kind=workload_type.rsplit(":", 1)[-1],
                            name=workload.name,
                            namespace=namespace,
                            direction=direction,
                            labels=pod_labels or "{}",
                        ),
                        workload.urn,
                    )


POLICY = stack_rule(
    name=NAME,
    description="Every workload's pods are selected by a NetworkPolicy for ingress and one for egress.",
    resource_types=(NETWORK_POLICY, *WORKLOAD_TYPES),
    check=check,
    severity=Severity.MEDIUM,
    framework=eks_bp("BP-NET-03", "Create network policies that allow only the traffic each workload needs"),
    tags=["kubernetes", "network", "stack"],
    remediation_steps="Create a NetworkPolicy per workload whose podSelector matches the pod labels, with "
    "policyTypes [Ingress, Egress] and the allowed peers.",
)
