"""Network reach per service account, computed from the rendered NetworkPolicies with the evaluator.

Between pods of the stack a flow exists only when the source's egress AND the destination's ingress allow it
(checked on the destination's declared ports and every port a policy names). Peers the stack has no pods for
(address ranges, pods of other namespaces such as kube-dns, rules with no peers) are read from each pod's
own rules: that side allows them, and the other side is outside what the stack can show."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from .model import Flow
from .netpol import NetworkModel
from .pods import WorkloadPod


@dataclass
class Reach:
    egress: set[Flow] = field(default_factory=set)
    ingress: set[Flow] = field(default_factory=set)


def owner(workload: WorkloadPod) -> str:
    return f"{workload.namespace}/{workload.service_account}"


def _selector_text(selector: dict[str, Any] | None) -> str:
    if not selector:
        return "*"
    parts = [f"{k}={v}" for k, v in sorted((selector.get("matchLabels") or {}).items())]
    for expression in selector.get("matchExpressions") or []:
        values = ",".join(expression.get("values") or [])
        parts.append(f"{expression.get('key')} {expression.get('operator')}" + (f" ({values})" if values else ""))
    return ",".join(parts) or "*"


def describe_peer(peer: dict[str, Any], policy_namespace: str) -> str:
    """`namespace/{pod selector}`: pods a policy names that the stack does not create."""
    selector = peer.get("namespaceSelector")
    if selector is None:
        namespace = policy_namespace
    elif set(selector) == {"matchLabels"} and set(selector["matchLabels"]) == {"kubernetes.io/metadata.name"}:
        namespace = selector["matchLabels"]["kubernetes.io/metadata.name"]
    else:
        namespace = "{" + _selector_text(selector) + "}"
    return f"{namespace}/{{{_selector_text(peer.get('podSelector'))}}}"


def _port_specs(rule: dict[str, Any]) -> list[tuple[str, str]]:
    ports = rule.get("ports") or []
    if not ports:
        return [("*", "*")]
    specs = []
    for entry in ports:
        protocol = str(entry.get("protocol") or "TCP")
        port = entry.get("port")
        text = "*" if port is None else str(port)
        if isinstance(port, int) and isinstance(entry.get("endPort"), int):
            text = f"{port}-{entry['endPort']}"
        specs.append((protocol, text))
    return specs


def _candidate_ports(model: NetworkModel, destination: WorkloadPod) -> set[tuple[int, str]]:
    ports = {(number, protocol) for _, number, protocol in destination.pod.ports}
    for policy in model.policies:
        for key in ("ingress", "egress"):
            for rule in policy["spec"].get(key) or []:
                for entry in rule.get("ports") or []:
                    if isinstance(entry.get("port"), int):
                        ports.add((entry["port"], str(entry.get("protocol") or "TCP")))
    return ports


def compute(model: NetworkModel, workloads: list[WorkloadPod]) -> dict[str, Reach]:
    """`namespace/service-account` -> its pods' egress and ingress."""
    reach: dict[str, Reach] = {owner(w): Reach() for w in workloads}
    for source in workloads:
        for destination in workloads:
            if source is destination:
                continue
            for port, protocol in sorted(_candidate_ports(model, destination)):
                if model.allows(source.pod, destination.pod, port, protocol):
                    reach[owner(source)].egress.add(Flow("egress", "identity", owner(destination), protocol, str(port)))
                    reach[owner(destination)].ingress.add(
                        Flow("ingress", "identity", owner(source), protocol, str(port))
                    )
    for workload in workloads:
        for policy_type, rules_key, peers_key in (("Egress", "egress", "to"), ("Ingress", "ingress", "from")):
            direction = rules_key
            found = reach[owner(workload)].egress if direction == "egress" else reach[owner(workload)].ingress
            policies = model.selecting(workload.pod, policy_type)
            if not policies:
                found.add(Flow(direction, "any", "* (no NetworkPolicy isolates it)", "*", "*"))
                continue
            for policy in policies:
                namespace = policy["metadata"]["namespace"]
                for rule in policy["spec"].get(rules_key) or []:
                    peers = rule.get(peers_key) or []
                    for protocol, ports in _port_specs(rule):
                        if not peers:
                            found.add(Flow(direction, "any", "*", protocol, ports))
                        for peer in peers:
                            if "ipBlock" in peer:
                                block = peer["ipBlock"]
                                excepted = block.get("except") or []
                                text = block["cidr"] + (f" except {','.join(excepted)}" if excepted else "")
                                found.add(Flow(direction, "cidr", text, protocol, ports))
                            elif not any(model.peer_matches(peer, namespace, other.pod) for other in workloads):
                                found.add(Flow(direction, "selector", describe_peer(peer, namespace), protocol, ports))
    return reach
