"""No pods are opened to the internet by ipBlock peers split across NetworkPolicies: NetworkPolicies are
additive (a pod selected by several is allowed the union of their rules per direction), so 52.0.0.0/9 in one
policy and 52.128.0.0/9 in another that selects the same pods allow a /8's worth of the internet together.

Policies are grouped by namespace (`metadata.namespace`, "default" when absent) and by podSelector: policies with
equal selectors select the same pods, and a policy with an empty or absent podSelector selects every pod of its
namespace, so it joins every group there. Per group and direction (ingress `from`, egress `to`) the ipBlock peers
of all the policies, their `except` ranges taken out, are added up with nhi_rules.lib.addresses; a family that one
policy (or the namespace's all-pods policies) already opens alone is not reported again here (the resource rule
kubernetes-networkpolicy-disallow-allow-all reports what one policy opens).

Not modelled, as in the resource rule: `ports` (a rule's peers count whatever ports it names) and `policyTypes`
(a direction's rules count even when the policy does not list the direction). Selectors that differ but overlap
(different matchLabels or matchExpressions matching the same pods) are different groups, and podSelector /
namespaceSelector peers are not addresses; both are left out. Values unknown during preview are left out (the
stack is judged on what is known), like the other stack rules.
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from pulumi_policy import PolicyResource, Severity

from nhi_rules.lib.addresses import LIMIT, Listed, listed, name_paths, openings
from nhi_rules.lib.frameworks import cis_eks
from nhi_rules.lib.k8s import NETWORK_POLICY, namespace_of, selects_all
from nhi_rules.lib.props import as_str, get, is_map, items, maps, str_map, strings
from nhi_rules.lib.rule import stack_rule
from nhi_rules.lib.stack import by_type, known, known_at

NAME = "kubernetes-networkpolicy-limit-combined-peers"
DEFAULT_NAMESPACE = "default"
DIRECTIONS = (("ingress", "from"), ("egress", "to"))
ALL_PODS = "every pod"
"""The selector key of policies with an empty or absent podSelector."""

MSG_OPEN_TOGETHER = (
    "NetworkPolicies {policies} in namespace {namespace!r} select the same pods ({pods}) and together allow "
    "{reach} ({direction}) through {paths}, the internet in pieces ({limit}): allow specific CIDRs in each "
    "policy (egress to AWS APIs goes through VPC endpoints)"
)


@dataclass(frozen=True)
class Policy:
    """One NetworkPolicy with its known ipBlock peers per direction (paths start at its resource name)."""

    resource: PolicyResource
    label: str
    namespace: str
    pods: str
    blocks: Mapping[str, tuple[Listed, ...]]


def _selector_key(selector: Any) -> str:
    """A selector written the same way whatever its key order: ALL_PODS for an empty or absent one."""
    if selector is None or selects_all(selector):
        return ALL_PODS
    match_labels = sorted(str_map(get(selector, "matchLabels")).items())
    expressions = sorted(
        (
            as_str(get(expression, "key")) or "",
            as_str(get(expression, "operator")) or "",
            sorted(strings(get(expression, "values"))),
        )
        for _, expression in maps(get(selector, "matchExpressions"))
    )
    written = {"matchLabels": dict(match_labels), "matchExpressions": expressions}
    return repr({key: value for key, value in written.items() if value})


def _pods(policy: Policy) -> str:
    return policy.pods if policy.pods == ALL_PODS else f"podSelector {policy.pods}"


def _blocks(resource: PolicyResource, direction: str, peers: str) -> tuple[Listed, ...]:
    found: list[Listed] = []
    for index, rule in items(get(resource.props, "spec", direction)):
        if not is_map(rule):
            continue
        for peer_index, peer in items(get(rule, peers)):
            cidr = as_str(get(peer, "ipBlock", "cidr")) if is_map(peer) else None
            if cidr:
                path = f"{resource.name}.spec.{direction}[{index}].{peers}[{peer_index}].ipBlock"
                found.append(listed(path, cidr, strings(get(peer, "ipBlock", "except"))))
    return tuple(found)


def _policy(resource: PolicyResource) -> Policy | None:
    """The policy as far as it is known; None when its namespace or podSelector is unknown."""
    namespace = known(lambda: namespace_of(resource.props) or DEFAULT_NAMESPACE)
    pods = known(lambda: _selector_key(get(resource.props, "spec", "podSelector")))
    if namespace is None or pods is None:
        return None
    blocks = {direction: known(_blocks, resource, direction, peers) or () for direction, peers in DIRECTIONS}
    label = repr(known_at(as_str, resource.props, "metadata", "name") or resource.name)
    return Policy(resource, label, namespace, pods, blocks)


def _opened(policies: Sequence[Policy], direction: str) -> set[int]:
    """The families the policies' ipBlocks of `direction` open to the internet, added up."""
    return {opening.version for opening in openings([b for policy in policies for b in policy.blocks[direction]])}


def _groups(policies: Sequence[Policy]) -> Iterator[tuple[list[Policy], list[Policy]]]:
    """(the policies that select one set of pods, the all-pods policies among them) per namespace and selector."""
    by_namespace: dict[str, dict[str, list[Policy]]] = {}
    for policy in policies:
        by_namespace.setdefault(policy.namespace, {}).setdefault(policy.pods, []).append(policy)
    for selectors in by_namespace.values():
        everyone = selectors.get(ALL_PODS, [])
        yield everyone, everyone
        for pods, selected in selectors.items():
            if pods != ALL_PODS:
                yield [*selected, *everyone], everyone


def check(resources: Sequence[PolicyResource], config: Mapping[str, Any]) -> Iterator[tuple[str, str | None]]:
    policies = [policy for policy in map(_policy, by_type(resources).get(NETWORK_POLICY, [])) if policy is not None]
    for group, everyone in _groups(policies):
        if len(group) < 2:
            continue  # one policy alone is judged by the resource rule
        for direction, _ in DIRECTIONS:
            # Families one policy opens alone are the resource rule's; the all-pods policies' own group reports
            # what they open together, once.
            shown = {version for policy in group for version in _opened([policy], direction)}
            if group is not everyone and len(everyone) > 1:
                shown |= _opened(everyone, direction)
            entries = [block for policy in group for block in policy.blocks[direction]]
            for opening in openings(entries):
                if opening.version in shown:
                    continue
                yield (
                    MSG_OPEN_TOGETHER.format(
                        policies=name_paths([policy.label for policy in group]),
                        namespace=group[0].namespace,
                        pods=_pods(group[0]),
                        reach=opening.reach,
                        direction=direction,
                        paths=opening.paths,
                        limit=LIMIT,
                    ),
                    group[0].resource.urn,
                )


POLICY = stack_rule(
    name=NAME,
    description="ipBlock peers split across the NetworkPolicies that select the same pods do not allow the "
    "internet together.",
    resource_types=(NETWORK_POLICY,),
    check=check,
    severity=Severity.HIGH,
    framework=cis_eks("4.3.2", "Ensure that all Namespaces have Network Policies defined"),
    tags=["kubernetes", "network", "ipv4", "ipv6", "stack", "eks-bp:BP-NET-03"],
    remediation_steps=(
        "Replace the ipBlock ranges that add up to the internet across the NetworkPolicies selecting the same pods "
        "(including the namespace's podSelector {} policies) with the specific CIDRs the pods need; reach AWS APIs "
        "through VPC endpoints."
    ),
)
